import Redis from "ioredis";
import type { RedisConnectionConfig } from "../jobs";

/**
 * A Redis connection for probes (/readyz, /metrics): commands fail at once
 * while Redis is unreachable instead of queueing, so a probe answers "not
 * ready" rather than hanging. The engine's own connections wait, on purpose.
 */
export function openProbeRedis(config: RedisConnectionConfig): Redis {
  const base = { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, commandTimeout: 2000, connectionName: "intervene-probe" };
  const redis = typeof config === "string" ? new Redis(config, base) : new Redis({ ...config, ...base });
  // Reconnects run in the background; each probe reports the current state.
  redis.on("error", () => undefined);
  return redis;
}
