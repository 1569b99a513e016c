import type { Redis } from "ioredis";
import type { NotifierLease } from "../bot/notifier/notifier-lease";
import { defineRedisScripts } from "../jobs/store/redis-scripts";

const DONE = "done:";
/** A finished run's marker, and a held run's key, outlive any bot's memory of the run. */
const DONE_TTL_MS = 24 * 3600_000;

/**
 * The notifier lease in Redis, under the deployment's prefix:
 * `<prefix>:notify:<runId>` = `<deadline ms> <writing bot's id>`, kept a
 * day after the last hold so that a later bot knows the run was held before
 * (lua/hold-notifier-lease.lua), then `done:<bot id>` once the run's final
 * message is written.
 */
export function redisNotifierLease(redis: Redis, prefix: string, owner: string, ttlMs = 5000): NotifierLease {
  const key = (runId: string): string => `${prefix}:notify:${runId}`;
  defineRedisScripts(redis);
  return {
    ttlMs,
    async hold(runId) {
      // Take-if-free-or-mine with a TTL, in one step (lua/hold-notifier-lease.lua): two bots never both hold one run.
      return redis.holdNotifierLease(key(runId), owner, ttlMs, DONE, DONE_TTL_MS);
    },
    async finish(runId) {
      await redis.set(key(runId), `${DONE}${owner}`, "PX", DONE_TTL_MS);
    },
  };
}
