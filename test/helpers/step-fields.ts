import type { CopySpec, PlannedStep, StepKind, WaitSpec } from "../../src/procedures/model/step";

/**
 * A hand-built step's fields in any combination, for test fixtures: the
 * fields common to every kind, the kind, and each kind's own. `PlannedStep`
 * is a union keyed by kind, so a `Partial` of it cannot say "an exec step
 * with this title"; the fixture casts once it has put the fields together.
 */
export type StepFields = Partial<Omit<PlannedStep, "kind">> & {
  readonly kind?: StepKind;
  readonly copy?: CopySpec;
  readonly wait?: WaitSpec;
  readonly prompt?: string;
};

/** A wait step's spec; undefined for other kinds (tests look steps up by id). */
export function waitOf(step: PlannedStep | undefined): WaitSpec | undefined {
  return step?.kind === "wait" ? step.wait : undefined;
}

/** A copy step's spec; undefined for other kinds. */
export function copyOf(step: PlannedStep | undefined): CopySpec | undefined {
  return step?.kind === "copy" ? step.copy : undefined;
}
