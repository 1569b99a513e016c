/** A step job's payload; its BullMQ id is `${runId}:${stepIndex}:${attempt}`, so re-enqueueing the same attempt is a no-op. */
export interface StepJobData {
  readonly runId: string;
  readonly stepIndex: number;
  readonly attempt: number;
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
