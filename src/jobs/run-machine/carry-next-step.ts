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
