import { EnvConfigError, loadEnvConfig } from "../../../src/config";
import { redisConnectionFor } from "../../../src/runtime/redis-connection-for";

const worker = { ROLE: "worker", HOME: "/home/operator" };

function issues(env: NodeJS.ProcessEnv): string[] {
  try {
    loadEnvConfig(env);
  } catch (error) {
    if (error instanceof EnvConfigError) return error.issues.map((i) => `${i.variable}: ${i.message}`);
    throw error;
  }
  throw new Error("expected loadEnvConfig to throw");
}

/** Issue 15 point 2: REDIS_SENTINELS, REDIS_SENTINEL_NAME and REDIS_SENTINEL_PASSWORD. */
describe("Redis through Sentinel: the environment", () => {
  it("builds ioredis Sentinel options, with the primary's credentials, database and TLS from REDIS_URL", () => {
    const settings = loadEnvConfig({
      ...worker,
      REDIS_SENTINELS: " 10.0.0.1:26379, sentinel-b.example:26380 ,[::1]:26381",
      REDIS_SENTINEL_NAME: "mymaster",
      REDIS_SENTINEL_PASSWORD: "sentinel-pass",
      REDIS_URL: "rediss://intervene:p%40ss@ignored-host:6379/2",
    });
    expect(settings.redisSentinel).toEqual({
      sentinels: [{ host: "10.0.0.1", port: 26379 }, { host: "sentinel-b.example", port: 26380 }, { host: "::1", port: 26381 }],
      name: "mymaster",
      password: "sentinel-pass",
    });
    expect(redisConnectionFor(settings)).toEqual({
      sentinels: [{ host: "10.0.0.1", port: 26379 }, { host: "sentinel-b.example", port: 26380 }, { host: "::1", port: 26381 }],
      name: "mymaster",
      role: "master",
      failoverDetector: true,
      sentinelCommandTimeout: 2000,
      sentinelPassword: "sentinel-pass",
      username: "intervene",
      password: "p@ss",
      db: 2,
      tls: {},
    });
  });

  it("keeps REDIS_URL as it is without REDIS_SENTINELS", () => {
    const settings = loadEnvConfig({ ...worker, REDIS_URL: "redis://:secret@redis:6379" });
    expect(settings.redisSentinel).toBeUndefined();
    expect(redisConnectionFor(settings)).toBe("redis://:secret@redis:6379");
  });

  it("refuses a list it cannot read, saying which entry and how to write it", () => {
    const found = issues({ ...worker, REDIS_SENTINELS: "10.0.0.1,10.0.0.2:70000,,host:26379", REDIS_SENTINEL_NAME: "mymaster" });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^REDIS_SENTINELS: must be the sentinels as host:port separated by commas, e\.g\. 10\.0\.0\.1:26379,10\.0\.0\.2:26379/);
    expect(found[0]).toContain('"10.0.0.1" is not host:port');
    expect(found[0]).toContain('"10.0.0.2:70000" is not host:port with a port from 1 to 65535');
    expect(found[0]).toContain("an empty entry");
  });

  it("asks for the master group name with the sentinels, and refuses a name it cannot be", () => {
    expect(issues({ ...worker, REDIS_SENTINELS: "127.0.0.1:26379" })).toEqual([expect.stringMatching(/^REDIS_SENTINEL_NAME: required with REDIS_SENTINELS: the master group name .*e\.g\. mymaster$/)]);
    expect(issues({ ...worker, REDIS_SENTINELS: "127.0.0.1:26379", REDIS_SENTINEL_NAME: "my master" })).toEqual([expect.stringMatching(/^REDIS_SENTINEL_NAME: must be the master group name .*\(got "my master"\)$/)]);
  });

  it("refuses the name or the password without the sentinels, never echoing the password", () => {
    const found = issues({ ...worker, REDIS_SENTINEL_NAME: "mymaster", REDIS_SENTINEL_PASSWORD: "do-not-print-me" });
    expect(found).toEqual([
      expect.stringMatching(/^REDIS_SENTINEL_NAME: set, but REDIS_SENTINELS is not/),
      expect.stringMatching(/^REDIS_SENTINEL_PASSWORD: set, but REDIS_SENTINELS is not/),
    ]);
    expect(found.join("\n")).not.toContain("do-not-print-me");
  });
});
