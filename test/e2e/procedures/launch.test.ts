import { assertRunState, startEngineHarness, stepById, type EngineHarness } from "../../helpers/engine-harness";
import { getTestbed } from "../../helpers/testbed";
import type { LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { startSimCluster, type SimCluster } from "../../../sim/start-sim-cluster";
import { launchScript, parsedStatus } from "./leofs-e2e";

jest.setTimeout(120_000);

// Seed 001 launch order through the real engine, BullMQ worker and SSH pool, on simulated clusters that are down.
describe("leofs.launch on a stopped simulated cluster", () => {
  const clusters: SimCluster<LeofsSim>[] = [];
  const harnesses: EngineHarness[] = [];

  async function stoppedCluster(ranBefore = false): Promise<{ sim: LeofsSim; name: string; harness: EngineHarness }> {
    const cluster = await startSimCluster({ kind: "leofs", storage: 2, gateways: 1, replicas: 2, started: ranBefore });
    clusters.push(cluster);
    const harness = await startEngineHarness({ inventory: cluster.inventory, redisUrl: getTestbed().redisUrl });
    harnesses.push(harness);
    return { sim: cluster.sim, name: cluster.clusterName, harness };
  }

  afterAll(async () => {
    await Promise.all(harnesses.map((h) => h.close()));
    await Promise.all(clusters.map((c) => c.stop()));
  });

  async function expectEverythingRunning(sim: LeofsSim): Promise<void> {
    const storage = [sim.hostOf("storage", 0).node, sim.hostOf("storage", 1).node];
    const gateway = sim.hostOf("gateway").node;
    const rows = await sim.state.nodeStates();
    expect(rows.map((r) => `${r.type} ${r.node} ${r.state}`)).toEqual([`S ${storage[0]} running`, `S ${storage[1]} running`, `G ${gateway} running`]);
    const status = await parsedStatus(sim);
    expect(status.nodes.map((n) => [n.node, n.state])).toEqual([...storage.map((n) => [n, "running"]), [gateway, "running"]]);
    expect(status.system.currentRingHash).toMatch(/^[0-9a-f]{8}$/);
    expect(new Set(status.nodes.flatMap((n) => [n.currentRing, n.prevRing]))).toEqual(new Set([status.system.currentRingHash]));
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
    for (const role of ["manager-master", "manager-slave", "storage", "gateway"] as const) {
      expect(await launchScript(sim, role, "ping")).toMatchObject({ code: 0, stdout: "pong\n" });
    }
  }

  it("starts managers, storage nodes, the storage cluster and the gateway in order: every node ends running on one ring", async () => {
    const { sim, name, harness } = await stoppedCluster();
    expect(await sim.state.simPids()).toEqual([]);

    const started = await harness.start("leofs.launch", name);
    const { run, gates } = await harness.runToEnd(started.id);

    assertRunState(run, "succeeded");
    expect(gates).toEqual([]);
    expect(stepById(run, "start-storage-cluster").record.outputs[0]?.tail).toMatch(/Generated RING\r?\n[\s\S]*OK 100% - storage_1@/);
    await expectEverythingRunning(sim);
  });

  it("pauses when a storage node cannot start, and a retry after the fix starts it without tripping over the nodes already running", async () => {
    const { sim, name, harness } = await stoppedCluster();
    // The last storage node: the first one is up when the step fails.
    await sim.fault.stalePipeDir("leofs-s1");

    const started = await harness.start("leofs.launch", name);
    const paused = await harness.runToEnd(started.id);

    assertRunState(paused.run, "paused");
    const failed = stepById(paused.run, "start-storage-nodes");
    expect(paused.run.cursor).toBe(failed.step.index);
    expect(failed.record.error).toBe("leofs-s1: exit code 1, expected 0");
    expect(failed.record.outputs.map((o) => [o.host, o.exitCode])).toEqual([
      ["leofs-s0", 0],
      ["leofs-s1", 1],
    ]);
    expect(await launchScript(sim, "storage", "ping", 0)).toMatchObject({ code: 0 });
    expect(await launchScript(sim, "storage", "ping", 1)).toMatchObject({ code: 1 });

    await sim.fault.clear("stale-pipe-dir", "leofs-s1");
    const { run } = await harness.retryToEnd(started.id);

    assertRunState(run, "succeeded");
    expect(stepById(run, "start-storage-nodes").record.attempt).toBe(2);
    await expectEverythingRunning(sim);
  });

  it("relaunches a cluster that ran before and was stopped: storage nodes come back running and `start` is already done", async () => {
    const { sim, name, harness } = await stoppedCluster(true);
    // Gateways, storage, then slave before master: the master is the last manager down, as seed 001 wants.
    for (const [role, index] of [["gateway", 0], ["storage", 0], ["storage", 1], ["manager-slave", 0], ["manager-master", 0]] as const) {
      expect(await launchScript(sim, role, "stop", index)).toMatchObject({ code: 0, stdout: "ok\n" });
    }
    expect(await sim.state.simPids()).toHaveLength(sim.hosts.length); // only each host's epmd is left

    const started = await harness.start("leofs.launch", name);
    const { run } = await harness.runToEnd(started.id);

    assertRunState(run, "succeeded");
    expect(stepById(run, "start-storage-cluster").record.outputs[0]?.tail).toBe("[ERROR] Storage cluster already started\r\n");
    await expectEverythingRunning(sim);
  });
});
