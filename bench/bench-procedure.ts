import { z } from "zod";
import type { DiracCluster, Inventory } from "../src/config";
import { catalogPlanner, EngineError, type Planner } from "../src/jobs";
import { planProcedure, type ProcedureDefinition, type StepTemplate } from "../src/procedures";

/** One bench step: `true` on these inventory hosts, `parallel` at a time (one after the other when unset). */
const stepParams = z.strictObject({
  hosts: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)).min(1),
  parallel: z.number().int().min(1).optional(),
});

export const benchParams = z.strictObject({ steps: z.array(stepParams).min(1).max(100) });
export type BenchParams = z.infer<typeof benchParams>;

export const BENCH_PROCEDURE_ID = "bench.exec-true";

/**
 * A bench-only procedure: each step runs `true`, the cheapest command there
 * is, so what the bench measures is the engine's path around it. Not in the
 * product catalog: the bench plans it through its own Planner.
 */
export const benchProcedure: ProcedureDefinition<BenchParams, DiracCluster> = {
  id: BENCH_PROCEDURE_ID,
  kind: "dirac",
  title: "Bench: exec true",
  summary: "runs `true` on the given hosts, step after step",
  seed: "bench/main.ts (measurement only, not a runbook)",
  params: benchParams,
  build: ({ params }) =>
    params.steps.map(
      (s, i): StepTemplate => ({
        id: `true-${i}`,
        title: `true on ${s.hosts.length === 1 ? s.hosts[0]! : `${s.hosts.length} hosts`}`,
        kind: "exec",
        cite: "bench/bench-procedure.ts",
        idempotent: true,
        targets: s.hosts.map((host) => ({ host, command: "true" })),
        ...(s.parallel !== undefined ? { parallel: { limit: s.parallel } } : {}),
      }),
    ),
};

/** The bench procedure by its id, everything else from the product catalog (the bot's dry runs). */
export function benchPlanner(inventory: Inventory): Planner {
  const catalog = catalogPlanner(inventory);
  return {
    plan(request) {
      if (request.procedureId !== BENCH_PROCEDURE_ID) return catalog.plan(request);
      const cluster = Object.hasOwn(inventory.clusters, request.cluster) ? inventory.clusters[request.cluster] : undefined;
      if (cluster === undefined) throw new EngineError("NOT_FOUND", `no cluster ${request.cluster}`, { cluster: request.cluster });
      return planProcedure(benchProcedure, cluster, request.cluster, request.params, new Date());
    },
  };
}
