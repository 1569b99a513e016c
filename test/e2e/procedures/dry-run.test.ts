import type { Inventory } from "../../../src/config";
import { listProcedures, renderPlanText } from "../../../src/procedures";
import { startEngineHarness, type EngineHarness } from "../../helpers/engine-harness";
import { getTestbed } from "../../helpers/testbed";
import type { DiracSim } from "../../../sim/dirac/start-dirac-sim";
import type { LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { startSimCluster, type SimCluster } from "../../../sim/start-sim-cluster";
import { leofsSnapshot } from "./leofs-e2e";

jest.setTimeout(120_000);

type ParamsFor = (sim: { leofs: LeofsSim; dirac: DiracSim }) => readonly Readonly<Record<string, unknown>>[];

/**
 * Parameters to preview each catalog procedure with. A procedure added to the
 * catalog without an entry here fails the test: every procedure gets a dry run.
 */
const DRY_RUN_PARAMS: Readonly<Record<string, ParamsFor>> = {
  "leofs.recover-manager": () => [{ target: "manager-slave" }, { target: "manager-master" }],
  "leofs.launch": () => [{}, { forceStart: "slave" }],
  "leofs.storage": ({ leofs }) => (["attach", "detach", "suspend", "resume"] as const).map((operation) => ({ operation, node: leofs.hostOf("storage", 2).node })),
  "leofs.takeover-manager": ({ leofs }) => [{ replace: "manager-slave", newHost: leofs.hostOf("gateway").name, newNode: `manager_2@${leofs.hostOf("gateway").address}` }],
  "leofs.upgrade": ({ leofs }) => [{ target: "all", version: "1.4.4" }, { target: leofs.hostOf("storage", 0).node, version: "1.4.4" }],
  "dirac.intervention": () => [{}, { innodbJournal: true }],
};

function diracSnapshot(sim: DiracSim): unknown {
  return Object.fromEntries(
    sim.boxes.map((b) => [
      b.name,
      {
        components: sim.state.componentStatus(b.name),
        maintenance: sim.state.maintenance(b.name),
        mysql: sim.state.mysqlRunning(b.name),
        startup: sim.state.startupLinks(b.name),
        startupSave: sim.state.startupSaveLinks(b.name),
      },
    ]),
  );
}

// `/leofs … --dry-run`: the engine plans, the operator reads the whole plan, nothing touches the cluster.
describe("dry runs of every catalog procedure on simulated clusters", () => {
  let leofs: SimCluster<LeofsSim>;
  let dirac: SimCluster<DiracSim>;
  const harnesses: Record<string, EngineHarness> = {};

  beforeAll(async () => {
    [leofs, dirac] = await Promise.all([
      startSimCluster({ kind: "leofs", storage: 3, gateways: 1, replicas: 2, started: true }),
      startSimCluster({ kind: "dirac" }),
    ]);
    const redisUrl = getTestbed().redisUrl;
    const withHarness = async (inventory: Inventory): Promise<EngineHarness> => startEngineHarness({ inventory, redisUrl });
    harnesses.leofs = await withHarness(leofs.inventory);
    harnesses.dirac = await withHarness(dirac.inventory);
  });
  afterAll(async () => {
    await Promise.all(Object.values(harnesses).map((h) => h.close()));
    await Promise.all([leofs?.stop(), dirac?.stop()]);
  });

  it("has dry-run parameters for every procedure in the catalog", () => {
    expect(listProcedures().map((p) => p.id).filter((id) => DRY_RUN_PARAMS[id] === undefined)).toEqual([]);
  });

  it.each(listProcedures().map((p) => [p.id, p.kind] as const))("%s: the full plan is printed and the cluster is left as it was", async (id, kind) => {
    const paramsFor = DRY_RUN_PARAMS[id];
    if (paramsFor === undefined) throw new Error(`no dry-run parameters for ${id}`);
    const harness = harnesses[kind]!;
    const cluster = kind === "leofs" ? leofs.clusterName : dirac.clusterName;
    const snapshot = (): Promise<unknown> => (kind === "leofs" ? leofsSnapshot(leofs.sim) : Promise.resolve(diracSnapshot(dirac.sim)));
    const before = await snapshot();

    for (const params of paramsFor({ leofs: leofs.sim, dirac: dirac.sim })) {
      const plan = await harness.plan(id, cluster, params);
      const text = renderPlanText(plan);

      expect(plan).toMatchObject({ procedureId: id, cluster });
      expect(plan.planHash).toMatch(/^[0-9a-f]{64}$/);
      expect(text.split("\n")[0]).toContain(`(${id}) on ${cluster}`);
      for (const step of plan.steps) {
        expect(text).toContain(`${step.index + 1}. ${step.destructive ? "⚠ " : ""}${step.title}`);
        for (const t of step.targets) if (t.command !== undefined) expect(text).toContain(`${t.host}$ ${t.command}`);
      }
      expect((text.match(/APPROVAL required/g) ?? []).length).toBe(plan.steps.filter((s) => s.destructive).length);
    }

    expect(await harness.engine.list({ active: true })).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });
});
