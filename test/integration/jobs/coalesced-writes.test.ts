import Redis from "ioredis";
import { startRedisServer, type RedisServerHandle } from "../../../sim/process/redis-server";
import { openRedis } from "../../../src/jobs/store/redis-connection";
import { eventuallyTrue } from "../../helpers/eventually";

jest.setTimeout(60_000);

/** Reads Redis has done from its clients' sockets so far (`INFO stats`); the INFO's own read included. */
async function readsProcessed(observer: Redis): Promise<number> {
  const m = /^total_reads_processed:(\d+)/m.exec(await observer.info("stats"));
  if (m === null) throw new Error("no total_reads_processed in INFO stats");
  return Number(m[1]);
}

/**
 * Issue 13: a worker sends a step's lease, its SSH slot and the write that
 * begins it in one synchronous block. The product's connections (openRedis)
 * now hand Redis such commands as one write, so Redis reads them at once
 * instead of waking for each. A private redis-server, so that no other
 * client's reads are counted.
 */
describe("the product's Redis connections", () => {
  let server: RedisServerHandle;
  let observer: Redis;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedisServer({ appendonly: false });
    observer = new Redis(server.url);
    redis = openRedis(server.url, "coalesced-writes-test");
    await redis.ping();
  });
  afterAll(async () => {
    redis.disconnect();
    observer.disconnect();
    await server.stop();
  });

  it("send the commands of one tick as one write, still answered each in order", async () => {
    const before = await readsProcessed(observer);
    const answers = await Promise.all([redis.set("k1", "a"), redis.incr("n"), redis.get("k1"), redis.incr("n")]);
    const after = await readsProcessed(observer);
    expect(answers).toEqual(["OK", 1, "a", 2]);
    // One read for the four commands, one for the second INFO.
    expect(after - before).toBe(2);
  });

  it("send a command that follows an await at once, in a write of its own", async () => {
    const before = await readsProcessed(observer);
    await redis.set("k2", "b");
    expect(await redis.get("k2")).toBe("b");
    const after = await readsProcessed(observer);
    expect(after - before).toBe(3);
  });

  it("do the same on the socket of a reconnect", async () => {
    const id = await redis.client("ID");
    await observer.client("KILL", "ID", String(id));
    await eventuallyTrue("a new connection", async () => (await redis.client("ID").catch(() => id)) !== id, 10_000);
    const before = await readsProcessed(observer);
    await Promise.all([redis.set("k3", "c"), redis.get("k3"), redis.del("k3")]);
    const after = await readsProcessed(observer);
    expect(after - before).toBe(2);
  });
});
