import type { Redis } from "ioredis";
import type { NotifierLease } from "../bot/notifier/notifier-lease";
import { defineRedisScripts } from "../jobs/redis-scripts";

const DONE = "done:";
/** A finished run's marker outlives any bot's memory of the run. */
const DONE_TTL_MS = 24 * 3600_000;

/** The notifier lease in Redis, under the deployment's prefix: `<prefix>:notify:<runId>` = the writing bot's id. */
export function redisNotifierLease(redis: Redis, prefix: string, owner: string, ttlMs = 5000): NotifierLease {
  const key = (runId: string): string => `${prefix}:notify:${runId}`;
  defineRedisScripts(redis);
  return {
    ttlMs,
    async hold(runId) {
      // Take-if-free-or-mine with a TTL, in one step (lua/hold-notifier-lease.lua): two bots never both hold one run.
      return redis.holdNotifierLease(key(runId), owner, ttlMs, DONE);
    },
    async finish(runId) {
      await redis.set(key(runId), `${DONE}${owner}`, "PX", DONE_TTL_MS);
    },
  };
}
