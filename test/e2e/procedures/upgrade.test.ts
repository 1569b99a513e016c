import fs from "node:fs";
import YAML from "yaml";
import { loadInventory } from "../../../src/config";
import { assertRunState, describeRun, startEngineHarness, stepById, type EngineHarness } from "../../helpers/engine-harness";
import { getTestbed } from "../../helpers/testbed";
import type { LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { startSimCluster, type SimCluster } from "../../../sim/start-sim-cluster";
import { parsedStatus } from "./leofs-e2e";

jest.setTimeout(180_000);

// Seed 002 + reference §3 rolling upgrade through the real engine, BullMQ worker and SSH pool.
describe("leofs.upgrade on a simulated cluster", () => {
  let cluster: SimCluster<LeofsSim>;
  let harness: EngineHarness;
  let sim: LeofsSim;

  beforeAll(async () => {
    cluster = await startSimCluster({ kind: "leofs", storage: 2, gateways: 1, replicas: 2, started: true });
    sim = cluster.sim;
    for (const h of sim.hosts) {
      await sim.sim("stage-package", h.name, "1.4.4");
      await sim.sim("stage-package", h.name, "1.4.5");
    }
    harness = await startEngineHarness({ inventory: cluster.inventory, redisUrl: getTestbed().redisUrl });
  });
  afterEach(async () => {
    await harness.abortActive();
  });
  afterAll(async () => {
    await harness?.close();
    await cluster?.stop();
  });

  async function expectEveryNodeOn(version: string): Promise<void> {
    for (const h of sim.hosts) expect([h.name, await sim.state.installedVersions(h.name)]).toEqual([h.name, [expect.stringContaining(version)]]);
    const versions = await sim.exec("leofs-m0", `${sim.hostOf("manager-master").root}/usr/local/leofs/current/leofs-adm version all`);
    for (const h of sim.hosts) expect(versions.stdout).toMatch(new RegExp(`${h.node.replace(/[.]/g, "\\.")}\\s*\\|\\s*${version.replace(/[.]/g, "\\.")}`));
    const status = await parsedStatus(sim);
    expect(status.nodes.map((n) => n.state)).toEqual(["running", "running", "running"]);
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
  }

  it("point 4: upgrades every node, host by host, carrying .conf and .environment but never the old .schema, and verifies with version all", async () => {
    // The operator's tuning lives in the old tree's .environment (leo-project/leofs rel/common/launch.environment).
    const storage = sim.hostOf("storage", 0);
    const oldEtc = `${storage.root}/usr/local/leofs/1.4.3/leo_storage/etc`;
    fs.appendFileSync(`${oldEtc}/leo_storage.environment`, "MAX_OPEN_FILES=131072\n");
    expect(fs.readFileSync(`${oldEtc}/leo_storage.schema`, "utf8")).toContain("schema leo_storage 1.4.3");

    const started = await harness.start("leofs.upgrade", cluster.clusterName, { target: "all", version: "1.4.4" });
    const { run, gates } = await harness.runToEnd(started.id, { timeoutMs: 120_000 });

    assertRunState(run, "succeeded");
    expect(gates.length).toBeGreaterThan(0);
    await expectEveryNodeOn("1.4.4");
    const newEtc = `${storage.root}/usr/local/leofs/1.4.4/leo_storage/etc`;
    expect(fs.readFileSync(`${newEtc}/leo_storage.environment`, "utf8")).toContain("MAX_OPEN_FILES=131072");
    expect(fs.readFileSync(`${newEtc}/leo_storage.schema`, "utf8")).toContain("schema leo_storage 1.4.4");
    for (const h of sim.hosts) expect([h.node, await sim.state.bootSchema(h.node)]).toEqual([h.node, "1.4.4"]);
    const migrate = stepById(run, `migrate-${storage.name}`).record.outputs[0]?.tail ?? "";
    expect(migrate).toContain("carried leo_storage.environment");
    expect(migrate).toContain("kept the package's leo_storage.schema");
    expect(stepById(run, "verify-versions").record.state).toBe("succeeded");
  });

  /** What the operator does after an upgrade: the inventory now says the cluster runs `version`. */
  async function inventoryNowSays(version: string): Promise<void> {
    const doc = YAML.parse(fs.readFileSync(sim.inventoryPath, "utf8")) as { clusters: Record<string, { leofs: { version: string } }> };
    doc.clusters[cluster.clusterName]!.leofs.version = version;
    fs.writeFileSync(sim.inventoryPath, YAML.stringify(doc));
    const inventory = loadInventory({ inventoryFile: sim.inventoryPath, ssh: { privateKeyFile: sim.privateKeyPath, knownHostsFile: sim.knownHostsPath } });
    await harness.close();
    harness = await startEngineHarness({ inventory, redisUrl: getTestbed().redisUrl });
  }

  it("a stray epmd on a host: the kill step shows its pids for approval, and the upgrade goes on once approved", async () => {
    await inventoryNowSays("1.4.4");
    await sim.fault.epmdRunning("leofs-g0");
    const stray = await sim.state.epmdPids("leofs-g0");
    expect(stray).toHaveLength(1);
    const started = await harness.start("leofs.upgrade", cluster.clusterName, { target: "all", version: "1.4.5" });
    const atKill = await harness.runToEnd(started.id, { stopAtGate: (step) => step?.id.startsWith("kill-epmd-leofs-g0") === true, timeoutMs: 120_000 });

    if (atKill.run.state !== "awaiting_approval") throw new Error(describeRun(atKill.run) + JSON.stringify(atKill.run.steps[atKill.run.cursor]?.outputs, null, 1));
    const kill = atKill.gates.at(-1)!;
    expect(kill.commands.map((c) => c.command).join("\n")).toContain(String(stray[0]));
    const { run } = await harness.runToEnd(started.id, { timeoutMs: 120_000 });
    if (run.state !== "succeeded") throw new Error(describeRun(run) + JSON.stringify(run.steps[run.cursor]?.outputs, null, 1));
    expect(stepById(run, kill.stepId!).record.state).toBe("succeeded");
    await expectEveryNodeOn("1.4.5");
  });
});
