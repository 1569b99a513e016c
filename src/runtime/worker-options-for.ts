import type { Inventory, Settings } from "../config";
import { catalogStepAuthority, type ProcedureLookup } from "../jobs/adapters/catalog-step-authority";
import { inventoryPolicyResolver } from "../jobs/adapters/inventory-policy-resolver";
import { createSshExecutor } from "../jobs/adapters/ssh-executor";
import type { EngineLogger } from "../jobs/ports/engine-logger";
import { inventoryStatusQueryPlanner } from "../jobs/query";
import type { WorkerOptions } from "../jobs/worker/start-worker";
import type { SshPool } from "../ssh";
import { DAY_MS } from "./engine-options";
import { redisConnectionFor } from "./redis-connection-for";

/** `procedure`: where the worker's step checks find procedures (default the catalog; the bench adds its own). */
export function workerOptionsFor(settings: Settings, inventory: Inventory, pool: SshPool, logger: EngineLogger, prefix?: string, procedure?: ProcedureLookup): WorkerOptions {
  return {
    redis: redisConnectionFor(settings),
    ...(prefix !== undefined ? { prefix } : {}),
    policy: inventoryPolicyResolver(inventory),
    executor: createSshExecutor(pool, inventory),
    statusQueries: inventoryStatusQueryPlanner(inventory),
    approvalKey: settings.approvalKey,
    authority: catalogStepAuthority({ inventory, policy: inventoryPolicyResolver(inventory), approvalKey: settings.approvalKey, ...(procedure !== undefined ? { procedure } : {}) }),
    logger,
    concurrency: settings.workerConcurrency,
    hostConcurrency: settings.ssh.maxChannelsPerHost,
    outputMaxBytes: settings.output.maxBytes,
    secretPatterns: settings.output.secretPatterns,
    outputTtlMs: settings.output.ttlDays * DAY_MS,
    shutdownGraceMs: settings.shutdownGraceMs,
    carrySteps: settings.carrySteps,
    eventDeltas: settings.eventDeltas,
    retainRunsMs: settings.output.ttlDays * DAY_MS,
  };
}
