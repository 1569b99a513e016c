import { loadEnvConfig } from "../../../../src/config";
import type { RedisConnectionConfig } from "../../../../src/jobs";
import { redisConnectionFor } from "../../../../src/runtime/redis-connection-for";
import { createHarness, type Harness } from "./jobs-harness";
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
  const primaryUrl = async (): Promise<string> => `redis://127.0.0.1:${await set.primaryPort()}`;
  const harness = createHarness(name, clusters, await primaryUrl(), { connection, cleanupUrl: primaryUrl });
  return Object.assign(harness, { connection });
}
