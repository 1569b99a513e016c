import Redis from "ioredis";
import { beginStep, finishStep } from "../../../src/jobs/run-machine/step-lifecycle";
import { redisKeys } from "../../../src/jobs/store/redis-keys";
import { runFromHash } from "../../../src/jobs/store/run-hash";
import { RunStore } from "../../../src/jobs/store/run-store";
import type { RunRecord } from "../../../src/jobs/run-types";
import type { RunDraft } from "../../../src/jobs/run-machine/run-draft";
import { getTestbed } from "../../helpers/testbed";
import { apply, started, step } from "../../unit/jobs/run-fixtures";
import { cleanupPrefix, uniquePrefix } from "./helpers/jobs-harness";
import { monitorDuring } from "./helpers/monitor-during";

/** One committed transition as the transitioner makes it: the draft's run, one version on. */
function commit(run: RunRecord, fn: (d: RunDraft) => void): RunRecord {
  return { ...apply(run, fn).run, version: run.version + 1 };
}

/** What Redis received, through MONITOR: the fields each HSET on `key` set (commands inside scripts included). */
async function fieldsWritten(redisUrl: string, key: string, during: () => Promise<void>): Promise<string[]> {
  const fields: string[] = [];
  for (const args of await monitorDuring(redisUrl, during)) {
    if ((args[0] ?? "").toLowerCase() === "hset" && args[1] === key) for (let i = 2; i < args.length; i += 2) fields.push(args[i]!);
  }
  return fields;
}

/**
 * Issue 13 point 1: a run's hash holds each top-level field and each step
 * apart, and a transition writes only what it changed. Records written in the
 * layout before (one `json` field) are read as they are and rewritten whole by
 * their next transition.
 */
describe("a run record in Redis, field by field", () => {
  const prefix = uniquePrefix("runhash");
  const redisUrl = getTestbed().redisUrl;
  const keys = redisKeys(prefix);
  let redis: Redis;
  let store: RunStore;
  /** A run on a cluster of its own: each test's run takes its cluster's lock and keeps it. */
  const newRun = (id: string): RunRecord => {
    const run = started(steps);
    return { ...run, id, version: 1, plan: { ...run.plan, cluster: `cluster-${id}` } };
  };
  const steps = Array.from({ length: 5 }, (_, i) => step(i, { title: `step ${i}`, targets: [{ host: "h1", command: `echo ${i}` }] }));

  beforeAll(() => {
    redis = new Redis(redisUrl);
    store = new RunStore(redis, keys);
  });
  afterAll(async () => {
    redis.disconnect();
    await cleanupPrefix(redisUrl, prefix);
  });

  it("reads back exactly what was written, and a step's begin and end write that step and the fields they change, not the plan", async () => {
    const v1 = newRun("r-fields");
    expect(await store.create(v1, [])).toEqual({ ok: true });
    expect(await store.get(v1.id)).toEqual(v1);

    const v2 = commit(v1, (d) => beginStep(d, 0, 1));
    const v3 = commit(v2, (d) => finishStep(d, 0, 1, { ok: true, outputs: [{ host: "h1", exitCode: 0, signal: null, durationMs: 3, tail: "0\n", truncated: false }], durationMs: 3 }));
    const written = await fieldsWritten(redisUrl, keys.run(v1.id), async () => {
      expect(await store.compareAndSet(v1, v2, [], "2026-01-01T00:00:01.000Z")).toBe("ok");
      expect(await store.compareAndSet(v2, v3, [], "2026-01-01T00:00:02.000Z")).toBe("ok");
    });
    expect(await store.get(v1.id)).toEqual(v3);
    expect(written).not.toContain("f:plan");
    expect(written).not.toContain("json");
    expect(written.filter((f) => f.startsWith("s:")).sort()).toEqual(["s:0", "s:0", "s:1"]);
    // A stale writer still loses: the version is compared first.
    expect(await store.compareAndSet(v1, v2, [], "2026-01-01T00:00:03.000Z")).toBe("conflict");
  });

  it("removes a field the transition removed", async () => {
    const v1 = { ...newRun("r-unset"), reason: "to be cleared" };
    expect(await store.create(v1, [])).toEqual({ ok: true });
    const v2 = { ...v1, version: 2, reason: undefined } as unknown as RunRecord;
    expect(await store.compareAndSet(v1, v2, [], "2026-01-01T00:00:01.000Z")).toBe("ok");
    expect(await redis.hexists(keys.run(v1.id), "f:reason")).toBe(0);
    expect(await store.get(v1.id)).not.toHaveProperty("reason");
  });

  it("a record in the earlier layout (one JSON field) is read as it is and rewritten whole by its next transition", async () => {
    const v1 = newRun("r-legacy");
    // As start-run.lua wrote it before the fields were split.
    await redis.hset(keys.run(v1.id), "v", "1", "json", JSON.stringify(v1), "state", v1.state, "cluster", v1.plan.cluster, "requestedBy", v1.requestedBy);
    expect(await store.get(v1.id)).toEqual(v1);
    const v2 = commit(v1, (d) => beginStep(d, 0, 1));
    expect(await store.compareAndSet(v1, v2, [], "2026-01-01T00:00:01.000Z")).toBe("ok");
    const hash = await redis.hgetall(keys.run(v1.id));
    expect(hash).not.toHaveProperty("json");
    expect(hash).toHaveProperty("f:plan");
    expect(runFromHash(v1.id, hash)).toEqual(v2);
  });

  it("after a lost write, the same version made by another writer is a conflict, not a base for a partial write", async () => {
    const v1 = newRun("r-aba");
    const key = keys.run(v1.id);
    await store.create(v1, []);
    const atV1 = await redis.dumpBuffer(key);
    const mine = commit(v1, (d) => beginStep(d, 0, 1));
    expect(await store.compareAndSet(v1, mine, [], "2026-01-01T00:00:01.000Z")).toBe("ok");
    // The write is lost (a failover, an AOF restart): the record is v1 again, and another process moves it to a v2 of its own.
    await redis.restore(key, 0, atV1, "REPLACE");
    const other = new RunStore(redis, keys);
    const read = (await other.get(v1.id))!;
    const theirs = { ...read, version: 2, reason: "another writer's v2" };
    expect(await other.compareAndSet(read, theirs, [], "2026-01-01T00:00:02.000Z")).toBe("ok");
    // This store's own v2 is not what is stored: its next transition is refused, then computed again from what is.
    const next = commit(mine, (d) => finishStep(d, 0, 1, { ok: true, outputs: [], durationMs: 1 }));
    expect(await store.compareAndSet(mine, next, [], "2026-01-01T00:00:03.000Z")).toBe("conflict");
    expect(await store.get(v1.id)).toEqual(theirs);
  });

  it("a record not read or written by this store is written whole", async () => {
    const v1 = newRun("r-foreign");
    await new RunStore(redis, keys).create(v1, []);
    const v2 = commit(v1, (d) => beginStep(d, 0, 1));
    const written = await fieldsWritten(redisUrl, keys.run(v1.id), async () => {
      expect(await store.compareAndSet(v1, v2, [], "2026-01-01T00:00:01.000Z")).toBe("ok");
    });
    expect(written).toContain("f:plan");
    expect(written.filter((f) => f.startsWith("s:"))).toHaveLength(steps.length);
    expect(await store.get(v1.id)).toEqual(v2);
  });

  it("keeps the bot's message ref beside the record: no new version, and no transition conflicts with it or writes it back", async () => {
    const v1 = newRun("r-side");
    expect(await store.create(v1, [])).toEqual({ ok: true });
    const ref = { slackChannel: "C0SIDE", slackTs: "1700000000.000100" };
    expect(await store.notifierState(v1.id)).toBeUndefined();
    expect(await store.setNotifierState(v1.id, ref)).toBe("ok");
    // What the bot reads before its first post: the ref alone, not the record.
    expect(await store.notifierState(v1.id)).toEqual(ref);
    expect(await redis.hget(keys.run(v1.id), "v")).toBe("1");
    // A worker's transition computed from its copy read before the save still applies...
    const v2 = commit(v1, (d) => beginStep(d, 0, 1));
    expect(await store.compareAndSet(v1, v2, [], "2026-01-01T00:00:01.000Z")).toBe("ok");
    expect(await store.get(v1.id)).toEqual({ ...v2, notifierState: ref });
    // ...and a whole write (a record of unknown origin) of a copy with an older ref, or none, leaves the saved one.
    expect(await store.setNotifierState(v1.id, { slackTs: "1700000000.000200" })).toBe("ok");
    const stale = { ...commit(v2, (d) => finishStep(d, 0, 1, { ok: true, outputs: [], durationMs: 1 })), notifierState: ref };
    expect(await new RunStore(redis, keys).compareAndSet({ ...v2 }, stale, [], "2026-01-01T00:00:02.000Z")).toBe("ok");
    expect((await store.get(v1.id))?.notifierState).toEqual({ slackChannel: "C0SIDE", slackTs: "1700000000.000200" });
    expect(await store.setNotifierState("r-none", ref)).toBe("missing");
    expect(await store.notifierState("r-none")).toBeUndefined();
  });

  it("a legacy record's message ref is carried over when it is rewritten, and merging into it waits for that rewrite", async () => {
    const v1 = { ...newRun("r-legacy-ref"), notifierState: { slackChannel: "C0OLD", slackTs: "1600000000.000100" } };
    await redis.hset(keys.run(v1.id), "v", "1", "json", JSON.stringify(v1), "state", v1.state, "cluster", v1.plan.cluster, "requestedBy", v1.requestedBy);
    expect(await store.notifierState(v1.id)).toEqual(v1.notifierState);
    expect(await store.setNotifierState(v1.id, { slackTs: "1600000000.000200" })).toBe("legacy");
    const v2 = commit(v1, (d) => beginStep(d, 0, 1));
    expect(await store.compareAndSet(v1, v2, [], "2026-01-01T00:00:01.000Z")).toBe("ok");
    expect(await redis.hexists(keys.run(v1.id), "json")).toBe(0);
    expect(await store.get(v1.id)).toEqual(v2);
    expect(await store.setNotifierState(v1.id, { slackTs: "1600000000.000200" })).toBe("ok");
    expect((await store.get(v1.id))?.notifierState).toEqual({ slackChannel: "C0OLD", slackTs: "1600000000.000200" });
  });

  it("a hash with a step missing is an error, not a shorter run", () => {
    expect(() => runFromHash("r", { v: "1", state: "running", n: "2", "s:0": "{}" })).toThrow("step 1 of 2 is missing");
    expect(runFromHash("r", {})).toBeUndefined();
  });
});
