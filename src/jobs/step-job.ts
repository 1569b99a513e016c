import type { RunRecord } from "./run-types";

/**
 * The run record as the write that enqueued the job committed it, with that
 * write's id (`w`, RunStore): the worker starts from it instead of reading
 * the run (issue 13: one round trip less per run). Its compare-and-set
 * still checks version and write id, so a record changed meanwhile is read
 * and computed again as after any conflict. Carried by a run's first job
 * only, and only when small (`CARRIED_RECORD_MAX_BYTES`); the worker takes
 * it off the job when its delivery ends, so completed jobs kept for their
 * ids hold no copy of the record.
 */
export interface CarriedRecord {
  readonly run: RunRecord;
  readonly writeId: string;
}

/** Larger records are not carried: the job would cost more to store and move than the read it saves. */
export const CARRIED_RECORD_MAX_BYTES = 16 * 1024;

/** A step job's payload; its BullMQ id is `${runId}:${stepIndex}:${attempt}`, so re-enqueueing the same attempt is a no-op. */
export interface StepJobData {
  readonly runId: string;
  readonly stepIndex: number;
  readonly attempt: number;
  readonly record?: CarriedRecord;
}

export interface ExpiryJobData {
  readonly runId: string;
  readonly stepIndex: number | null;
  readonly attempt: number;
}

export const STEP_QUEUE = "steps";
export const CONTROL_QUEUE = "control";

export function stepJobId(data: StepJobData): string {
  return `${data.runId}:${data.stepIndex}:${data.attempt}`;
}

export function expiryJobId(data: ExpiryJobData): string {
  return `expire-${data.runId}-${data.stepIndex ?? "run"}-${data.attempt}`;
}
