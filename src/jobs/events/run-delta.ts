import type { RunRecord, StepRecord } from "../run-types";

/**
 * What one transition changed in a run (issue 13 point 3): the top-level
 * fields it set or removed and the step records it replaced, against the
 * version it was computed from. The plan and the untouched steps, most of a
 * record, are not sent again.
 */
export interface RunDelta {
  readonly id: string;
  /** The version this delta applies to. */
  readonly base: number;
  readonly version: number;
  readonly set: Readonly<Partial<Record<keyof RunRecord, unknown>>>;
  readonly unset: readonly (keyof RunRecord)[];
  readonly steps: readonly StepRecord[];
  /** How many steps the run has: a view with another count is not the base. */
  readonly stepCount: number;
}

/**
 * A transition's change, found by reference: RunDraft builds the next record
 * by copying only what changes (`patch`, `patchStep`), so an untouched field
 * or step is the very object of the record it started from.
 */
export function runDelta(previous: RunRecord, next: RunRecord): RunDelta {
  const set: Partial<Record<keyof RunRecord, unknown>> = {};
  const unset: (keyof RunRecord)[] = [];
  const keys = new Set([...Object.keys(previous), ...Object.keys(next)] as (keyof RunRecord)[]);
  for (const key of keys) {
    if (key === "steps" || key === "version" || key === "id" || next[key] === previous[key]) continue;
    if (next[key] === undefined) unset.push(key);
    else set[key] = next[key];
  }
  const steps = next.steps.length === previous.steps.length ? next.steps.filter((s, i) => s !== previous.steps[i]) : next.steps;
  return { id: next.id, base: previous.version, version: next.version, set, unset, steps, stepCount: next.steps.length };
}

/**
 * The view moved on by `delta`, or undefined when the view is not the version
 * the delta was computed from (a message was missed: the caller reads the
 * run instead). Unchanged parts stay shared with `view`.
 */
export function applyRunDelta(view: RunRecord, delta: RunDelta): RunRecord | undefined {
  if (view.id !== delta.id || view.version !== delta.base || view.steps.length !== delta.stepCount) return undefined;
  const next: Record<string, unknown> = { ...view, ...delta.set, version: delta.version };
  for (const key of delta.unset) delete next[key];
  if (delta.steps.length > 0) {
    const steps = view.steps.slice();
    for (const step of delta.steps) {
      if (step.index < 0 || step.index >= steps.length) return undefined;
      steps[step.index] = step;
    }
    next.steps = steps;
  }
  return next as unknown as RunRecord;
}
