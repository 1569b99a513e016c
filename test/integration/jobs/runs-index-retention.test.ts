import { createEngine, inventoryPolicyResolver, type Actor, type EngineHandle } from "../../../src/jobs";
import { getTestbed } from "../../helpers/testbed";
import { cleanupPrefix, testInventory, testPlan, uniquePrefix, waitForRun } from "./helpers/jobs-harness";

const requester: Actor = { userId: "UREQ" };

/**
 * Issue 12 point 11: the `runs` index is trimmed with the runs. A finished
 * run's record expires after the retention time; its id must not stay in the
 * index for ever (the index would grow without bound and `runs` would read
 * dead ids).
 */
describe("the runs index follows run retention", () => {
  const prefix = uniquePrefix("retention");
  const redisUrl = getTestbed().redisUrl;
  let engine: EngineHandle;
  beforeAll(() => {
    const inventory = testInventory({ c1: "{}", c2: "{}" });
    engine = createEngine({ redis: redisUrl, prefix, policy: inventoryPolicyResolver(inventory), retainRunsMs: 300 });
  });
  afterAll(async () => {
    await engine.close();
    await cleanupPrefix(redisUrl, prefix);
  });

  it("drops expired ids at the next start and when listing", async () => {
    const plan = testPlan("c1", [{ id: "gate", kind: "exec", destructive: true, targets: [{ host: "h2", command: "true" }] }]);
    for (let i = 0; i < 3; i++) {
      const run = await engine.start(plan, requester);
      await waitForRun(engine, run.id, (r) => r.state === "awaiting_approval");
      await engine.abort(run.id, requester, "now");
    }
    const index = `${prefix}:runs`;
    expect(await engine.store.redis.zcard(index)).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The three records expired; a new start trims their ids.
    const fresh = await engine.start(plan, requester);
    expect(await engine.store.redis.zrange(index, "0", "-1")).toEqual([fresh.id]);
    await engine.abort(fresh.id, requester, "now");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await engine.list({ limit: 10 })).toEqual([]);
    expect(await engine.store.redis.zcard(index)).toBe(0);
  });

  it("a run left waiting (no TTL while it lives) at the head of the index does not stop the trimming behind it", async () => {
    const gate = (cluster: string) => testPlan(cluster, [{ id: "gate", kind: "exec", destructive: true, targets: [{ host: "h2", command: "true" }] }]);
    const waiting = await engine.start(gate("c2"), requester);
    await waitForRun(engine, waiting.id, (r) => r.state === "awaiting_approval");
    for (let i = 0; i < 3; i++) {
      const run = await engine.start(gate("c1"), requester);
      await waitForRun(engine, run.id, (r) => r.state === "awaiting_approval");
      await engine.abort(run.id, requester, "now");
    }
    const index = `${prefix}:runs`;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const fresh = await engine.start(gate("c1"), requester);
    expect(await engine.store.redis.zrange(index, "0", "-1")).toEqual([waiting.id, fresh.id]);
    await engine.abort(fresh.id, requester, "now");
    await engine.abort(waiting.id, requester, "now");
  });
});
