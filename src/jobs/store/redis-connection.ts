import Redis, { type RedisOptions } from "ioredis";
import { coalesceSocketWrites } from "./coalesce-socket-writes";
import { ReconnectSafeSentinelConnector } from "./reconnect-safe-sentinel-connector";

/** A Redis URL, or ioredis options (Sentinel included). */
export type RedisConnectionConfig = string | RedisOptions;

/**
 * Commands wait through a Redis restart instead of failing
 * (`maxRetriesPerRequest: null`, which BullMQ workers require anyway).
 *
 * Two refusals mean "not here, not now" rather than "no": READONLY from a
 * primary demoted to replica, and NOREPLICAS from a primary running with
 * `min-replicas-to-write` that has lost its replica (the old primary after a
 * failover, or the new one until a replica attaches). The refused command did
 * nothing, so it is sent again after a reconnect (which under Sentinel finds
 * the current primary): once more is still once. After NOREPLICAS the
 * reconnects are spaced, since the same primary may refuse for seconds.
 */
export function openRedis(config: RedisConnectionConfig, name: string): Redis {
  let refusedForReplicas = false;
  const base: RedisOptions = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: name,
    reconnectOnError: (error) => {
      if (error.message.startsWith("NOREPLICAS")) refusedForReplicas = true;
      return /^(READONLY|NOREPLICAS)/.test(error.message) ? 2 : false;
    },
    // ioredis's default, unless the last refusal was NOREPLICAS.
    retryStrategy: (times) => (refusedForReplicas ? 500 : Math.min(times * 50, 2000)),
  };
  const redis =
    typeof config === "string"
      ? new Redis(config, base)
      : new Redis({ ...config, ...base, ...(config.sentinels !== undefined ? { Connector: ReconnectSafeSentinelConnector } : {}) });
  redis.on("ready", () => (refusedForReplicas = false));
  // ioredis adds a "close" listener to the socket for every command refused that way while it closes
  // the socket: dozens at once are normal there, not the leak Node's listener warning looks for.
  redis.on("connect", () => {
    const stream = redis.stream;
    if (stream === undefined) return;
    stream.setMaxListeners(0);
    coalesceSocketWrites(stream);
  });
  return redis;
}
