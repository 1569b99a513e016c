import Redis from "ioredis";
import type { RedisConnectionConfig } from "../jobs";

/**
 * A Redis connection for probes (/readyz, /metrics): commands fail at once
 * while Redis is unreachable instead of queueing, so a probe answers "not
 * ready" rather than hanging. The engine's own connections wait, on purpose.
 */
export function openProbeRedis(config: RedisConnectionConfig): Redis {
  // disconnectTimeout: a probe has nothing in flight worth a graceful close. ioredis's disconnect arms a
  // timer of this length (not unref'd) that only the socket's `close` clears, and a socket refused
  // earlier closed already: with the default 2 s, a process whose Redis was down stayed up that long
  // after letting go of its probe (jest's --detectOpenHandles found it, readiness.test.ts).
  const base = { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, commandTimeout: 2000, disconnectTimeout: 50, connectionName: "intervene-probe" };
  const redis = typeof config === "string" ? new Redis(config, base) : new Redis({ ...config, ...base });
  // Reconnects run in the background; each probe reports the current state.
  redis.on("error", () => undefined);
  return redis;
}
