import type { DiracStatusQuery } from "../../procedures/dirac/dirac-status-query";
import type { LeofsStatusQuery } from "../../procedures/leofs/leofs-status-query";

/** What a worker runs to answer a status query: the consoles to ask in order, or one command per DIRAC box. */
export type StatusQueryPlan =
  | { readonly kind: "leofs"; readonly consoles: readonly LeofsStatusQuery[] }
  | { readonly kind: "dirac"; readonly boxes: readonly DiracStatusQuery[] };

/** Turns a cluster name into its status query (the worker's view of the inventory); throws for an unknown cluster. */
export interface StatusQueryPlanner {
  statusQuery(cluster: string): StatusQueryPlan;
}
