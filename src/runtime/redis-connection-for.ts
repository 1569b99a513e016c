import type { RedisOptions } from "ioredis";
import type { Settings } from "../config";
import type { RedisConnectionConfig } from "../jobs";

const SENTINEL_COMMAND_TIMEOUT_MS = 2000;

/**
 * What every Redis connection of the process is opened with: REDIS_URL as
 * is, or, with REDIS_SENTINELS, ioredis Sentinel options. Then each
 * connection (BullMQ's duplicates included) asks the sentinels for the
 * current primary on every (re)connect, checks it really is the primary, and
 * `failoverDetector` drops connections to a primary the sentinels replaced
 * while it stayed up. REDIS_URL still gives the primary's user, password,
 * database and TLS; its host and port are not used.
 */
export function redisConnectionFor(settings: Pick<Settings, "redisUrl" | "redisSentinel">): RedisConnectionConfig {
  const sentinel = settings.redisSentinel;
  if (sentinel === undefined) return settings.redisUrl;
  const url = new URL(settings.redisUrl);
  const db = Number(url.pathname.replace(/^\//, "") || "0");
  const options: RedisOptions = {
    sentinels: sentinel.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: sentinel.name,
    role: "master",
    failoverDetector: true,
    // A sentinel that accepts TCP and never answers would otherwise hold a
    // reconnect forever (ioredis sets no timeout on sentinel commands); after
    // this the next sentinel is asked.
    sentinelCommandTimeout: SENTINEL_COMMAND_TIMEOUT_MS,
    ...(sentinel.password !== undefined ? { sentinelPassword: sentinel.password } : {}),
    ...(url.username !== "" ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password !== "" ? { password: decodeURIComponent(url.password) } : {}),
    ...(Number.isSafeInteger(db) && db > 0 ? { db } : {}),
    ...(url.protocol === "rediss:" ? { tls: {} } : {}),
  };
  return options;
}
