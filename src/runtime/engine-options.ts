import type { Inventory, Settings } from "../config";
import {
  catalogPlanner,
  catalogStepAuthority,
  createSshExecutor,
  inventoryPolicyResolver,
  inventoryStatusQueryPlanner,
  type EngineLogger,
  type EngineOptions,
  type ProcedureLookup,
  type WorkerOptions,
} from "../jobs";
import type { SshPool } from "../ssh";
import { listProcedures } from "../procedures";
import { redisConnectionFor } from "./redis-connection-for";

const DAY_MS = 24 * 3600_000;
const CATALOG_IDS: ReadonlySet<string> = new Set(listProcedures().map((p) => p.id));

/** The one place settings become engine options, shared by main, the CLI, the demo and the bench. */
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
