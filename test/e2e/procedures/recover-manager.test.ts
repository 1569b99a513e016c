import { assertRunState, stepById, type EngineHarness } from "../../helpers/engine-harness";
import { useSimClusterBed } from "../../helpers/sim-cluster-bed";
import type { SimCluster } from "../../../sim/start-sim-cluster";
import type { LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { backupsOn, breakManagerMnesia, parsedStatus } from "./leofs-e2e";

jest.setTimeout(120_000);

// Seed 000 Case 1 through the real engine, BullMQ worker and SSH pool, on a simulated LeoFS cluster
// whose managers run real Erlang Mnesia (issue 11 point 0): the copied files must satisfy OTP's mnesia.
describe("leofs.recover-manager on a simulated cluster", () => {
  let cluster: SimCluster<LeofsSim>;
  let harness: EngineHarness;
  let sim: LeofsSim;

  useSimClusterBed({ kind: "leofs", storage: 2, gateways: 1, replicas: 2, started: true, mnesia: "erlang" }, {
    ready: (bed) => ({ cluster, sim, harness } = bed),
  });

  async function expectHealthyManagers(): Promise<void> {
    const [master, slave] = [await sim.state.mnesiaOf(0), await sim.state.mnesiaOf(1)];
    expect(master).toMatchObject({ files: "ok", running: true, mnesia: "ok" });
    expect(slave).toMatchObject({ files: "ok", running: true, mnesia: "ok" });
    expect(slave.cookie).toBe(master.cookie);
    expect(slave.fingerprint).toBe(master.fingerprint);
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
    const status = await parsedStatus(sim);
    expect(status.nodes.map((n) => `${n.type} ${n.node} ${n.state}`)).toEqual([
      `S ${sim.hostOf("storage", 0).node} running`,
      `S ${sim.hostOf("storage", 1).node} running`,
      `G ${sim.hostOf("gateway").node} running`,
    ]);
  }

  it("recovers a manager-slave with corrupted Mnesia: the slave gets the master's tables, after approval of each destructive step", async () => {
    await breakManagerMnesia(sim, "manager-slave");
    // Real Mnesia cannot open the garbled schema.DAT: the slave's application never comes up (its VM stops after a while).
    expect(await sim.state.mnesiaOf(1)).toMatchObject({ files: "corrupt" });
    expect((await sim.state.mnesiaOf(1)).mnesia).not.toBe("ok");

    const started = await harness.start("leofs.recover-manager", cluster.clusterName, { target: "manager-slave" });
    const { run, gates } = await harness.runToEnd(started.id);

    assertRunState(run, "succeeded");
    expect(gates.map((g) => g.stepId)).toEqual(["stop-manager-slave", "stop-manager-master", "backup-manager-slave-mnesia"]);
    expect(stepById(run, "compare-manager-slave-mnesia").record.outputs[0]?.exitCode).toBe(0);
    await expectHealthyManagers();
    const backups = backupsOn(sim, "leofs-m1", "-manager-slave-mnesia");
    expect(backups).toHaveLength(1);
    // The corrupted tables were moved aside, not deleted.
    expect(backups[0]?.files).toEqual(expect.arrayContaining(["leo_ring_cur.DCD", "leo_storage_nodes.DCD", "schema.DAT"]));
  });

  it("recovers a manager-master from the slave the same way", async () => {
    await breakManagerMnesia(sim, "manager-master");
    expect(await sim.state.mnesiaOf(0)).toMatchObject({ files: "corrupt" });
    expect((await sim.state.mnesiaOf(0)).mnesia).not.toBe("ok");

    const started = await harness.start("leofs.recover-manager", cluster.clusterName, { target: "manager-master" });
    const { run, gates } = await harness.runToEnd(started.id);

    assertRunState(run, "succeeded");
    expect(gates.map((g) => g.stepId)).toEqual(["stop-manager-master", "stop-manager-slave", "backup-manager-master-mnesia"]);
    await expectHealthyManagers();
    expect(backupsOn(sim, "leofs-m0", "-manager-master-mnesia")[0]?.files.length).toBeGreaterThan(0);
  });

  it("pauses when the slave cannot start (root-owned launch pipe dir), and succeeds on retry once the operator removed it", async () => {
    await breakManagerMnesia(sim, "manager-slave");
    await sim.fault.stalePipeDir("leofs-m1");
    const backupsBefore = backupsOn(sim, "leofs-m1", "-manager-slave-mnesia").length;

    const started = await harness.start("leofs.recover-manager", cluster.clusterName, { target: "manager-slave" });
    const paused = await harness.runToEnd(started.id);

    assertRunState(paused.run, "paused");
    const failed = stepById(paused.run, "start-manager-slave");
    expect(paused.run.cursor).toBe(failed.step.index);
    expect(failed.record.state).toBe("failed");
    // `start` fails silently here (reference §2, seed 002): the exit code is all there is to show.
    expect(failed.record.error).toBe("leofs-m1: exit code 1, expected 0");
    expect(failed.record.outputs[0]).toMatchObject({ host: "leofs-m1", exitCode: 1 });
    expect((await sim.state.mnesiaOf(1)).running).toBe(false);

    await sim.fault.clear("stale-pipe-dir", "leofs-m1");
    const { run } = await harness.retryToEnd(started.id);

    assertRunState(run, "succeeded");
    expect(stepById(run, "start-manager-slave").record.attempt).toBe(2);
    await expectHealthyManagers();
    expect(backupsOn(sim, "leofs-m1", "-manager-slave-mnesia")).toHaveLength(backupsBefore + 1);
  });
});
