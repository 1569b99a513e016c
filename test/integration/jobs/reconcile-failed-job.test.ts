import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Queue, Worker } from "bullmq";
import Redis from "ioredis";
import type { Actor } from "../../../src/jobs";
import { redisKeys } from "../../../src/jobs/store/redis-keys";
import { STEP_QUEUE, stepJobId } from "../../../src/jobs/step-job";
import { shellQuote } from "../../../src/util/shell-quote";
import { createHarness, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";

const requester: Actor = { userId: "UREQ" };

/**
 * A step job can fail for good before its step began: its start could not be
 * written while Redis was failing over, restarting or full, three times
 * (the job's attempts). The step is then still `queued` and its job
 * `failed`; the reconciler used to re-create only missing jobs, so the run
 * stayed queued forever. Here a consumer that only throws (the real BullMQ,
 * under the engine's queue and prefix) spends the job's attempts; then the
 * product's worker starts, and its reconciler delivers the job again.
 */
describe("a step job that failed for good before its step began", () => {
  let h: Harness;
  let dir: string;

  beforeAll(() => {
    h = createHarness("failed-job", { c1: "{}" });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-failed-job-"));
  });
  afterAll(async () => {
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("is delivered again by the reconciler, and the step runs once", async () => {
    const file = path.join(dir, "steps.log");
    const plan = testPlan("c1", [{ id: "append", kind: "exec", targets: [{ host: "h2", command: `echo once >> ${shellQuote(file)}` }] }]);
    const connection = new Redis(h.redisUrl, { maxRetriesPerRequest: null });
    const prefix = redisKeys(h.prefix).bullPrefix;
    const queue = new Queue(STEP_QUEUE, { connection, prefix });
    const failing = new Worker(STEP_QUEUE, () => Promise.reject(new Error("Redis refused the step's start")), { connection, prefix });
    failing.on("error", () => undefined);
    try {
      const run = await h.engine.start(plan, requester);
      const id = stepJobId({ runId: run.id, stepIndex: 0, attempt: 1 });
      // Three attempts, 0.5 s and 1 s apart (the engine's job options).
      while ((await (await queue.getJob(id))?.getState()) !== "failed") await new Promise((r) => setTimeout(r, 50));
      await failing.close();
      expect((await h.engine.get(run.id))?.steps[0]?.state).toBe("queued");

      await h.startWorker();
      const done = await waitForRun(h.engine, run.id, (r) => r.state === "succeeded");
      expect(done.steps[0]?.state).toBe("succeeded");
      expect(fs.readFileSync(file, "utf8")).toBe("once\n");
    } finally {
      await failing.close();
      await queue.close();
      connection.disconnect();
    }
  });
});
