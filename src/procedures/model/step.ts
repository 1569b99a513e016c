/**
 * Glossary (after graphile/worker's habit of naming things once, at the top):
 * - Procedure: a runbook as data (`ProcedureDefinition`): parameters + a step builder.
 * - Plan: the procedure rendered for one cluster and one set of parameters:
 *   ordered concrete steps with hosts and exact commands, hashed (`planHash`).
 * - Step: one unit the engine gates, queues, runs and records.
 * - Target: one host a step acts on, with the command rendered for it.
 * - Capture: a value a step extracts from its output (e.g. epmd pids) that a
 *   later step's command uses; values are validated and shell-quoted when
 *   substituted, and the resolved command is what the approver sees.
 */

export type StepKind = "exec" | "copy" | "check" | "wait" | "confirm";

/** What the run does when a step fails after its retries. */
export type OnFailure = "pause" | "abort";

/** Data, never code: stored with the plan, hashed, evaluated by `evaluateExpectation`. */
export type Expectation =
  | { readonly type: "exit-zero" }
  | { readonly type: "exit-code"; readonly codes: readonly number[] }
  | { readonly type: "stdout-includes"; readonly text: string }
  | { readonly type: "stdout-excludes"; readonly text: string }
  | { readonly type: "stdout-matches"; readonly pattern: string; readonly flags?: string }
  | { readonly type: "stdout-empty" }
  | { readonly type: "no-leofs-error" }
  /** No per-node `ERROR`/`PENDING` line (`rebalance`, `start`): they can stand under an overall `OK`. */
  | { readonly type: "no-leofs-node-errors" }
  /** `leofs-adm version all` lists each of `nodes` at `version` (issue 11 point 4). */
  | { readonly type: "leofs-versions"; readonly nodes: readonly string[]; readonly version: string }
  | { readonly type: "leofs-status"; readonly condition: LeofsStatusCondition }
  | { readonly type: "all"; readonly of: readonly Expectation[] };

/** Conditions over a parsed `leofs-adm status` (reference §1). */
export type LeofsStatusCondition =
  | { readonly kind: "nodes-in-state"; readonly nodes: readonly string[]; readonly states: readonly string[] }
  | { readonly kind: "all-in-state"; readonly nodeType: "S" | "G" | "any"; readonly states: readonly string[] }
  | { readonly kind: "node-absent"; readonly node: string }
  | { readonly kind: "rings-consistent" }
  /** The manager would accept this storage operation now (reference §1/§3 preconditions, `storage-preconditions.ts`). */
  | { readonly kind: "operation-allowed"; readonly operation: "detach" | "rebalance" | "suspend" | "resume"; readonly node?: string };

/** A value extracted from a target's stdout for later steps (e.g. `pgrep -a epmd` pids). */
export interface Capture {
  readonly name: string;
  /** Global regex; group 1 of each match is one value. */
  readonly pattern: string;
  /** Every captured value must match this (anchored) or the step fails: keeps odd text out of later commands. */
  readonly valuePattern: string;
}

/**
 * Run the step only when an earlier step captured something: when every
 * named capture is empty the engine marks it skipped, with `reason`, and
 * asks nobody to approve it (a TERM for agents that all ended by themselves).
 */
export interface RunIf {
  readonly anyCapture: readonly string[];
  /** Why it is not needed when they are empty, in operator language. */
  readonly reason: string;
}

/** A copy the step leaves on a host, listed in the run's final summary. */
export interface BackupTaken {
  readonly host: string;
  readonly path: string;
  /** What it holds, e.g. "manager-slave's Mnesia files before the copy". */
  readonly what: string;
}

export interface PlannedTarget {
  /** Inventory host name. */
  readonly host: string;
  /** Exact shell command for exec/check/wait-poll; may hold `{{capture}}` placeholders. */
  readonly command?: string;
}

export interface CopySpec {
  readonly fromHost: string;
  readonly fromPath: string;
  readonly toHost: string;
  readonly toPath: string;
}

export interface WaitSpec {
  /** A plain delay; or with `poll`, the longest time to keep polling. */
  readonly delayMs: number;
  readonly poll?: { readonly intervalMs: number; readonly expect: Expectation };
}

/** What every kind of step has. */
export interface StepCommon {
  readonly index: number;
  /** Stable slug, unique in the plan (e.g. `stop-manager-slave`). */
  readonly id: string;
  readonly title: string;
  /** The seed section or reference fact this step implements. */
  readonly cite: string;
  /** Where the seed is wrong or vague: what we do instead and why. */
  readonly note?: string;
  readonly destructive: boolean;
  /** Safe to run again after a crash mid-step. */
  readonly idempotent: boolean;
  readonly targets: readonly PlannedTarget[];
  /** null: one target after the other. */
  readonly parallel: { readonly limit: number } | null;
  readonly timeoutMs: number;
  readonly retries: { readonly max: number; readonly backoffMs: number };
  readonly onFailure: OnFailure;
  readonly expect?: Expectation;
  readonly captures?: readonly Capture[];
  /** Extra text shown with the approval request (e.g. a config diff). */
  readonly approvalDetail?: string;
  readonly runIf?: RunIf;
  /**
   * Past this step there is no automatic way back: the state the cluster is
   * in once it ran, and how to go back by hand. Shown when the run stops at
   * or after it (until a later step's own text applies), and in the summary.
   */
  readonly rollback?: string;
  readonly backups?: readonly BackupTaken[];
}

/** Runs each target's command; `check` is an exec that only reads, and whose failure an approver may skip. */
export interface ExecStep extends StepCommon {
  readonly kind: "exec" | "check";
}

/** Streams a file from one host to another through the worker (no host-to-host trust needed). */
export interface CopyStep extends StepCommon {
  readonly kind: "copy";
  readonly copy: CopySpec;
}

/** A delay, or a poll of each target's command until its expectation holds. */
export interface WaitStep extends StepCommon {
  readonly kind: "wait";
  readonly wait: WaitSpec;
}

/** A human check: the run stops until someone confirms. */
export interface ConfirmStep extends StepCommon {
  readonly kind: "confirm";
  /** What the human checks before continuing. */
  readonly prompt: string;
}

/**
 * A step of a plan, keyed by its kind: each kind carries what it needs and
 * nothing else, so the step runner is an interpreter with exhaustive cases.
 */
export type PlannedStep = ExecStep | CopyStep | WaitStep | ConfirmStep;
