import Redis from "ioredis";
import { redisNotifierLease } from "../../../src/runtime/redis-notifier-lease";
import { getTestbed } from "../../helpers/testbed";
import { cleanupPrefix, uniquePrefix } from "../jobs/helpers/jobs-harness";

/**
 * Which bot writes a run's Slack messages (issue 15 point 1), and whether any
 * bot held the run before (issue 13): a first holder posts the run message
 * without looking in the channel for a message of a bot that died.
 */
describe("the notifier lease in Redis", () => {
  const prefix = uniquePrefix("notifier-lease");
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(getTestbed().redisUrl);
  });
  afterAll(async () => {
    await cleanupPrefix(getTestbed().redisUrl, prefix);
    redis.disconnect();
  });

  it("is first for the run's first holder only; a renewal is held, another bot is busy until the hold lapses, then takes it over (not first)", async () => {
    const a = redisNotifierLease(redis, prefix, "bot:a", 200);
    const b = redisNotifierLease(redis, prefix, "bot:b", 200);
    expect(await a.hold("r1")).toBe("first");
    expect(await a.hold("r1")).toBe("held");
    expect(await b.hold("r1")).toBe("busy");
    // The key outlives the hold, so that a later bot knows the run was held.
    expect(await redis.pttl(`${prefix}:notify:r1`)).toBeGreaterThan(3600_000);
    await new Promise((r) => setTimeout(r, 250));
    expect(await b.hold("r1")).toBe("held");
    expect(await a.hold("r1")).toBe("busy");
    // Another run is its own.
    expect(await b.hold("r2")).toBe("first");
  });

  it("a finished run is done for the others and still held by its writer", async () => {
    const a = redisNotifierLease(redis, prefix, "bot:a", 200);
    const b = redisNotifierLease(redis, prefix, "bot:b", 200);
    expect(await a.hold("r3")).toBe("first");
    await a.finish("r3");
    expect(await a.hold("r3")).toBe("held");
    expect(await b.hold("r3")).toBe("done");
  });

  it("a hold of an older bot (its id alone, no deadline) is busy for the others while its key lives", async () => {
    const b = redisNotifierLease(redis, prefix, "bot:b", 200);
    await redis.set(`${prefix}:notify:r4`, "bot:old", "PX", 200);
    expect(await b.hold("r4")).toBe("busy");
    await redis.set(`${prefix}:notify:r5`, "bot:b", "PX", 5000);
    expect(await b.hold("r5")).toBe("held");
  });
});
