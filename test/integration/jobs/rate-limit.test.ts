import { createEngine, inventoryPolicyResolver, type Actor, type EngineHandle } from "../../../src/jobs";
import { renderError } from "../../../src/bot/blocks/render-error";
import { getTestbed } from "../../helpers/testbed";
import { codeOf } from "./helpers/code-of";
import { cleanupPrefix, testInventory, testPlan, uniquePrefix } from "./helpers/jobs-harness";

/**
 * Issue 12 point 11: previews and starts are limited per user (here 3 a
 * minute), counted in Redis so that two engines (two bot processes) share the
 * count; the refusal says when to try again, is audited, and other users are
 * not affected.
 */
describe("per-user rate limit on previews and starts", () => {
  const prefix = uniquePrefix("rate");
  const redisUrl = getTestbed().redisUrl;
  const engines: EngineHandle[] = [];
  beforeAll(() => {
    const inventory = testInventory({ c1: "{}", c2: "{}" });
    // A fixed clock in the middle of a minute: the window cannot roll over during the test.
    const clock = { now: () => new Date("2026-12-04T21:30:30.000Z") };
    for (let i = 0; i < 2; i++) engines.push(createEngine({ redis: redisUrl, prefix, policy: inventoryPolicyResolver(inventory), requestsPerMinute: 3, clock }));
  });
  afterAll(async () => {
    await Promise.all(engines.map((e) => e.close()));
    await cleanupPrefix(redisUrl, prefix);
  });

  it("refuses the fourth request of a minute from one user across two engines, saying when to try again; another user goes on", async () => {
    const alice: Actor = { userId: "UALICE" };
    const bob: Actor = { userId: "UBOB" };
    const plan = (cluster: string) => testPlan(cluster, [{ id: "gate", kind: "exec", destructive: true, targets: [{ host: "h2", command: "true" }] }]);
    const first = await engines[0]!.start(plan("c1"), alice);
    await engines[1]!.abort(first.id, alice, "now");
    const second = await engines[1]!.start(plan("c1"), alice);
    await engines[0]!.abort(second.id, alice, "now");
    const third = await engines[0]!.start(plan("c2"), alice);
    await engines[0]!.abort(third.id, alice, "now");
    const refusal = await codeOf(engines[1]!.start(plan("c1"), alice));
    expect(refusal).toBe("RATE_LIMITED");
    const error = await engines[1]!.start(plan("c1"), alice).catch((e: unknown) => e);
    expect(JSON.stringify(renderError(error))).toMatch(/UALICE asked for \d+ previews and starts this minute; the limit is 3 per minute: try again in 30 s/);
    const refused = (await engines[0]!.store.globalAudit(50)).filter((e) => e.type === "refused" && (e.data as { code?: string } | undefined)?.code === "RATE_LIMITED");
    expect(refused.length).toBeGreaterThan(0);
    const bobs = await engines[0]!.start(plan("c2"), bob).catch((e: unknown) => e);
    expect((bobs as { code?: string }).code).not.toBe("RATE_LIMITED");
  });
});
