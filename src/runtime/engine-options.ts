import type { Inventory, Settings } from "../config";
import {
  catalogPlanner,
  createSshExecutor,
  inventoryPolicyResolver,
  inventoryStatusQueryPlanner,
  procedureStepSemantics,
  type EngineLogger,
  type EngineOptions,
  type WorkerOptions,
} from "../jobs";
import type { SshPool } from "../ssh";

const DAY_MS = 24 * 3600_000;

/** The one place settings become engine options, shared by main, the CLI, the demo and the bench. */
export function engineOptionsFor(settings: Settings, inventory: Inventory, logger: EngineLogger, prefix?: string): EngineOptions {
  return {
    redis: settings.redisUrl,
    ...(prefix !== undefined ? { prefix } : {}),
    policy: inventoryPolicyResolver(inventory),
    semantics: procedureStepSemantics,
    planner: catalogPlanner(inventory),
    logger,
    retainRunsMs: settings.output.ttlDays * DAY_MS,
    ...(settings.requestsPerMinute > 0 ? { requestsPerMinute: settings.requestsPerMinute } : {}),
  };
}

export function workerOptionsFor(settings: Settings, inventory: Inventory, pool: SshPool, logger: EngineLogger, prefix?: string): WorkerOptions {
  return {
    redis: settings.redisUrl,
    ...(prefix !== undefined ? { prefix } : {}),
    policy: inventoryPolicyResolver(inventory),
    semantics: procedureStepSemantics,
    executor: createSshExecutor(pool, inventory),
    statusQueries: inventoryStatusQueryPlanner(inventory),
    logger,
    concurrency: settings.workerConcurrency,
    hostConcurrency: settings.ssh.maxChannelsPerHost,
    outputMaxBytes: settings.output.maxBytes,
    secretPatterns: settings.output.secretPatterns,
    outputTtlMs: settings.output.ttlDays * DAY_MS,
    shutdownGraceMs: settings.shutdownGraceMs,
    retainRunsMs: settings.output.ttlDays * DAY_MS,
  };
}
