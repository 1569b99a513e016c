import Redis from "ioredis";
import { redisKeys } from "../../../src/jobs/store/redis-keys";
import { StepLease } from "../../../src/jobs/worker/step-lease";
import { getTestbed } from "../../helpers/testbed";
import { eventuallyTrue } from "../../helpers/eventually";
import { cleanupPrefix, uniquePrefix } from "./helpers/jobs-harness";

/**
 * The execution lease a worker holds while it runs a step (issue 13): what a
 * redelivered job consults before it calls a `running` step interrupted.
 */
describe("a step's execution lease", () => {
  const prefix = uniquePrefix("step-lease");
  const keys = redisKeys(prefix);
  let redis: Redis;
  let waiterRedis: Redis;

  beforeAll(() => {
    redis = new Redis(getTestbed().redisUrl);
    waiterRedis = new Redis(getTestbed().redisUrl);
  });
  afterAll(async () => {
    await cleanupPrefix(getTestbed().redisUrl, prefix);
    redis.disconnect();
    waiterRedis.disconnect();
  });

  it("is set at once, renewed by setting it again (so it comes back after it lapsed), and released only by its holder", async () => {
    const lease = new StepLease(redis, keys, { leaseMs: 300, holder: "worker:a" });
    const held = lease.hold("r1", 0, 1);
    const key = keys.stepLease("r1", 0, 1);
    expect(await redis.get(key)).toBe(held.token);
    // Gone as after an outage longer than the lease: the holder's next renewal (every 100 ms) sets it again.
    await redis.del(key);
    await eventuallyTrue("the live holder set its lease again", async () => (await redis.get(key)) === held.token, 2000, 10);
    // A later holder's lease is not taken away by the earlier holder's release.
    await redis.set(key, "worker:b:0000", "PX", 5000);
    held.release();
    await redis.ping();
    expect(await redis.get(key)).toBe("worker:b:0000");
    await redis.del(key);
    const again = lease.hold("r1", 0, 1);
    again.release();
    await redis.ping();
    expect(await redis.exists(key)).toBe(0);
  });

  it("a waiter waits while the lease is held, also when the holder sets it again after it was absent, and goes on once it stays absent", async () => {
    const holder = new StepLease(redis, keys, { leaseMs: 600, holder: "worker:a" });
    const waiter = new StepLease(waiterRedis, keys, { leaseMs: 600, holder: "worker:b" });
    const key = keys.stepLease("r2", 3, 2);
    const told: (string | undefined)[] = [];
    let returned = false;
    // Absent when the waiter first looks (as right after an outage that outlasted it).
    const waiting = waiter.waitWhileHeld("r2", 3, 2, () => Promise.resolve(true), (h) => told.push(h)).then(() => (returned = true));
    await eventuallyTrue("the waiter started waiting", () => told.length === 1, 2000, 5);
    expect(told).toEqual([undefined]);
    // The live holder's renewal comes back before the waiter gives up on it: the waiter keeps waiting.
    const held = holder.hold("r2", 3, 2);
    await new Promise((r) => setTimeout(r, 900));
    expect(returned).toBe(false);
    expect(await redis.get(key)).toBe(held.token);
    held.release();
    await waiting;
    expect(returned).toBe(true);
    expect(told).toHaveLength(1);
  });

  it("a waiter stops waiting at once when the step is no longer running", async () => {
    const holder = new StepLease(redis, keys, { leaseMs: 60_000, holder: "worker:a" });
    const waiter = new StepLease(waiterRedis, keys, { leaseMs: 60_000, holder: "worker:b" });
    const held = holder.hold("r3", 0, 1);
    let running = true;
    const waiting = waiter.waitWhileHeld("r3", 0, 1, () => Promise.resolve(running), () => undefined);
    running = false;
    await waiting;
    held.release();
  });
});
