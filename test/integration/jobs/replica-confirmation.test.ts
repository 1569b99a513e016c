import fs from "node:fs";
import Redis from "ioredis";
import { openRedis } from "../../../src/jobs/store/redis-connection";
import { redisKeys } from "../../../src/jobs/store/redis-keys";
import { ReplicaConfirmation } from "../../../src/jobs/store/replica-confirmation";
import { runWrite } from "../../../src/jobs/store/run-hash";
import { RunStore } from "../../../src/jobs/store/run-store";
import type { RunRecord } from "../../../src/jobs/run-types";
import { startRedisServer, type RedisServerHandle } from "../../../sim/process/redis-server";
import { startStallingProxy, type StallingProxy } from "../../../sim/ssh/stalling-proxy";
import { eventuallyTrue } from "../../helpers/eventually";

/**
 * Issue 15, the Sentinel row's lost run: Redis replicates asynchronously, so
 * a record the primary acknowledged dies with it if no replica had it yet.
 * The store confirms each record write with WAIT, and when the connection
 * changed servers between the write and WAIT's reply it reads back what
 * survived and writes again what did not.
 *
 * The failover is played at the client's side: the store reaches "the
 * primary" through a proxy; while WAIT blocks there (no replica acknowledges),
 * the proxy cuts the connection and sends the reconnect to a second server
 * holding the state as it was before the write, as a promoted replica that
 * missed it would.
 */

const keys = redisKeys("replica-confirm");

/** The store reads only these fields of a record; the rest of a run is beside the point here. */
function record(id: string, version: number, state: RunRecord["state"] = "running"): RunRecord {
  return { id, version, state, requestedAt: "2026-12-06T00:00:00.000Z", requestedBy: "U1", plan: { cluster: "c1" }, steps: [] } as unknown as RunRecord;
}

async function commandCalls(redis: Redis, command: string): Promise<number> {
  const info = await redis.info("commandstats");
  const m = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info);
  return m === null ? 0 : Number(m[1]);
}

describe("a run record write is acknowledged only once it would survive a failover", () => {
  let a: RedisServerHandle;
  let b: RedisServerHandle;
  let proxy: StallingProxy;
  const opened: Redis[] = [];
  const direct = (server: RedisServerHandle): Redis => {
    const r = new Redis(server.url);
    opened.push(r);
    return r;
  };

  beforeAll(async () => {
    [a, b] = await Promise.all([startRedisServer({ appendonly: false }), startRedisServer({ appendonly: false })]);
  });
  beforeEach(async () => {
    proxy = await startStallingProxy({ address: "127.0.0.1", target: { host: a.host, port: a.port } });
    await direct(a).flushall();
    await direct(b).flushall();
  });
  afterEach(async () => {
    for (const r of opened.splice(0)) r.disconnect();
    await proxy.close();
  });
  afterAll(async () => {
    for (const s of [a, b]) {
      await s.stop();
      fs.rmSync(s.dir, { recursive: true, force: true });
    }
  });

  function storeThroughProxy(onShort?: (acked: number, wanted: number) => void): { store: RunStore; replication: ReplicaConfirmation } {
    const redis = openRedis(`redis://${proxy.address}:${proxy.port}`, "replica-confirm");
    opened.push(redis);
    const replication = new ReplicaConfirmation(redis, { timeoutMs: 3000, ...(onShort !== undefined ? { onShort } : {}) });
    return { store: new RunStore(redis, keys, { replication }), replication };
  }

  /** Resolves once WAIT blocks on `a` (the write has been taken there). */
  async function untilWaitBlocks(): Promise<void> {
    const watch = direct(a);
    await eventuallyTrue("WAIT blocks on the first primary", async () => /blocked_clients:[1-9]/.test(await watch.info("clients")));
  }

  /** Cuts over to `b` once WAIT blocks on `a`. */
  async function failOverDuringWait(): Promise<void> {
    await untilWaitBlocks();
    proxy.switchTo({ host: b.host, port: b.port });
  }

  /**
   * A transition of run `id` from version 1 to 2, taken by `a`; while its WAIT
   * blocks, `b` gets the record (and, with `withAudit`, the audit stream) as
   * `a` has it, another writer moves it on to version 3 there, and the
   * connection fails over to `b`. Resolves to the store's answer.
   */
  async function movedOnDuringWait(id: string, at: string, withAudit: boolean): Promise<string> {
    const before = record(id, 1);
    await new RunStore(direct(a), keys).create(before, []);
    const { store } = storeThroughProxy();
    const next = { ...before, version: 2, state: "paused" as const };
    const writing = store.compareAndSet(before, next, [{ type: "interrupted", actor: "engine" }], at);
    await untilWaitBlocks();
    const watch = direct(a);
    await direct(b).restore(keys.run(id), 0, await watch.dumpBuffer(keys.run(id)));
    if (withAudit) await direct(b).restore(keys.runAudit(id), 0, await watch.dumpBuffer(keys.runAudit(id)));
    const moved = { ...next, version: 3, state: "running" as const };
    await direct(b).hset(keys.run(id), "v", "3", "state", "running", ...runWrite(next, moved).set);
    proxy.switchTo({ host: b.host, port: b.port });
    return writing;
  }

  it("writes a transition again on the new primary when the old one died before a replica had it", async () => {
    const seeded = new RunStore(direct(a), keys);
    const before = record("r1", 1);
    expect((await seeded.create(before, [{ type: "requested", actor: "U1" }])).ok).toBe(true);
    // The promoted replica had everything up to here.
    await direct(b).restore(keys.run("r1"), 0, (await direct(a).dumpBuffer(keys.run("r1"))));

    const { store } = storeThroughProxy();
    const next = { ...before, version: 2, state: "paused" as const };
    const writing = store.compareAndSet(before, next, [{ type: "interrupted", actor: "engine" }], "2026-12-06T00:00:01.000Z");
    await failOverDuringWait();
    expect(await writing).toBe("ok");

    const survivor = direct(b);
    expect(await new RunStore(survivor, keys).get("r1")).toMatchObject({ version: 2, state: "paused" });
    expect(await survivor.hget(keys.run("r1"), "v")).toBe("2");
    // Its audit entry was written with it, once.
    const audit = await survivor.xrange(keys.runAudit("r1"), "-", "+");
    expect(audit.filter(([, f]) => f.includes("interrupted"))).toHaveLength(1);
  });

  it("creates a run again on the new primary when the old one died before a replica had it", async () => {
    const { store } = storeThroughProxy();
    const creating = store.create(record("r2", 1), [{ type: "requested", actor: "U1" }]);
    await failOverDuringWait();
    expect(await creating).toEqual({ ok: true });
    const survivor = direct(b);
    expect(await survivor.hget(keys.run("r2"), "v")).toBe("1");
    expect(await survivor.get(keys.lock("c1"))).toBe("r2");
    expect(await survivor.hexists(keys.active, "r2")).toBe(1);
  });

  it("does not write again what the new primary already has (it moved on)", async () => {
    // This replica had the write, and another writer has moved the run on since.
    // Not "ok" (the record is not ours) and not written again: the caller re-reads, as after any conflict.
    expect(await movedOnDuringWait("r3", "2026-12-06T00:00:01.000Z", false)).toBe("conflict");
    expect(await direct(b).hget(keys.run("r3"), "v")).toBe("3");
  });

  it("counts a write as done when the new primary has it and has moved on (its audit entries are there)", async () => {
    // The replica had the write (record and audit), and another writer has moved the run on since.
    expect(await movedOnDuringWait("r5", "2026-12-06T00:00:05.000Z", true)).toBe("ok");
    expect(await direct(b).hget(keys.run("r5"), "v")).toBe("3");
  });

  it("waits for a real replica; once it is gone, writes wait only briefly and say so; the first write after it is back is confirmed again", async () => {
    const replica = await startRedisServer({ appendonly: false, replicaOf: { host: a.host, port: a.port } });
    const inSync = async (): Promise<boolean> => {
      const info = await direct(a).info("replication");
      return /connected_slaves:1/.test(info) && /state=online/.test(info);
    };
    try {
      const watch = direct(a);
      await eventuallyTrue("the replica is in sync", inSync);
      const shorts: number[] = [];
      const againAfter: number[] = [];
      const redis = openRedis(`redis://${proxy.address}:${proxy.port}`, "replica-confirm");
      opened.push(redis);
      const replication = new ReplicaConfirmation(redis, { timeoutMs: 3000, degradedTimeoutMs: 50, onShort: (acked) => shorts.push(acked), onConfirmedAgain: (n) => againAfter.push(n) });
      const store = new RunStore(redis, keys, { replication });
      const run = record("r4", 1);
      const before = await commandCalls(watch, "wait");
      expect((await store.create(run, [])).ok).toBe(true);
      const calls = await commandCalls(watch, "wait");
      expect(calls).toBe(before + 1);
      expect(replication.unconfirmed).toBe(0);
      // The replica's copy is there as soon as the write is acknowledged.
      expect(await direct(replica).hget(keys.run("r4"), "v")).toBe("1");

      await replica.stop("SIGKILL");
      await eventuallyTrue("the primary lost its replica", async () => /connected_slaves:0/.test(await watch.info("replication")));
      const v2 = { ...run, version: 2 };
      expect(await store.compareAndSet(run, v2, [], "2026-12-06T00:00:01.000Z")).toBe("ok");
      expect(shorts).toEqual([0]);
      expect(replication.isDegraded).toBe(true);
      // Degraded: the next write still asks (with the short timeout), is not confirmed, and is not reported again.
      const v3 = { ...v2, version: 3 };
      expect(await store.compareAndSet(v2, v3, [], "2026-12-06T00:00:02.000Z")).toBe("ok");
      expect(await commandCalls(watch, "wait")).toBe(calls + 2);
      expect(replication.unconfirmed).toBe(2);
      expect(shorts).toEqual([0]);

      // The replica comes back (on the same port, as the rejoined old primary would): the next write is confirmed.
      await replica.restart();
      await eventuallyTrue("the replica is in sync again", inSync);
      const v4 = { ...v3, version: 4 };
      expect(await store.compareAndSet(v3, v4, [], "2026-12-06T00:00:03.000Z")).toBe("ok");
      expect(replication.isDegraded).toBe(false);
      expect(replication.unconfirmed).toBe(2);
      expect(againAfter).toEqual([2]);
      expect(await direct(replica).hget(keys.run("r4"), "v")).toBe("4");
    } finally {
      await replica.stop();
      fs.rmSync(replica.dir, { recursive: true, force: true });
    }
  });
});
