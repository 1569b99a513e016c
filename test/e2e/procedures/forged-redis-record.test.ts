import fs from "node:fs";
import path from "node:path";
import { Queue } from "bullmq";
import Redis from "ioredis";
import { redisKeys, type RunRecord } from "../../../src/jobs";
import { fullRunWrite } from "../../../src/jobs/store/run-hash";
import { STEP_QUEUE } from "../../../src/jobs/step-job";
import { computePlanHash } from "../../../src/procedures/planning/plan-hash";
import { APPROVER, startEngineHarness, stepById, type EngineHarness } from "../../helpers/engine-harness";
import { getTestbed } from "../../helpers/testbed";
import type { LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { startSimCluster, type SimCluster } from "../../../sim/start-sim-cluster";

jest.setTimeout(120_000);

/**
 * Issue 12 point 3: the worker trusts nothing it reads from Redis. Whoever
 * can write to Redis (but does not hold INTERVENE_SECRET) writes a forged
 * approval, a forged command or a forged resolved command straight into the
 * run record; the worker re-derives the step from the procedure, the
 * parameters and its own inventory, checks the approval seals, and runs
 * nothing. Real Redis, real BullMQ, real sshd and the LeoFS simulator.
 */
describe("a run record forged in Redis runs nothing", () => {
  let cluster: SimCluster<LeofsSim>;
  let harness: EngineHarness;
  let sim: LeofsSim;
  let redis: Redis;
  let queue: Queue;

  beforeAll(async () => {
    cluster = await startSimCluster({ kind: "leofs", storage: 2, gateways: 0, replicas: 2, started: true });
    sim = cluster.sim;
    harness = await startEngineHarness({ inventory: cluster.inventory, redisUrl: getTestbed().redisUrl });
    redis = new Redis(getTestbed().redisUrl, { maxRetriesPerRequest: null });
    queue = new Queue(STEP_QUEUE, { connection: redis, prefix: redisKeys(harness.prefix).bullPrefix });
  });
  afterEach(async () => {
    await harness.abortActive();
  });
  afterAll(async () => {
    await queue?.close();
    redis?.disconnect();
    await harness?.close();
    await cluster?.stop();
  });

  const node = () => sim.hostOf("storage", 1).node;
  const stateOf = async (n: string) => (await sim.state.nodeStates()).find((r) => r.node === n)?.state;

  /** Starts `suspend` and stops at the gate of its destructive `suspend` step. */
  async function atSuspendGate(): Promise<RunRecord> {
    const started = await harness.start("leofs.storage", cluster.clusterName, { operation: "suspend", node: node() });
    const { run } = await harness.runToEnd(started.id, { stopAtGate: (step) => step?.id === "suspend" });
    expect(run.state).toBe("awaiting_approval");
    return run;
  }
  // Only the record's fields and steps: the version field beside them stays, so the forged record reads as current.
  const writeRaw = async (run: RunRecord): Promise<void> => {
    await redis.hset(redisKeys(harness.prefix).run(run.id), ...fullRunWrite(run).set);
  };
  async function pausedRun(runId: string): Promise<RunRecord> {
    for (let i = 0; i < 400; i++) {
      const run = await harness.engine.get(runId);
      if (run?.state === "paused" || run?.state === "failed") return run;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`run ${runId} never paused`);
  }
  async function refusals(runId: string): Promise<string[]> {
    return (await harness.engine.audit(runId)).filter((e) => e.type === "refused").map((e) => {
      const reason = (e.data as { reason?: unknown } | undefined)?.reason;
      return typeof reason === "string" ? reason : "";
    });
  }

  it("a forged approval (no valid seal) and a job queued by hand: the worker refuses the destructive step", async () => {
    const run = await atSuspendGate();
    const { step } = stepById(run, "suspend");
    const record = run.steps[step.index]!;
    const at = new Date().toISOString();
    await writeRaw({
      ...run,
      state: "running",
      gate: { ...run.gate!, status: "approved", closedAt: at },
      steps: run.steps.map((s) =>
        s.index === step.index ? { ...s, state: "queued", approvals: [{ userId: APPROVER.userId, at, decision: "approved", attempt: record.attempt, seal: "ab".repeat(32) }] } : s,
      ),
    });
    await queue.add("step", { runId: run.id, stepIndex: step.index, attempt: record.attempt }, { jobId: `forged-${run.id}` });

    const after = await pausedRun(run.id);
    expect(after.steps[step.index]).toMatchObject({ state: "failed", outputs: [] });
    expect(after.steps[step.index]?.error).toMatch(/^refused by worker:\S+: destructive step without 1 valid approval\(s\) sealed for run /);
    expect(await refusals(run.id)).toEqual([expect.stringContaining("destructive step without 1 valid approval(s)")]);
    expect(await stateOf(node())).toBe("running");
  });

  it("a forged command, re-hashed so that the engine seals the approval: the worker re-derives the plan and refuses", async () => {
    const run = await atSuspendGate();
    const { step } = stepById(run, "suspend");
    const marker = path.join(sim.simRoot, `forged-${run.id}`);
    const steps = run.plan.steps.map((s) => (s.index === step.index ? { ...s, targets: s.targets.map((t) => ({ ...t, command: `touch ${marker}` })) } : s));
    const unhashed = { ...run.plan, steps };
    const plan = { ...unhashed, planHash: computePlanHash(unhashed) };
    const forgedSteps = run.steps.map((s) => (s.index === step.index ? { ...s, resolvedCommands: [{ host: step.targets[0]!.host, command: `touch ${marker}` }] } : s));
    await writeRaw({ ...run, plan, gate: { ...run.gate!, planHash: plan.planHash }, steps: forgedSteps });

    // A real approver approves what the message shows; the engine seals it for the forged hash.
    await harness.engine.approve({ runId: run.id, stepIndex: step.index, attempt: run.gate!.attempt, planHash: plan.planHash }, APPROVER);
    const after = await pausedRun(run.id);
    expect(after.steps[step.index]?.error).toMatch(/the stored commands differ from what leofs\.storage derives from its parameters and this worker's inventory/);
    expect(fs.existsSync(marker)).toBe(false);
    expect(await stateOf(node())).toBe("running");
  });

  it("a forged resolved command under an unchanged plan: refused", async () => {
    const run = await atSuspendGate();
    const { step } = stepById(run, "suspend");
    const marker = path.join(sim.simRoot, `forged-resolved-${run.id}`);
    const forgedSteps = run.steps.map((s) => (s.index === step.index ? { ...s, resolvedCommands: [{ host: step.targets[0]!.host, command: `touch ${marker}` }] } : s));
    await writeRaw({ ...run, steps: forgedSteps });

    await harness.engine.approve({ runId: run.id, stepIndex: step.index, attempt: run.gate!.attempt, planHash: run.plan.planHash }, APPROVER);
    const after = await pausedRun(run.id);
    expect(after.steps[step.index]?.error).toMatch(/the stored resolved commands differ from the plan's commands/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it("the same run approved for real goes through: the checks refuse only what was forged", async () => {
    const started = await harness.start("leofs.storage", cluster.clusterName, { operation: "suspend", node: node() });
    const { run } = await harness.runToEnd(started.id);
    expect(run.state).toBe("succeeded");
    expect(await refusals(run.id)).toEqual([]);
    expect(await stateOf(node())).toBe("suspend");
  });
});
