import type { z } from "zod";
import type { ClusterKind } from "./plan";
import type { CopySpec, StepCommon, WaitSpec } from "./step";

/** Fields the planner fills in when a template leaves them out (`applyDefaults` in plan-procedure.ts). */
type Defaulted = "destructive" | "idempotent" | "parallel" | "timeoutMs" | "retries" | "onFailure";

/**
 * What a step template of every kind has: a planned step's fields but its
 * index (the planner numbers steps), with the defaulted ones optional:
 * not destructive; idempotent for check, wait and confirm; one target after
 * the other; the kind's timeout; no retries; pause on failure.
 */
type TemplateCommon = Omit<StepCommon, "index" | Defaulted> & Partial<Pick<StepCommon, Defaulted>>;

/**
 * A step as a procedure declares it: the planner fills in the index, resolves
 * the target selector to inventory hosts and applies defaults. Keyed by kind
 * like `PlannedStep`: a copy without its spec, or a wait without its delay,
 * does not compile.
 */
export type StepTemplate =
  | (TemplateCommon & { readonly kind: "exec" | "check" })
  | (TemplateCommon & { readonly kind: "copy"; readonly copy: CopySpec })
  | (TemplateCommon & { readonly kind: "wait"; readonly wait: WaitSpec })
  | (TemplateCommon & { readonly kind: "confirm"; readonly prompt: string });

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
