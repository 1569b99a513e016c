import type { Inventory, Settings } from "../config";
import type { ProcedureLookup } from "../jobs/adapters/catalog-step-authority";
import type { EngineLogger } from "../jobs/ports/engine-logger";
import { startWorker, type WorkerHandle } from "../jobs/worker/start-worker";
import { SshPool } from "../ssh";
import { workerOptionsFor } from "./worker-options-for";

export interface WorkerRole {
  readonly pool: SshPool;
  readonly worker: WorkerHandle;
}

/**
 * The step-running side of a process: its SSH pool and its worker. Loaded
 * only by processes whose role runs steps (`start-intervene.ts`), so that a
 * bot never loads the SSH stack.
 */
export async function startWorkerRole(settings: Settings, inventory: Inventory, logger: EngineLogger, prefix?: string, procedure?: ProcedureLookup): Promise<WorkerRole> {
  const pool = new SshPool({ channelsPerHost: settings.ssh.maxChannelsPerHost, remoteShells: settings.ssh.remoteShells });
  try {
    return { pool, worker: await startWorker(workerOptionsFor(settings, inventory, pool, logger, prefix, procedure)) };
  } catch (error) {
    await pool.close();
    throw error;
  }
}
