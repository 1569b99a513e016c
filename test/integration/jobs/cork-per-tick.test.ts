import type { Socket } from "node:net";
import type Redis from "ioredis";
import { openRedis } from "../../../src/jobs/redis-connection";
import { getTestbed } from "../../helpers/testbed";

type Writes = { writev: number[]; write: number };

/** Counts the socket's writes to the kernel: one `_writev` per uncork (with its chunk count), or one `_write` per lone chunk. */
function countWrites(redis: Redis): Writes {
  const stream = redis.stream as Socket & { _writev: (chunks: unknown[], cb: () => void) => void; _write: (...args: unknown[]) => void };
  const counts: Writes = { writev: [], write: 0 };
  const writev = stream._writev.bind(stream);
  const write = stream._write.bind(stream);
  stream._writev = (chunks, cb) => {
    counts.writev.push(chunks.length);
    writev(chunks, cb);
  };
  stream._write = (...args) => {
    counts.write++;
    write(...args);
  };
  return counts;
}

async function ready(redis: Redis): Promise<void> {
  if (redis.status !== "ready") await new Promise((resolve) => redis.once("ready", resolve));
}

/**
 * Issue 13: the engine's connections send the commands of one tick in one
 * socket write (src/jobs/cork-per-tick.ts), in order, and a lone command
 * goes out at once.
 */
describe("commands sent in one tick leave in one write", () => {
  const redisUrl = getTestbed().redisUrl;
  let redis: Redis;
  const key = `cork-test:${process.pid}`;
  beforeEach(async () => {
    redis = openRedis(redisUrl, "cork-test");
    await ready(redis);
  });
  afterEach(async () => {
    await redis.del(key);
    redis.disconnect();
  });

  it("ten commands in a tick: one write of ten chunks, replies in order", async () => {
    const counts = countWrites(redis);
    const replies = await Promise.all(Array.from({ length: 10 }, () => redis.incr(key)));
    expect(counts.writev).toEqual([10]);
    expect(counts.write).toBe(0);
    expect(replies).toEqual(replies.map((_, i) => replies[0]! + i));
  });

  it("commands in different ticks are not held for one another", async () => {
    const counts = countWrites(redis);
    await redis.ping();
    await redis.ping();
    // Each was alone in its tick: two writes of one chunk each (corked writes of one chunk go out through _writev).
    expect(counts.writev.length + counts.write).toBe(2);
  });

  it("a connection made again after a drop gathers its writes too", async () => {
    const again = new Promise((resolve) => redis.once("ready", resolve));
    const first = redis.stream;
    redis.disconnect(true);
    await again;
    expect(redis.stream).not.toBe(first);
    const counts = countWrites(redis);
    await Promise.all([redis.ping(), redis.ping(), redis.ping()]);
    expect(counts.writev).toEqual([3]);
  });
});
