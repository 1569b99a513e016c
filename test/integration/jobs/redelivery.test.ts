import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Redis from "ioredis";
import type { Actor } from "../../../src/jobs";
import { redisKeys } from "../../../src/jobs/store/redis-keys";
import { STEP_QUEUE, stepJobId } from "../../../src/jobs/step-job";
import { shellQuote } from "../../../src/util/shell-quote";
import { eventuallyTrue } from "../../helpers/eventually";
import { createHarness, isSettled, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";

const requester: Actor = { userId: "UREQ" };

/**
 * After a Redis outage BullMQ can hand a worker the same step job again while
 * its first delivery still runs (seen in the chaos row "Redis failover under
 * Sentinel": the second delivery marked the step interrupted 124 ms after the
 * first began it, and the operator's retry ran the append twice). Here the
 * job's lock is taken away mid-step, so BullMQ's own stalled check hands the
 * job out again, to the same (only) worker.
 */
describe("a step job delivered again while its first delivery runs", () => {
  let h: Harness;
  let dir: string;
  let redis: Redis;

  beforeAll(async () => {
    h = createHarness("redelivery", { c1: "{}" });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-redelivery-"));
    await h.startWorker({ stalledIntervalMs: 100, lockDurationMs: 30_000 });
    redis = new Redis(h.redisUrl);
  });
  afterAll(async () => {
    redis.disconnect();
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("waits for the first delivery instead of calling its step interrupted: the step runs once and the run succeeds", async () => {
    const file = path.join(dir, "lines");
    const run = await h.engine.start(
      testPlan("c1", [{ id: "append", kind: "exec", idempotent: false, targets: [{ host: "h2", command: `sleep 1.5; echo once >> ${shellQuote(file)}` }] }]),
      requester,
    );
    await waitForRun(h.engine, run.id, (r) => r.steps[0]!.state === "running");
    const jobKey = `${redisKeys(h.prefix).bullPrefix}:${STEP_QUEUE}:${stepJobId({ runId: run.id, stepIndex: 0, attempt: 1 })}`;
    // The lock lapses (as it does when Redis is away longer than its TTL): the stalled check hands the job out again.
    await redis.del(`${jobKey}:lock`);
    await eventuallyTrue("BullMQ delivered the job again", async () => Number(await redis.hget(jobKey, "stc")) > 0 || Number(await redis.hget(jobKey, "atm")) > 1, 10_000, 20);
    const done = await waitForRun(h.engine, run.id, isSettled, 20_000);
    expect(done.state).toBe("succeeded");
    expect(done.steps[0]!.state).toBe("succeeded");
    expect(fs.readFileSync(file, "utf8")).toBe("once\n");
    expect((await h.engine.audit(run.id)).filter((e) => e.type === "interrupted")).toHaveLength(0);
  });
});

/** A harness, a scratch directory and a Redis client for one describe block; the first worker's settings. */
function twoWorkerBed(name: string): { readonly h: () => Harness; readonly dir: () => string; readonly redis: () => Redis; startFirst(): Promise<void>; handToSecond(runId: string): Promise<void> } {
  let h: Harness;
  let dir: string;
  let redis: Redis;
  // Busy with the step (one job at a time), the first worker leaves the job's next delivery to the second.
  const settings = { concurrency: 1, stalledIntervalMs: 100, lockDurationMs: 30_000, stepLeaseMs: 3000 };
  beforeAll(() => {
    h = createHarness(name, { c1: "{}" });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-redelivery-"));
    redis = new Redis(h.redisUrl);
  });
  afterAll(async () => {
    redis.disconnect();
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    h: () => h,
    dir: () => dir,
    redis: () => redis,
    startFirst: async () => void (await h.startWorker({ ...settings, workerId: "first" })),
    /** Starts the second worker, takes the job's lock away, and waits until BullMQ handed the job to the second. */
    async handToSecond(runId: string) {
      await h.startWorker({ ...settings, workerId: "second" });
      const jobKey = `${redisKeys(h.prefix).bullPrefix}:${STEP_QUEUE}:${stepJobId({ runId, stepIndex: 0, attempt: 1 })}`;
      await redis.del(`${jobKey}:lock`);
      // BullMQ records the worker that took the job last (`pb`): the second one.
      await eventuallyTrue("BullMQ handed the job to the second worker", async () => (await redis.hget(jobKey, "pb")) === "second", 10_000, 20);
    },
  };
}

/**
 * The same, with the job handed to another worker process while the first
 * still runs the step (issue 13): after an outage longer than BullMQ's job
 * lock, its stalled check hands the job to any worker. The first worker's
 * execution lease (step-lease.ts) makes the second wait for it instead of
 * calling the step interrupted. Two workers in one test process stand for
 * two processes: each has its own connections and deliveries.
 */
describe("a step job delivered to another worker while the first still runs it", () => {
  const bed = twoWorkerBed("redelivery-elsewhere");

  it("the second worker waits while the first holds the step's lease: the step runs once, is never interrupted, and the run succeeds", async () => {
    const h = bed.h();
    const file = path.join(bed.dir(), "lines");
    await bed.startFirst();
    const run = await h.engine.start(
      testPlan("c1", [{ id: "append", kind: "exec", idempotent: false, targets: [{ host: "h2", command: `sleep 2; echo once >> ${shellQuote(file)}` }] }]),
      requester,
    );
    await waitForRun(h.engine, run.id, (r) => r.steps[0]!.state === "running");
    expect(await bed.redis().get(redisKeys(h.prefix).stepLease(run.id, 0, 1))).toMatch(/^worker:first:/);
    await bed.handToSecond(run.id);
    const done = await waitForRun(h.engine, run.id, isSettled, 20_000);
    expect(done.state).toBe("succeeded");
    expect(done.steps[0]!.state).toBe("succeeded");
    expect(fs.readFileSync(file, "utf8")).toBe("once\n");
    const audit = await h.engine.audit(run.id);
    expect(audit.filter((e) => e.type === "interrupted")).toHaveLength(0);
    expect(audit.filter((e) => e.type === "step.started")).toHaveLength(1);
    // The lease went with the step's result.
    expect(await bed.redis().exists(redisKeys(h.prefix).stepLease(run.id, 0, 1))).toBe(0);
  });
});

/**
 * The same while the first worker carries the job on to the run's next
 * steps (one job per segment): the second delivery waited on the lease of
 * the step it found running, and once that step was done it found the next
 * one `running`, begun by the first worker in the same write as the result,
 * and called it interrupted without looking at that step's lease (a full
 * `npm run chaos`, ordered Sentinel failover: a step run twice after the
 * harness retried it). It must wait for each step the first worker carries.
 */
describe("a step job delivered to another worker while the first carries it through later steps", () => {
  const bed = twoWorkerBed("redelivery-carried");

  it("the second worker waits for every carried step: each runs once, none is interrupted, and the run succeeds", async () => {
    const h = bed.h();
    const file = path.join(bed.dir(), "lines");
    await bed.startFirst();
    const append = (i: number) => ({ id: `append-${i}`, kind: "exec" as const, idempotent: false, targets: [{ host: "h2", command: `sleep 1; echo ${i} >> ${shellQuote(file)}` }] });
    const run = await h.engine.start(testPlan("c1", [append(0), append(1), append(2)]), requester);
    await waitForRun(h.engine, run.id, (r) => r.steps[0]!.state === "running");
    await bed.handToSecond(run.id);
    const done = await waitForRun(h.engine, run.id, isSettled, 30_000);
    const audit = await h.engine.audit(run.id);
    expect(audit.filter((e) => e.type === "interrupted")).toEqual([]);
    expect(done.state).toBe("succeeded");
    expect(fs.readFileSync(file, "utf8")).toBe("0\n1\n2\n");
    expect(audit.filter((e) => e.type === "step.started").map((e) => e.stepIndex)).toEqual([0, 1, 2]);
  });
});
