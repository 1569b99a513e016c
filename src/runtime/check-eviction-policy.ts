import type { Logger } from "pino";
import type { Settings } from "../config/settings";
import { openProbeRedis } from "./readiness-redis";
import { redisConnectionFor } from "./redis-connection-for";

export class EvictionPolicyError extends Error {}

/**
 * Redis must not evict our keys: an evicted cluster lock lets two runs act
 * on one cluster, an evicted run record loses a run (issue 12 point 4). At
 * start, read `maxmemory-policy`: anything but `noeviction` is a loud
 * warning, or a refusal to start with REDIS_REQUIRE_NOEVICTION=true. Redis
 * down at start is not a reason to stay down (commands are still acked), so
 * an unreachable Redis or a user not allowed `CONFIG GET` is a warning,
 * unless the setting requires the check, which then refuses.
 */
export async function checkEvictionPolicy(settings: Pick<Settings, "redisUrl" | "redisSentinel" | "redisRequireNoEviction">, logger: Logger): Promise<void> {
  const redis = openProbeRedis(redisConnectionFor(settings));
  let policy: string | undefined;
  let problem: string | undefined;
  try {
    // The probe queues nothing while disconnected: wait for the connection, at most 2 s.
    await new Promise<void>((resolve, reject) => {
      if (redis.status === "ready") return resolve();
      const timer = setTimeout(() => reject(new Error("no connection within 2 s")), 2000);
      redis.once("ready", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const reply = (await redis.config("GET", "maxmemory-policy")) as unknown;
    policy = Array.isArray(reply) && typeof reply[1] === "string" ? reply[1] : undefined;
    if (policy === undefined) problem = "CONFIG GET maxmemory-policy gave no value";
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    problem = /NOPERM|unknown command|no permissions/i.test(text)
      ? `this Redis user may not run CONFIG GET (${text}); allow it with \`+config|get\` in its ACL, or check maxmemory-policy by hand`
      : `Redis did not answer (${text})`;
  } finally {
    redis.disconnect();
  }
  const fix = "set `maxmemory-policy noeviction` in redis.conf (or `CONFIG SET maxmemory-policy noeviction`)";
  if (policy === "noeviction") return;
  if (policy !== undefined) {
    const message = `Redis maxmemory-policy is ${policy}: under memory pressure Redis may evict a cluster lock or a run record, and two runs could act on one cluster. ${fix}.`;
    if (settings.redisRequireNoEviction) throw new EvictionPolicyError(`${message} REDIS_REQUIRE_NOEVICTION=true refuses to start.`);
    logger.warn({ maxmemoryPolicy: policy }, `!!! ${message}`);
    return;
  }
  if (settings.redisRequireNoEviction) throw new EvictionPolicyError(`cannot check Redis maxmemory-policy: ${problem ?? "unknown"}. REDIS_REQUIRE_NOEVICTION=true refuses to start without that check.`);
  logger.warn({ problem }, `cannot check Redis maxmemory-policy: ${problem ?? "unknown"}; make sure it is noeviction (${fix})`);
}
