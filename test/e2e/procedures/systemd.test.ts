import { assertRunState, stepById, type EngineHarness } from "../../helpers/engine-harness";
import { useSimClusterBed } from "../../helpers/sim-cluster-bed";
import type { SimCluster } from "../../../sim/start-sim-cluster";
import type { LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { parsedStatus } from "./leofs-e2e";

jest.setTimeout(240_000);

/**
 * Issue 11 point 5: the same procedures on a cluster whose nodes run under
 * the packages' systemd units (rel/service/leofs-*.service, Restart=on-failure),
 * through the real engine, BullMQ worker and SSH pool. Every start and stop
 * goes through systemctl; at the end every unit is active and owns its node,
 * so a crash would be restarted and no launch-script node is left behind.
 */
describe("LeoFS procedures on systemd-managed hosts", () => {
  let cluster: SimCluster<LeofsSim>;
  let harness: EngineHarness;
  let sim: LeofsSim;

  useSimClusterBed({ kind: "leofs", storage: 2, gateways: 1, replicas: 2, started: true, service: "systemd" }, {
    prepare: async (s) => {
      for (const h of s.hosts) await s.sim("stage-package", h.name, "1.4.4");
    },
    ready: (bed) => ({ cluster, sim, harness } = bed),
    abortAfterEach: true,
  });

  const UNITS: Record<string, string> = { "manager-master": "leofs-manager-master", "manager-slave": "leofs-manager-slave", storage: "leofs-storage", gateway: "leofs-gateway" };

  async function expectEveryUnitActive(): Promise<void> {
    for (const h of sim.hosts) {
      const unit = UNITS[h.role] ?? "";
      expect([h.name, (await sim.exec(h.name, `systemctl is-active ${unit}`)).stdout]).toEqual([h.name, "active\n"]);
      // The unit's main process is the node's VM: it was started by systemd, not by the launch script.
      expect([h.name, (await sim.exec(h.name, `systemctl status ${unit}`)).stdout]).toEqual([h.name, expect.stringContaining(`Main PID: ${await sim.state.nodePid(h.node)} (beam.smp)`)]);
    }
    const status = await parsedStatus(sim);
    expect(status.nodes.map((n) => n.state)).toEqual(["running", "running", "running"]);
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
  }

  /** A manager whose Mnesia files are damaged, restarted through its unit: its VM runs, its console does not answer, it never becomes ready. */
  async function breakManagerMnesia(role: "manager-master" | "manager-slave"): Promise<void> {
    const h = sim.hostOf(role);
    expect((await sim.exec(h.name, `systemctl stop leofs-${role}`)).code).toBe(0);
    await sim.fault.corruptMnesia(h.node);
    expect((await sim.exec(h.name, `systemctl start --no-block leofs-${role}`)).code).toBe(0);
    for (let i = 0; !(await sim.state.mnesiaOf(h.node)).running; i++) {
      if (i > 200) throw new Error(`${h.node} never booted under leofs-${role}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const launchScriptCommands = (run: Awaited<ReturnType<EngineHarness["runToEnd"]>>["run"]): string[] =>
    run.plan.steps
      .flatMap((s) => s.targets.map((t) => t.command ?? ""))
      // The refusal text names the launch script's stop inside quotes; commands never run it.
      .filter((c) => /bin\/leo_(manager|storage|gateway) (start|stop)\b/.test(c.replace(/'[^']*'/g, "''")));

  it("recovers a manager-slave (seed 000 Case 1) with systemctl stop/start, and no unit restarts a manager while its Mnesia moves", async () => {
    await breakManagerMnesia("manager-slave");
    expect(await sim.state.mnesiaOf(1)).toMatchObject({ files: "corrupt", running: true, mnesia: "corrupt" });
    const started = await harness.start("leofs.recover-manager", cluster.clusterName, { target: "manager-slave" });
    const { run } = await harness.runToEnd(started.id);

    assertRunState(run, "succeeded");
    expect(launchScriptCommands(run)).toEqual([]);
    expect(stepById(run, "stop-manager-slave").step.targets[0]?.command).toContain("systemctl stop leofs-manager-slave");
    expect(stepById(run, "check-managers-stopped").record.outputs.map((o) => o.tail)).toEqual([
      expect.stringContaining("leofs-manager-master: inactive"),
      expect.stringContaining("leofs-manager-slave: inactive"),
    ]);
    expect(stepById(run, "compare-manager-slave-mnesia").record.outputs[0]?.exitCode).toBe(0);
    await expectEveryUnitActive();
  });

  it("suspends and resumes a storage node through its unit", async () => {
    const node = sim.hostOf("storage", 1);
    const suspended = await harness.runToEnd((await harness.start("leofs.storage", cluster.clusterName, { operation: "suspend", node: node.node })).id);
    assertRunState(suspended.run, "succeeded");
    expect((await sim.exec(node.name, "systemctl is-active leofs-storage")).stdout).toBe("inactive\n");
    const resumed = await harness.runToEnd((await harness.start("leofs.storage", cluster.clusterName, { operation: "resume", node: node.node })).id);
    assertRunState(resumed.run, "succeeded");
    expect(launchScriptCommands(suspended.run)).toEqual([]);
    expect(launchScriptCommands(resumed.run)).toEqual([]);
    await expectEveryUnitActive();
  });

  it("upgrades every node: systemctl stop, package, then the units start the new version", async () => {
    const started = await harness.start("leofs.upgrade", cluster.clusterName, { target: "all", version: "1.4.4" });
    const { run } = await harness.runToEnd(started.id, { timeoutMs: 180_000 });
    assertRunState(run, "succeeded");
    expect(launchScriptCommands(run)).toEqual([]);
    for (const h of sim.hosts) expect([h.node, await sim.state.bootSchema(h.node)]).toEqual([h.node, "1.4.4"]);
    await expectEveryUnitActive();
  });
});
