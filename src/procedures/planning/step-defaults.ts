import type { StepKind } from "../model/step";

/**
 * Per-kind timeouts when a step does not set one. A `wait` step's own timeout
 * is its delay (or poll window) plus `WAIT_GRACE_MS`.
 * @defaultValue exec 5 min, copy 30 min, check 1 min, confirm 24 h
 */
export const DEFAULT_TIMEOUT_MS: Readonly<Record<Exclude<StepKind, "wait">, number>> = {
  exec: 5 * 60_000,
  copy: 30 * 60_000,
  check: 60_000,
  confirm: 24 * 60 * 60_000,
};

export const WAIT_GRACE_MS = 60_000;

/** Read-only kinds are safe to re-run after a crash; anything that changes a host is not, unless the procedure says so. */
export function defaultIdempotent(kind: StepKind, destructive: boolean): boolean {
  if (destructive) return false;
  return kind === "check" || kind === "wait" || kind === "confirm";
}
