import { assertRunState, stepById, type EngineHarness } from "../../helpers/engine-harness";
import { useSimClusterBed } from "../../helpers/sim-cluster-bed";
import type { SimCluster } from "../../../sim/start-sim-cluster";
import type { LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { breakManagerMnesia, launchScript, parsedStatus } from "./leofs-e2e";

jest.setTimeout(120_000);

// A node whose VM dies while booting: `start` is silent and exits 0 (reference §2, `run_erl -daemon`),
// only `wait_ready` notices. A Retry must start the node again, not only wait for it once more.
describe("start steps recover a node that died while booting, on Retry", () => {
  let cluster: SimCluster<LeofsSim>;
  let harness: EngineHarness;
  let sim: LeofsSim;

  useSimClusterBed({ kind: "leofs", storage: 2, gateways: 1, replicas: 2, started: true }, {
    ready: (bed) => ({ cluster, sim, harness } = bed),
  });

  it("recover-manager: the slave's VM dies at boot, the run pauses naming leofs-m1, and Retry after the fault is cleared restarts it and succeeds", async () => {
    const slave = sim.hostOf("manager-slave");
    await breakManagerMnesia(sim, "manager-slave");
    await sim.fault.startFails(slave.node);

    const started = await harness.start("leofs.recover-manager", cluster.clusterName, { target: "manager-slave" });
    const paused = await harness.runToEnd(started.id);

    assertRunState(paused.run, "paused");
    // start itself "succeeded": the failure shows at the wait, with the host and wait_ready's own words.
    expect(stepById(paused.run, "start-manager-slave").record).toMatchObject({ state: "succeeded", outputs: [{ host: "leofs-m1", exitCode: 0 }] });
    const wait = stepById(paused.run, "wait-ready-manager-slave");
    expect(paused.run.cursor).toBe(wait.step.index);
    expect(wait.record.state).toBe("failed");
    expect(wait.record.error).toBe('leofs-m1: stdout includes "Not ready after": "Not ready after 10 reties"');
    expect(await launchScript(sim, "manager-slave", "ping")).toEqual({ code: 1, stdout: `Cannot connect Node '${slave.node}'\n`, stderr: "" });
    expect((await sim.state.mnesiaOf(1)).running).toBe(false);

    await sim.fault.clear("start-fails", slave.node);
    const { run } = await harness.retryToEnd(started.id);

    assertRunState(run, "succeeded");
    expect(stepById(run, "wait-ready-manager-slave").record.attempt).toBe(2);
    // The retry started the slave (ping failed, so start ran) before wait_ready succeeded.
    expect(await launchScript(sim, "manager-slave", "ping")).toMatchObject({ code: 0, stdout: "pong\n" });
    const [master, recovered] = [await sim.state.mnesiaOf(0), await sim.state.mnesiaOf(1)];
    expect(recovered).toMatchObject({ files: "ok", running: true, mnesia: "ok", cookie: master.cookie, fingerprint: master.fingerprint });
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
  });

  it("launch: a storage node whose VM dies at boot stops the storage start step; Retry restarts only that node and the launch completes", async () => {
    for (const [role, index] of [["gateway", 0], ["storage", 0], ["storage", 1], ["manager-slave", 0], ["manager-master", 0]] as const) {
      expect(await launchScript(sim, role, "stop", index)).toMatchObject({ code: 0 });
    }
    const s1 = sim.hostOf("storage", 1);
    await sim.fault.startFails(s1.node);

    const started = await harness.start("leofs.launch", cluster.clusterName);
    const paused = await harness.runToEnd(started.id);

    assertRunState(paused.run, "paused");
    const step = stepById(paused.run, "start-storage-nodes");
    expect(paused.run.cursor).toBe(step.step.index);
    expect(step.record.error).toBe('leofs-s1: stdout includes "Not ready after": "Not ready after 10 reties"');
    expect(step.record.outputs.map((o) => [o.host, o.exitCode])).toEqual([
      ["leofs-s0", 0],
      ["leofs-s1", 1],
    ]);
    const s0Pid = await sim.state.nodePid(sim.hostOf("storage", 0).node);
    expect(s0Pid).toEqual(expect.any(Number));

    await sim.fault.clear("start-fails", s1.node);
    const { run } = await harness.retryToEnd(started.id);

    assertRunState(run, "succeeded");
    expect(stepById(run, "start-storage-nodes").record.attempt).toBe(2);
    // storage_0 kept running through the retry (ping answered, so it was not started again).
    expect(await sim.state.nodePid(sim.hostOf("storage", 0).node)).toBe(s0Pid);
    const status = await parsedStatus(sim);
    expect(status.nodes.map((n) => `${n.node} ${n.state}`)).toEqual([
      `${sim.hostOf("storage", 0).node} running`,
      `${s1.node} running`,
      `${sim.hostOf("gateway").node} running`,
    ]);
  });
});
