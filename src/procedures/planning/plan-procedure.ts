import type { Cluster } from "../../config";
import type { Plan } from "../model/plan";
import type { ProcedureDefinition, StepTemplate } from "../model/procedure-definition";
import type { Expectation, PlannedStep } from "../model/step";
import { ParamError, PlanValidationError, PreconditionError } from "../procedure-errors";
import { computePlanHash } from "./plan-hash";
import { paramProblems } from "./param-problems";
import { DEFAULT_TIMEOUT_MS, WAIT_GRACE_MS, defaultIdempotent } from "./step-defaults";
import { validatePlanSteps } from "./validate-plan-steps";

/**
 * Turns (procedure, cluster, chat parameters) into a Plan: validates the
 * parameters, builds the steps, applies defaults, checks the plan rules and
 * hashes it. Pure and deterministic: the same inputs (including `now`, which
 * timestamped paths are made from) give the same plan and `planHash`.
 *
 * Throws `ParamError` (bad parameters), `PreconditionError` (the cluster
 * cannot run this procedure), `PlanValidationError` (a catalog bug).
 */
export function planProcedure<P, C extends Cluster>(
  procedure: ProcedureDefinition<P, C>,
  cluster: Cluster,
  clusterName: string,
  rawParams: unknown,
  now: Date,
): Plan {
  if (cluster.kind !== procedure.kind) {
    throw new PreconditionError(procedure.id, clusterName, [`${procedure.id} is a ${procedure.kind} procedure and ${clusterName} is a ${cluster.kind} cluster`]);
  }
  if (Number.isNaN(now.getTime())) throw new TypeError("planProcedure: `now` is an invalid date");

  const parsed = procedure.params.safeParse(rawParams ?? {}, { reportInput: true });
  if (!parsed.success) throw new ParamError(procedure.id, paramProblems(parsed.error, knownFields(procedure.params)));

  // The kind check above is what makes this cast sound: a procedure's C is its kind's cluster type.
  const templates = procedure.build({ cluster: cluster as C, clusterName, params: parsed.data, now });
  const steps = templates.map((t, index) => applyDefaults(t, index));

  const problems = validatePlanSteps(steps, new Set(Object.keys(cluster.hosts)));
  if (problems.length > 0) throw new PlanValidationError(procedure.id, problems);

  const unhashed: Omit<Plan, "planHash"> = {
    procedureId: procedure.id,
    procedureTitle: procedure.title,
    cluster: clusterName,
    clusterKind: procedure.kind,
    params: toPlainParams(parsed.data),
    steps,
    plannedAt: now.toISOString(),
  };
  return { ...unhashed, planHash: computePlanHash(unhashed) };
}

function knownFields(schema: unknown): string[] {
  const shape = (schema as { shape?: unknown }).shape;
  return shape !== null && typeof shape === "object" ? Object.keys(shape) : [];
}

function toPlainParams(data: unknown): Readonly<Record<string, unknown>> {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return {};
  // Round-trip drops undefined optionals so the stored params equal the hashed ones.
  return JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
}

function applyDefaults(t: StepTemplate, index: number): PlannedStep {
  const destructive = t.destructive ?? false;
  const defaultExpect: Expectation | undefined = t.kind === "exec" || t.kind === "check" ? { type: "exit-zero" } : undefined;
  const expect = t.expect ?? defaultExpect;
  const timeoutMs = t.timeoutMs ?? (t.kind === "wait" ? t.wait.delayMs + WAIT_GRACE_MS : DEFAULT_TIMEOUT_MS[t.kind]);
  const common = {
    index,
    id: t.id,
    title: t.title,
    cite: t.cite,
    destructive,
    idempotent: t.idempotent ?? defaultIdempotent(t.kind, destructive),
    targets: t.targets.map((target) => (target.command === undefined ? { host: target.host } : { host: target.host, command: target.command })),
    parallel: t.parallel ?? null,
    timeoutMs,
    retries: t.retries ?? { max: 0, backoffMs: 0 },
    onFailure: t.onFailure ?? "pause",
    ...(t.note !== undefined ? { note: t.note } : {}),
    ...(expect !== undefined ? { expect } : {}),
    ...(t.captures !== undefined ? { captures: t.captures } : {}),
    ...(t.approvalDetail !== undefined ? { approvalDetail: t.approvalDetail } : {}),
    ...(t.runIf !== undefined ? { runIf: t.runIf } : {}),
    ...(t.rollback !== undefined ? { rollback: t.rollback } : {}),
    ...(t.backups !== undefined && t.backups.length > 0 ? { backups: t.backups } : {}),
  };
  switch (t.kind) {
    case "exec":
    case "check":
      return { ...common, kind: t.kind };
    case "copy":
      return { ...common, kind: "copy", copy: t.copy };
    case "wait":
      return { ...common, kind: "wait", wait: t.wait };
    case "confirm":
      return { ...common, kind: "confirm", prompt: t.prompt };
  }
}
