import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Redis from "ioredis";
import type { Actor } from "../../../src/jobs";
import { shellQuote } from "../../../src/util/shell-quote";
import type { Harness } from "./helpers/jobs-harness";
import { testPlan, waitForRun } from "./helpers/jobs-harness";
import { createSentinelHarness } from "./helpers/sentinel-harness";
import { startSentinelSet, type SentinelSet } from "./helpers/sentinel-set";

const requester: Actor = { userId: "UREQ" };

/**
 * Issue 15 point 2, the cheap half (the SIGKILL failovers are the chaos row
 * "Redis failover under Sentinel"): a primary, a replica and one sentinel
 * (quorum 1); the engine and a worker connect through the sentinel from the
 * environment the product reads. The primary is SIGKILLed mid-step; the
 * sentinel promotes the replica, the engine and the worker follow it, and the
 * run ends with every line once.
 */
describe("Redis through Sentinel", () => {
  let set: SentinelSet;
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    set = await startSentinelSet({ sentinels: 1, quorum: 1 });
    h = await createSentinelHarness("sentinel", { c1: "{}" }, set);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-sentinel-run-"));
  });
  afterAll(async () => {
    await h.close();
    await set.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("connects through the sentinel and follows the new primary after the old one is killed mid-step", async () => {
    const file = path.join(dir, "steps.log");
    const marker = path.join(dir, "go");
    const append = (n: number, host: string, before = "true") => ({
      id: `append-${n}`,
      kind: "exec" as const,
      targets: [{ host, command: `${before}; echo ${shellQuote(`line-${n}`)} >> ${shellQuote(file)}` }],
    });
    const plan = testPlan("c1", [append(0, "h2"), append(1, "h3", `while [ ! -f ${shellQuote(marker)} ]; do sleep 0.05; done`), append(2, "h4")]);
    await h.startWorker();
    const run = await h.engine.start(plan, requester);
    await waitForRun(h.engine, run.id, (r) => r.steps[1]?.state === "running");

    const before = await set.primaryPort();
    const primary = new Redis({ host: "127.0.0.1", port: before });
    const names = ((await primary.client("LIST")) as string).split("\n").map((l) => /name=(\S*)/.exec(l)?.[1] ?? "");
    primary.disconnect();
    // The engine's and the worker's connections reached the primary through the sentinel.
    expect(names).toEqual(expect.arrayContaining(["intervene-engine", expect.stringMatching(/^intervene-worker-w.*-steps$/)]));

    await set.servers.get(before)!.stop("SIGKILL");
    const after = await set.waitForNewPrimary(before);
    expect(after).not.toBe(before);
    fs.writeFileSync(marker, "");

    const done = await waitForRun(h.engine, run.id, (r) => r.state !== "running", 45_000);
    expect(done.state).toBe("succeeded");
    expect(fs.readFileSync(file, "utf8").trim().split("\n")).toEqual(["line-0", "line-1", "line-2"]);
    expect((await h.engine.audit(run.id)).filter((e) => e.type === "interrupted")).toEqual([]);
    // The record is read from the new primary: a new start works there too.
    const next = await h.engine.start(testPlan("c1", [append(3, "h2")]), requester);
    expect((await waitForRun(h.engine, next.id, (r) => r.state === "succeeded")).state).toBe("succeeded");
  });
});
