import type { Inventory, Settings } from "../config";
// The API side's modules only: the worker's options are in worker-options-for.ts, loaded where a worker runs.
import type { EngineOptions } from "../jobs/create-engine";
import type { EngineLogger } from "../jobs/ports/engine-logger";
import { inventoryPolicyResolver } from "../jobs/adapters/inventory-policy-resolver";
import { catalogPlanner } from "../jobs/adapters/catalog-planner";
import { listProcedures } from "../procedures";
import { redisConnectionFor } from "./redis-connection-for";

export const DAY_MS = 24 * 3600_000;
const CATALOG_IDS: ReadonlySet<string> = new Set(listProcedures().map((p) => p.id));

/** The one place settings become engine options (the API side; `workerOptionsFor` is the worker's), shared by main, the CLI, the demo and the bench. */
export function engineOptionsFor(settings: Settings, inventory: Inventory, logger: EngineLogger, prefix?: string): EngineOptions {
  return {
    redis: redisConnectionFor(settings),
    ...(prefix !== undefined ? { prefix } : {}),
    policy: inventoryPolicyResolver(inventory),
    planner: catalogPlanner(inventory),
    approvalKey: settings.approvalKey,
    eventDeltas: settings.eventDeltas,
    // Every catalog procedure changes cluster state or membership: each run reads the cluster at its start and end (issue 16 point 2).
    snapshots: (procedureId) => CATALOG_IDS.has(procedureId),
    logger,
    retainRunsMs: settings.output.ttlDays * DAY_MS,
    ...(settings.requestsPerMinute > 0 ? { requestsPerMinute: settings.requestsPerMinute } : {}),
  };
}
