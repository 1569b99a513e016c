import type { z } from "zod";
import type { ClusterKind } from "./plan";
import type { BackupTaken, Capture, CopySpec, Expectation, OnFailure, RunIf, StepKind, WaitSpec } from "./step";

/**
 * A step as a procedure declares it: the planner fills in the index, resolves
 * the target selector to inventory hosts and applies defaults.
 */
export interface StepTemplate {
  readonly id: string;
  readonly title: string;
  readonly kind: StepKind;
  readonly cite: string;
  readonly note?: string;
  readonly destructive?: boolean; // default false
  readonly idempotent?: boolean; // default: true for check/wait/confirm, false otherwise
  /** One entry per host, with the command rendered for that host (see `sh`). */
  readonly targets: ReadonlyArray<{ readonly host: string; readonly command?: string }>;
  readonly parallel?: { readonly limit: number } | null;
  readonly timeoutMs?: number;
  readonly retries?: { readonly max: number; readonly backoffMs: number };
  readonly onFailure?: OnFailure;
  readonly expect?: Expectation;
  readonly captures?: readonly Capture[];
  readonly copy?: CopySpec;
  readonly wait?: WaitSpec;
  readonly prompt?: string;
  readonly approvalDetail?: string;
  readonly runIf?: RunIf;
  readonly rollback?: string;
  readonly backups?: readonly BackupTaken[];
}

/** Read-only view of the cluster the builder plans against (the validated inventory entry). */
export interface PlanContext<P, C> {
  readonly cluster: C;
  readonly clusterName: string;
  readonly params: P;
  /** Fixed once per plan so timestamped paths are part of the hash. */
  readonly now: Date;
}

/** A runbook as data. `params` is the tight schema every chat parameter passes before anything is planned. */
export interface ProcedureDefinition<P = Record<string, unknown>, C = unknown> {
  readonly id: string; // e.g. "leofs.recover-manager"
  readonly kind: ClusterKind;
  readonly title: string;
  readonly summary: string;
  /** The seed (and section) the procedure implements. */
  readonly seed: string;
  readonly params: z.ZodType<P>;
  /** Throws `PreconditionError` when the cluster topology cannot run it. */
  readonly build: (ctx: PlanContext<P, C>) => readonly StepTemplate[];
}
