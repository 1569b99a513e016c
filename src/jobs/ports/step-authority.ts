import type { RunRecord } from "../run-types";

/**
 * The worker's own judgement of a step it is about to run, from what it
 * trusts (its procedures, its inventory, INTERVENE_SECRET) rather than from
 * the run record it read from Redis.
 */
export interface StepAuthority {
  /** Why this worker refuses to run the step; undefined when it may run. */
  refusal(run: RunRecord, stepIndex: number): string | undefined;
  /**
   * Does ahead the costly part of `refusal` that depends on the plan alone,
   * while the write that begins the step is on its way; `refusal` finds it
   * done. Never refuses by itself: `refusal` still decides.
   */
  prepare?(run: RunRecord): void;
}
