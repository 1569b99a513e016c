import type { Redis } from "ioredis";
import type { NotifierLease } from "../bot/notifier/notifier-lease";

/**
 * Take-if-free-or-mine with a TTL, in one step: two bots never both hold one
 * run. A run whose final message is written is marked done by its writer:
 * the writer keeps holding it for its last replies, the others stand down.
 */
const HOLD = `
local current = redis.call('GET', KEYS[1])
if current == ARGV[3] .. ARGV[1] then return 'held' end
if current and string.sub(current, 1, string.len(ARGV[3])) == ARGV[3] then return 'done' end
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 'held'
end
return 'busy'
`;
const DONE = "done:";
/** A finished run's marker outlives any bot's memory of the run. */
const DONE_TTL_MS = 24 * 3600_000;

/** The notifier lease in Redis, under the deployment's prefix: `<prefix>:notify:<runId>` = the writing bot's id. */
export function redisNotifierLease(redis: Redis, prefix: string, owner: string, ttlMs = 5000): NotifierLease {
  const key = (runId: string): string => `${prefix}:notify:${runId}`;
  return {
    ttlMs,
    async hold(runId) {
      return (await redis.eval(HOLD, 1, key(runId), owner, String(ttlMs), DONE)) as "held" | "busy" | "done";
    },
    async finish(runId) {
      await redis.set(key(runId), `${DONE}${owner}`, "PX", DONE_TTL_MS);
    },
  };
}
