import Redis from "ioredis";
import pino from "pino";
import { checkEvictionPolicy, EvictionPolicyError } from "../../../src/runtime/check-eviction-policy";
import { startRedisServer, type RedisServerHandle } from "../../../sim/process/redis-server";

/**
 * Issue 12 point 4: an evicted lock allows two runs on one cluster. At start
 * intervene reads maxmemory-policy: a warning, or a refusal with
 * REDIS_REQUIRE_NOEVICTION=true; a Redis ACL user that may not run CONFIG GET
 * is said so, with the ACL rule that allows it.
 */
describe("Redis maxmemory-policy at start", () => {
  let server: RedisServerHandle;
  let admin: Redis;
  const lines: string[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(line) });

  beforeAll(async () => {
    server = await startRedisServer({ appendonly: false });
    admin = new Redis(server.url);
    await admin.acl("SETUSER", "limited", "on", ">limited-pass", "~*", "&*", "+@all", "-config");
  });
  afterAll(async () => {
    admin.disconnect();
    await server.stop();
  });

  it("noeviction passes silently", async () => {
    await admin.config("SET", "maxmemory-policy", "noeviction");
    lines.length = 0;
    await checkEvictionPolicy({ redisUrl: server.url, redisRequireNoEviction: true }, logger);
    expect(lines).toEqual([]);
  });

  it("another policy is a loud warning, or a refusal that says how to fix it", async () => {
    await admin.config("SET", "maxmemory-policy", "allkeys-lru");
    lines.length = 0;
    await checkEvictionPolicy({ redisUrl: server.url, redisRequireNoEviction: false }, logger);
    expect(lines.join("")).toContain("!!! Redis maxmemory-policy is allkeys-lru");
    await expect(checkEvictionPolicy({ redisUrl: server.url, redisRequireNoEviction: true }, logger)).rejects.toThrow(EvictionPolicyError);
    await expect(checkEvictionPolicy({ redisUrl: server.url, redisRequireNoEviction: true }, logger)).rejects.toThrow(/set `maxmemory-policy noeviction` in redis.conf .* REDIS_REQUIRE_NOEVICTION=true refuses to start/);
  });

  it("an ACL user without CONFIG: a warning naming the ACL rule, or a refusal when the check is required", async () => {
    const url = server.url.replace("redis://", "redis://limited:limited-pass@");
    lines.length = 0;
    await checkEvictionPolicy({ redisUrl: url, redisRequireNoEviction: false }, logger);
    expect(lines.join("")).toContain("allow it with `+config|get` in its ACL");
    await expect(checkEvictionPolicy({ redisUrl: url, redisRequireNoEviction: true }, logger)).rejects.toThrow(/may not run CONFIG GET/);
  });

  it("a Redis that does not answer is a warning, not a reason to stay down", async () => {
    lines.length = 0;
    await checkEvictionPolicy({ redisUrl: "redis://127.0.0.1:1", redisRequireNoEviction: false }, logger);
    expect(lines.join("")).toContain("cannot check Redis maxmemory-policy: Redis did not answer");
  });
});
