import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Actor } from "../../../src/jobs";
import { shellQuote } from "../../../src/util/shell-quote";
import { startRedisServer, type RedisServerHandle } from "../../../sim/process/redis-server";
import { createHarness, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";

const requester: Actor = { userId: "UREQ" };
const approver: Actor = { userId: "UAPP1" };

describe("Redis restarted in the middle of a run", () => {
  let redis: RedisServerHandle;
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    redis = await startRedisServer({ appendonly: true });
    h = createHarness("restart", { c1: "{}" }, redis.url);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-restart-"));
  });
  afterAll(async () => {
    await h.close();
    await redis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(redis.dir, { recursive: true, force: true });
  });

  it("completes the run with every step done exactly once, gates and audit intact", async () => {
    const file = path.join(dir, "steps.log");
    const append = (n: number, host: string) => ({
      id: `append-${n}`,
      kind: "exec" as const,
      targets: [{ host, command: `sleep 0.15; echo ${shellQuote(`line-${n}`)} >> ${shellQuote(file)}` }],
    });
    const plan = testPlan("c1", [
      append(0, "h2"),
      append(1, "h3"),
      append(2, "h4"),
      append(3, "h2"),
      { ...append(4, "h3"), destructive: true },
      append(5, "h4"),
      append(6, "h2"),
      append(7, "h3"),
    ]);
    await h.startWorker();
    const run = await h.engine.start(plan, requester);

    // First restart while steps are running.
    await waitForRun(h.engine, run.id, (r) => r.cursor >= 2);
    await redis.restart("SIGTERM");
    // Second restart while the run waits at its gate: the gate survives and can be approved afterwards.
    const gated = await waitForRun(h.engine, run.id, (r) => r.state === "awaiting_approval");
    await redis.restart("SIGTERM");
    await h.engine.approve({ runId: run.id, stepIndex: 4, attempt: gated.steps[4]!.attempt, planHash: plan.planHash }, approver);

    const done = await waitForRun(h.engine, run.id, (r) => r.state !== "running" && r.state !== "awaiting_approval", 30_000);
    expect(done.state).toBe("succeeded");
    expect(done.steps.map((s) => s.state)).toEqual(Array(8).fill("succeeded"));
    expect(fs.readFileSync(file, "utf8").trim().split("\n")).toEqual(Array.from({ length: 8 }, (_, i) => `line-${i}`));
    const audit = await h.engine.audit(run.id);
    expect(audit.filter((e) => e.type === "step.finished").map((e) => e.stepIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(audit.filter((e) => e.type === "interrupted")).toEqual([]);
    expect(await h.engine.store.lockHolder("c1")).toBeUndefined();
  });
});
