import { loadEnvConfig } from "../../../../src/config";
import { createEngine, createSshExecutor, inventoryPolicyResolver, procedureStepSemantics, startWorker, type RedisConnectionConfig, type WorkerHandle } from "../../../../src/jobs";
import { redisConnectionFor } from "../../../../src/runtime/redis-connection-for";
import { SshPool } from "../../../../src/ssh";
import { cleanupPrefix, testInventory, uniquePrefix, type Harness } from "./jobs-harness";
import type { SentinelSet } from "./sentinel-set";

/**
 * The jobs harness, but every connection goes through the sentinels the way
 * the product makes it: the environment (REDIS_SENTINELS,
 * REDIS_SENTINEL_NAME) read by loadEnvConfig, turned into ioredis options by
 * redisConnectionFor. `redisUrl` is the primary's address at creation, for
 * reading; `close` cleans the prefix on whichever server is primary then.
 */
export async function createSentinelHarness(name: string, clusters: Record<string, string>, set: SentinelSet): Promise<Harness & { readonly connection: RedisConnectionConfig }> {
  const settings = loadEnvConfig({ ROLE: "worker", HOME: process.env.HOME, REDIS_SENTINELS: set.sentinelList, REDIS_SENTINEL_NAME: set.name });
  const connection = redisConnectionFor(settings);
  const prefix = uniquePrefix(name);
  const inventory = testInventory(clusters);
  const policy = inventoryPolicyResolver(inventory);
  const engine = createEngine({ redis: connection, prefix, policy, semantics: procedureStepSemantics, heartbeatMs: 1000 });
  const pool = new SshPool();
  const workers: WorkerHandle[] = [];
  return {
    prefix,
    redisUrl: `redis://127.0.0.1:${await set.primaryPort()}`,
    connection,
    inventory,
    engine,
    pool,
    async startWorker(extra = {}) {
      const worker = await startWorker({
        redis: connection,
        prefix,
        policy,
        semantics: procedureStepSemantics,
        executor: createSshExecutor(pool, inventory),
        reconcileIntervalMs: 500,
        lockDurationMs: 5000,
        stalledIntervalMs: 2000,
        shutdownGraceMs: 5000,
        ...extra,
      });
      workers.push(worker);
      return worker;
    },
    async close() {
      await Promise.allSettled(workers.map((w) => w.close()));
      await engine.close();
      await pool.close();
      await cleanupPrefix(`redis://127.0.0.1:${await set.primaryPort()}`, prefix).catch(() => undefined);
    },
  };
}
