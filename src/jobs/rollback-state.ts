import type { BackupTaken, PlannedStep } from "../procedures/model/step";
import type { RunRecord, StepState } from "./run-types";

/** A step that started: it may have changed the cluster, even if it did not finish. */
const STARTED: readonly StepState[] = ["running", "succeeded", "failed", "interrupted"];

/**
 * The rollback text that applies to the run now: the one of the latest step
 * that carries one and has started (issue 11 point 13). `undefined` before
 * the run passed any point of no return.
 */
export function currentRollback(run: RunRecord): { readonly step: PlannedStep; readonly text: string } | undefined {
  for (let i = run.plan.steps.length - 1; i >= 0; i--) {
    const step = run.plan.steps[i]!;
    const state = run.steps[i]?.state;
    if (step.rollback !== undefined && state !== undefined && STARTED.includes(state)) return { step, text: step.rollback };
  }
  return undefined;
}

/** Every backup a step of the run made, or may have begun to make (`partial`), in plan order. */
export function backupsTaken(run: RunRecord): readonly (BackupTaken & { readonly stepIndex: number; readonly partial: boolean })[] {
  return run.plan.steps.flatMap((step) => {
    const state = run.steps[step.index]?.state;
    if (step.backups === undefined || state === undefined || !STARTED.includes(state) || state === "running") return [];
    return step.backups.map((b) => ({ ...b, stepIndex: step.index, partial: state !== "succeeded" }));
  });
}
