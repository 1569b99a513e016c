import type { RunRecord } from "../run-types";
import type { Effect, RunDraft } from "./run-draft";

export interface StepRef {
  readonly stepIndex: number;
  readonly attempt: number;
}

/**
 * Issue 13 point 2: when the transition that finished step `finishedIndex`
 * queued the next step to run at once (no gate, no wait, no backoff), the job
 * that ran this one carries it instead of handing it to the queue: the
 * enqueue effect is dropped and the step records its carrier, in the same
 * compare-and-set. Exactly-once stays with the step records: a carrier that
 * dies is redelivered (BullMQ's stalled-job check) and resumes from them
 * (`carriedStep`), and the reconciler leaves a carried step to a live carrier.
 */
export function carryNextStep(draft: RunDraft, finishedIndex: number, jobId: string): StepRef | undefined {
  const enqueues = draft.effects.filter((e): e is Extract<Effect, { type: "enqueue-step" }> => e.type === "enqueue-step");
  const next = enqueues[0];
  if (enqueues.length !== 1 || next === undefined || next.stepIndex !== finishedIndex + 1 || next.delayMs > 0) return undefined;
  draft.effects.splice(draft.effects.indexOf(next), 1);
  draft.patchStep(next.stepIndex, { carrier: { jobId, attempt: next.attempt } });
  return { stepIndex: next.stepIndex, attempt: next.attempt };
}

/** The step `jobId` carries now, if any: the cursor step, queued or running, in the attempt it was handed over for. */
export function carriedStep(run: RunRecord, jobId: string): StepRef | undefined {
  const record = run.steps[run.cursor];
  if (record?.carrier === undefined || record.carrier.jobId !== jobId || record.carrier.attempt !== record.attempt) return undefined;
  return record.state === "queued" || record.state === "running" ? { stepIndex: run.cursor, attempt: record.attempt } : undefined;
}

/**
 * Takes the claim of `jobId` off its carried step, in the caller's
 * compare-and-set, and with `requeue` hands the step (not yet begun) to its
 * own job. After this a redelivery of the old carrier finds no claim
 * (`carriedStep`), so it can never take a step another job now runs.
 * Returns whether there was such a claim.
 */
export function releaseCarriedStep(draft: RunDraft, jobId: string, requeue: boolean): boolean {
  const carried = carriedStep(draft.run, jobId);
  if (carried === undefined) return false;
  const record = draft.run.steps[carried.stepIndex]!;
  if (requeue && record.state !== "queued") return false;
  const { carrier: _released, ...rest } = record;
  draft.run = { ...draft.run, steps: draft.run.steps.map((s) => (s.index === carried.stepIndex ? rest : s)) };
  if (requeue) draft.effects.push({ type: "enqueue-step", stepIndex: carried.stepIndex, attempt: carried.attempt, delayMs: 0 });
  return true;
}
