import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import Redis from "ioredis";
import type { Actor } from "../../../src/jobs";
import { redisKeys } from "../../../src/jobs/store/redis-keys";
import { STEP_QUEUE, stepJobId } from "../../../src/jobs/step-job";
import { shellQuote } from "../../../src/util/shell-quote";
import { createHarness, isSettled, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";

const requester: Actor = { userId: "UREQ" };
const q = (p: string): string => shellQuote(p);

/**
 * Issue 13 point 2: one BullMQ job per segment between gates. The job of a
 * step goes on to the next step when nothing comes between (no gate, no
 * wait); each step's begin and result are still written on their own, and a
 * reconciler running all the while does not take a carried step for a lost one.
 */
describe("a segment of steps in one job", () => {
  let h: Harness;
  let dir: string;
  let redis: Redis;
  let queue: Queue;

  beforeAll(async () => {
    h = createHarness("segments", { c1: "{}" });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-segments-"));
    // The reconciler runs every 100 ms: a carried step must not look lost to it.
    await h.startWorker({ reconcileIntervalMs: 100 });
    redis = new Redis(h.redisUrl, { maxRetriesPerRequest: null });
    queue = new Queue(STEP_QUEUE, { connection: redis, prefix: redisKeys(h.prefix).bullPrefix });
  });
  afterAll(async () => {
    await queue.close();
    redis.disconnect();
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("runs the steps up to a gate in the first step's job, each once, and the steps after the gate in a new one", async () => {
    const file = path.join(dir, "lines");
    const append = (n: number, extra = "") => ({ id: `append-${n}`, kind: "exec" as const, targets: [{ host: "h2", command: `${extra}echo ${n} >> ${q(file)}` }] });
    const plan = testPlan("c1", [append(0), append(1, "sleep 0.5; "), append(2), { ...append(3), destructive: true }, append(4)]);
    const run = await h.engine.start(plan, requester);
    const atGate = await waitForRun(h.engine, run.id, (r) => r.state === "awaiting_approval" || isSettled(r));
    expect(atGate.state).toBe("awaiting_approval");
    const first = stepJobId({ runId: run.id, stepIndex: 0, attempt: 1 });
    expect(atGate.steps.slice(0, 3).map((s) => [s.state, s.carrier?.jobId])).toEqual([
      ["succeeded", undefined],
      ["succeeded", first],
      ["succeeded", first],
    ]);
    for (const i of [1, 2, 3]) expect(await queue.getJob(stepJobId({ runId: run.id, stepIndex: i, attempt: 1 }))).toBeUndefined();

    await h.engine.approve({ runId: run.id, stepIndex: 3, attempt: 1, planHash: run.plan.planHash }, { userId: "UAPP1" });
    const done = await waitForRun(h.engine, run.id, isSettled);
    expect(done.state).toBe("succeeded");
    expect(fs.readFileSync(file, "utf8")).toBe("0\n1\n2\n3\n4\n");
    // After the gate, step 3 has its own job and carries step 4.
    expect(done.steps[4]!.carrier?.jobId).toBe(stepJobId({ runId: run.id, stepIndex: 3, attempt: 1 }));
    expect((await h.engine.audit(run.id)).filter((e) => e.type === "interrupted")).toEqual([]);
  });
});
