import { catalogPlanner } from "../../../src/jobs";
import { decodeStart, encodeStart } from "../../../src/bot/blocks/action-ids";
import { renderPlanPreview } from "../../../src/bot/blocks/render-plan-preview";
import { exampleInventory } from "../procedures/inventory-fixture";

/** Start re-plans what the preview showed: the same request at the preview's time must give the same plan. */
describe("planning a Start at the preview's time", () => {
  let now = new Date("2026-03-01T08:00:00.250Z");
  const planner = catalogPlanner(exampleInventory(), { now: () => now });
  const request = { procedureId: "leofs.recover-manager", cluster: "prod", params: { target: "manager-slave" } };

  it("gives the previewed plan hash seconds later, although backup paths carry the time", async () => {
    const preview = await planner.plan(request);
    now = new Date(now.getTime() + 7_000);
    const fresh = await planner.plan(request);
    expect(fresh.planHash).not.toBe(preview.planHash);
    const replanned = await planner.plan({ ...request, plannedAt: preview.plannedAt! });
    expect(replanned.planHash).toBe(preview.planHash);
    expect(replanned).toEqual(preview);
  });

  it("carries the planning time in the Start button", async () => {
    const preview = await planner.plan(request);
    const payload = renderPlanPreview(preview);
    const start = JSON.stringify(payload.blocks).match(/"value":"((?:[^"\\]|\\.)*)"/);
    const value = decodeStart(JSON.parse(`"${start![1]!}"`) as string);
    expect(value).toEqual({ procedureId: "leofs.recover-manager", cluster: "prod", params: { target: "manager-slave" }, planHash: preview.planHash, plannedAt: preview.plannedAt });
    expect(decodeStart(encodeStart(value))).toEqual(value);
  });

  it("refuses a planning time from the future or older than a day: a forged or stale preview", () => {
    const at = (ms: number) => new Date(now.getTime() + ms).toISOString();
    expect(() => planner.plan({ ...request, plannedAt: at(5 * 60_000) })).toThrow(/too old \(or its time is invalid\)/);
    expect(() => planner.plan({ ...request, plannedAt: at(-25 * 3600_000) })).toThrow(/run the command again/);
    expect(() => planner.plan({ ...request, plannedAt: "yesterday" })).toThrow(/PARAMS|too old/);
  });
});
