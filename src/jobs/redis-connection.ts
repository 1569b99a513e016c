import Redis, { type RedisOptions } from "ioredis";

/** A Redis URL, or ioredis options (Sentinel included). */
export type RedisConnectionConfig = string | RedisOptions;

/**
 * Commands wait through a Redis restart instead of failing
 * (`maxRetriesPerRequest: null`, which BullMQ workers require anyway).
 */
export function openRedis(config: RedisConnectionConfig, name: string): Redis {
  const base: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: true, connectionName: name };
  return typeof config === "string" ? new Redis(config, base) : new Redis({ ...config, ...base });
}
