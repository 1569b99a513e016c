import Redis from "ioredis";
import { createEngine, EngineError, inventoryPolicyResolver, type Actor } from "../../../src/jobs";
import { getTestbed } from "../../helpers/testbed";
import { createHarness, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";
import { codeOf } from "./helpers/code-of";

const alice: Actor = { userId: "UALICE" };
const bob: Actor = { userId: "UBOB" };
const approver: Actor = { userId: "UAPP1" };

const gatedPlan = (cluster: string) =>
  testPlan(cluster, [{ id: "restart", kind: "exec", destructive: true, targets: [{ host: "h2", command: "true" }] }]);
const quickPlan = (cluster: string) =>
  testPlan(cluster, [
    { id: "pause-a-moment", kind: "wait", wait: { delayMs: 50 } },
    { id: "look", kind: "check", targets: [{ host: "h2", command: "echo fine" }] },
  ]);

describe("cluster locks", () => {
  let h: Harness;
  let redis: Redis;

  beforeAll(() => {
    h = createHarness("lock", { c1: "{}", c2: "{}", c3: "{}", c4: "{}", c5: "{}" });
    redis = new Redis(getTestbed().redisUrl);
  });
  afterAll(async () => {
    redis.disconnect();
    await h.close();
  });

  it("two concurrent starts on one cluster make exactly one run; the other is refused LOCKED naming the holder and its requester", async () => {
    const results = await Promise.allSettled([h.engine.start(gatedPlan("c1"), alice), h.engine.start(gatedPlan("c1"), bob)]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const holder = (won[0] as PromiseFulfilledResult<{ id: string; requestedBy: string }>).value;
    const error = lost[0]!.reason as EngineError;
    expect(error).toBeInstanceOf(EngineError);
    expect(error.code).toBe("LOCKED");
    expect(error.context).toMatchObject({ cluster: "c1", holderRunId: holder.id, holderRequestedBy: holder.requestedBy });
    expect(error.message).toContain(holder.id);
    expect((await h.engine.list({ cluster: "c1" })).map((r) => r.id)).toEqual([holder.id]);
    expect(await h.engine.store.lockHolder("c1")).toBe(holder.id);
    const refused = (await h.engine.store.globalAudit()).filter((e) => e.type === "refused" && e.data?.code === "LOCKED");
    expect(refused.map((e) => e.data?.holderRunId)).toContain(holder.id);
    // Another cluster is not affected.
    const other = await h.engine.start(gatedPlan("c2"), bob);
    await h.engine.abort(other.id, bob, "now");
    await h.engine.abort(holder.id, holder.requestedBy === alice.userId ? alice : bob, "now");
  });

  it("keeps the lock while the run waits for a human, even past the lock TTL and even if the key lapsed", async () => {
    const engine = createEngine({
      redis: h.redisUrl,
      prefix: h.prefix,
      policy: inventoryPolicyResolver(h.inventory),
      lockTtlMs: 600,
      heartbeatMs: 100,
    });
    try {
      const run = await engine.start(gatedPlan("c3"), alice);
      await new Promise((r) => setTimeout(r, 1500));
      const ttl = await redis.pttl(`${h.prefix}:lock:c3`);
      expect(ttl).toBeGreaterThan(0);
      expect(await codeOf(engine.start(gatedPlan("c3"), bob))).toBe("LOCKED");
      // Every process was down long enough for the key to lapse: the live run still holds the cluster.
      await redis.del(`${h.prefix}:lock:c3`);
      const error = await engine.start(gatedPlan("c3"), bob).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "LOCKED", context: { holderRunId: run.id, holderRequestedBy: "UALICE" } });
      expect(await redis.get(`${h.prefix}:lock:c3`)).toBe(run.id);
      await engine.abort(run.id, alice, "now");
    } finally {
      await engine.close();
    }
  });

  it("recovers a lock whose holder is dead (missing record or finished run), never one that is only waiting", async () => {
    await redis.set(`${h.prefix}:lock:c4`, "rghost");
    const run = await h.engine.start(gatedPlan("c4"), alice);
    expect(await h.engine.store.lockHolder("c4")).toBe(run.id);
    const audit = await h.engine.audit(run.id);
    expect(audit.slice(0, 3).map((e) => e.type)).toEqual(["requested", "lock.recovered", "lock.taken"]);
    expect(audit[1]!.data).toEqual({ cluster: "c4", from: "rghost", holderState: "missing" });
    // A waiting holder is never recovered.
    expect(await codeOf(h.engine.start(gatedPlan("c4"), bob))).toBe("LOCKED");
    await h.engine.abort(run.id, alice, "now");
    // A finished holder whose lock somehow stayed behind is dead too.
    await redis.set(`${h.prefix}:lock:c4`, run.id);
    const next = await h.engine.start(gatedPlan("c4"), bob);
    expect((await h.engine.audit(next.id))[1]!.data).toEqual({ cluster: "c4", from: run.id, holderState: "aborted" });
    await h.engine.abort(next.id, bob, "now");
  });

  it("releases the lock when the run ends and when it is aborted", async () => {
    const worker = await h.startWorker();
    try {
      const run = await h.engine.start(quickPlan("c5"), alice);
      await waitForRun(h.engine, run.id, (r) => r.state === "succeeded");
      expect(await h.engine.store.lockHolder("c5")).toBeUndefined();
      expect((await h.engine.audit(run.id)).at(-1)).toMatchObject({ type: "lock.released", data: { cluster: "c5" } });

      const gated = await h.engine.start(gatedPlan("c5"), bob);
      expect(await h.engine.store.lockHolder("c5")).toBe(gated.id);
      const aborted = await h.engine.abort(gated.id, approver, "after-step");
      expect(aborted.state).toBe("aborted");
      expect(await h.engine.store.lockHolder("c5")).toBeUndefined();
      const again = await h.engine.start(quickPlan("c5"), alice);
      await waitForRun(h.engine, again.id, (r) => r.state === "succeeded");
      expect(await h.engine.list({ cluster: "c5", active: true })).toEqual([]);
    } finally {
      await worker.close();
    }
  });
});

