import { computePlanHash } from "../../../src/procedures";
import type { PlannedStep } from "../../../src/procedures/model/step";
import type { StepFields } from "../../helpers/step-fields";
import type { RunPolicy } from "../../../src/jobs/ports/run-policy";
import { newRunRecord, startRun } from "../../../src/jobs/run-machine/new-run";
import { RunDraft } from "../../../src/jobs/run-machine/run-draft";
import type { RunRecord } from "../../../src/jobs/run-types";

/** Runs and drafts for the state machine's unit tests: real RunDrafts over synthetic plans. */
export const T0 = new Date("2026-01-01T00:00:00Z");
export const policy: RunPolicy = {
  requesters: { users: [], userGroups: [], channelMembers: false },
  approvers: { users: ["UA", "UB"], userGroups: ["SOPS"] },
  minApprovals: 1,
  breakGlass: undefined,
  expiresAfterMs: 60_000,
  mode: "per-step",
};

export function step(index: number, over: StepFields): PlannedStep {
  return {
    index,
    id: `s${index}`,
    title: `step ${index}`,
    kind: "exec",
    cite: "test",
    destructive: false,
    idempotent: false,
    targets: [{ host: "h1", command: "true" }],
    parallel: null,
    timeoutMs: 1000,
    retries: { max: 0, backoffMs: 0 },
    onFailure: "pause",
    ...over,
  } as PlannedStep;
}

export function plan(steps: PlannedStep[]) {
  const unhashed = { procedureId: "p", procedureTitle: "P", cluster: "c", clusterKind: "leofs" as const, params: {}, steps };
  return { ...unhashed, planHash: computePlanHash(unhashed) };
}

export function apply(run: RunRecord, fn: (d: RunDraft) => void, at = T0, p: RunPolicy = policy, actor = "engine"): RunDraft {
  const draft = new RunDraft(run, { now: at, policy: p, actor });
  fn(draft);
  return draft;
}

export function started(steps: PlannedStep[], p: RunPolicy = policy): RunRecord {
  return apply(newRunRecord("r1", plan(steps), "UREQ", T0), startRun, T0, p).run;
}

export const ok = { ok: true, outputs: [], durationMs: 1 };
export const failed = { ok: false, outputs: [], durationMs: 1, error: "exit 1" };
