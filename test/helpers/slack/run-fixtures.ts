import { createHash } from "node:crypto";
import type { RunRecord, StepRecord } from "../../../src/jobs/run-types";
import type { Plan } from "../../../src/procedures/model/plan";
import type { PlannedStep } from "../../../src/procedures/model/step";
import type { StepFields } from "../step-fields";

/** Hand-built plans and run records for bot tests (the real planner and engine are other layers' subjects). */
export function makeStep(index: number, overrides: StepFields = {}): PlannedStep {
  return {
    index,
    id: `step-${index}`,
    title: `Step ${index + 1}: stop leo_manager_1`,
    kind: "exec",
    cite: "seed 000 §1",
    destructive: false,
    idempotent: false,
    targets: [{ host: "leofs-m1", command: `/usr/local/leofs/current/leo_manager_1/bin/leo_manager stop # ${index}` }],
    parallel: null,
    timeoutMs: 60_000,
    retries: { max: 0, backoffMs: 0 },
    onFailure: "pause",
    ...overrides,
  } as PlannedStep;
}

export function makePlan(stepCount = 4, overrides: Partial<Plan> = {}, stepOverrides: (i: number) => StepFields = (i) => ({ destructive: i % 2 === 1 })): Plan {
  const steps = Array.from({ length: stepCount }, (_, i) => makeStep(i, stepOverrides(i)));
  const base = {
    procedureId: "leofs.recover-manager",
    procedureTitle: "Recover manager-slave",
    cluster: "prod",
    clusterKind: "leofs" as const,
    params: { target: "manager-slave" },
    steps,
    ...overrides,
  };
  const planHash = overrides.planHash ?? createHash("sha256").update(JSON.stringify({ ...base, planHash: undefined })).digest("hex");
  return { ...base, planHash };
}

export function makeRun(plan: Plan, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: "run-20260101-0001",
    version: 1,
    state: "running",
    plan,
    requestedBy: "U0REQUESTER",
    requestedAt: "2026-01-01T10:00:00.000Z",
    startedAt: "2026-01-01T10:00:01.000Z",
    cursor: 0,
    steps: plan.steps.map((s): StepRecord => ({ index: s.index, state: "pending", attempt: 1, outputs: [], approvals: [] })),
    ...overrides,
  };
}

/** The run with step `index` changed (and version bumped), as the engine would store it. */
export function withStep(run: RunRecord, index: number, patch: Partial<StepRecord>, runPatch: Partial<RunRecord> = {}): RunRecord {
  return {
    ...run,
    version: run.version + 1,
    steps: run.steps.map((s) => (s.index === index ? { ...s, ...patch } : s)),
    ...runPatch,
  };
}
