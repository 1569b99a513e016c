import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Actor } from "../../../src/jobs";
import { renderRunMessage } from "../../../src/bot/blocks/render-run-message";
import { shellQuote } from "../../../src/util/shell-quote";
import { createHarness, isSettled, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";

const requester: Actor = { userId: "UREQ" };
const q = (p: string): string => shellQuote(p);

/**
 * Issue 15 point 6. A step that ran on several hosts records each host's
 * outcome; Retry re-runs it only on the hosts that failed or never ran, and
 * every command gets INTERVENE_STEP_KEY (run, step, attempt, host) in its
 * environment. Real Redis, BullMQ and sshd.
 */
describe("retry only what failed", () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    h = createHarness("retry-hosts", { c1: "{}" });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-retry-"));
    await h.startWorker({});
  });
  afterAll(async () => {
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("re-runs only the failed and the not-run hosts, keeps the others' output, and hands each command its step key", async () => {
    const count = (host: string) => path.join(dir, `${host}.runs`);
    const flag = path.join(dir, "h3.fixed");
    const line = (host: string) => `echo "$INTERVENE_STEP_KEY" >> ${q(count(host))}; echo "key=$INTERVENE_STEP_KEY"`;
    const plan = testPlan("c1", [
      {
        id: "touch-each-host",
        kind: "exec",
        targets: [
          { host: "h2", command: line("h2") },
          { host: "h3", command: `${line("h3")}; test -f ${q(flag)}` },
          { host: "h4", command: line("h4") },
        ],
      },
    ]);
    const run = await h.engine.start(plan, requester);
    const failed = await waitForRun(h.engine, run.id, isSettled);
    expect(failed.steps[0]!.state).toBe("failed");
    // One host at a time: h2 ran and succeeded, h3 failed, h4 never ran.
    expect(failed.steps[0]!.outputs.map((o) => [o.host, o.ok, o.attempt])).toEqual([
      ["h2", true, 1],
      ["h3", false, 1],
    ]);
    expect(failed.steps[0]!.outputs[0]!.tail).toBe(`key=${run.id}:0:1:h2\n`);
    // The Retry button says what it will run before it is pressed.
    const retry = JSON.stringify(renderRunMessage(failed).blocks);
    expect(retry).toContain("Runs step 1 again only on h3, h4: h2 already succeeded and keep their output.");

    fs.writeFileSync(flag, "");
    await h.engine.retry(run.id, 0, requester);
    const done = await waitForRun(h.engine, run.id, (r) => r.state === "succeeded" || r.state === "paused");
    expect(done.state).toBe("succeeded");
    expect(fs.readFileSync(count("h2"), "utf8")).toBe(`${run.id}:0:1:h2\n`);
    expect(fs.readFileSync(count("h3"), "utf8")).toBe(`${run.id}:0:1:h3\n${run.id}:0:2:h3\n`);
    expect(fs.readFileSync(count("h4"), "utf8")).toBe(`${run.id}:0:2:h4\n`);
    expect(done.steps[0]!.outputs.map((o) => [o.host, o.ok, o.attempt])).toEqual([
      ["h2", true, 1],
      ["h3", true, 2],
      ["h4", true, 2],
    ]);
  });
});
