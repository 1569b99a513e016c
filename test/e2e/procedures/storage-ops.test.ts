import { assertRunState, startEngineHarness, stepById, type EngineHarness } from "../../helpers/engine-harness";
import { getTestbed } from "../../helpers/testbed";
import { leofsAdm, type LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { startSimCluster, type SimCluster } from "../../../sim/start-sim-cluster";
import { launchScript, parsedStatus } from "./leofs-e2e";

jest.setTimeout(120_000);

// Seed 001 operation flow (attach, detach, suspend, resume) through the real engine, BullMQ worker and SSH pool.
// The tests run in order on one cluster: s2 is in the inventory but not started, then attached, then detached.
describe("leofs.storage on a simulated cluster", () => {
  let cluster: SimCluster<LeofsSim>;
  let harness: EngineHarness;
  let sim: LeofsSim;
  let nodes: { s0: string; s1: string; s2: string };

  beforeAll(async () => {
    cluster = await startSimCluster({ kind: "leofs", storage: 3, gateways: 0, replicas: 2 });
    sim = cluster.sim;
    nodes = { s0: sim.hostOf("storage", 0).node, s1: sim.hostOf("storage", 1).node, s2: sim.hostOf("storage", 2).node };
    // Launched by hand without s2, which the attach test adds.
    for (const [role, index] of [["manager-master", 0], ["manager-slave", 0], ["storage", 0], ["storage", 1]] as const) {
      expect(await launchScript(sim, role, "start", index)).toMatchObject({ code: 0 });
    }
    expect((await sim.exec("leofs-m0", leofsAdm("start"))).stdout).toMatch(/OK\r\n$/);
    harness = await startEngineHarness({ inventory: cluster.inventory, redisUrl: getTestbed().redisUrl });
  });
  // A run left paused by a failed test would hold the cluster lock for the next one.
  afterEach(async () => {
    await harness.abortActive();
  });
  afterAll(async () => {
    await harness?.close();
    await cluster?.stop();
  });

  const storageStates = async (): Promise<string[]> => (await parsedStatus(sim)).nodes.map((n) => `${n.node} ${n.state}`);

  async function expectOneRing(): Promise<void> {
    const status = await parsedStatus(sim);
    const { currentRingHash, previousRingHash } = status.system;
    expect(status.nodes.map((n) => [n.node, n.currentRing, n.prevRing])).toEqual(status.nodes.map((n) => [n.node, currentRingHash, previousRingHash]));
  }

  it("attaches a new node: it starts, registers as attached, and after the approved rebalance every node runs on the new ring", async () => {
    expect(await storageStates()).toEqual([`${nodes.s0} running`, `${nodes.s1} running`]);
    const ringBefore = (await parsedStatus(sim)).system.currentRingHash;

    const started = await harness.start("leofs.storage", cluster.clusterName, { operation: "attach", node: nodes.s2 });
    const { run, gates } = await harness.runToEnd(started.id);

    assertRunState(run, "succeeded");
    expect(gates.map((g) => g.stepId)).toEqual(["rebalance"]);
    expect(stepById(run, "rebalance").record.outputs[0]?.tail).toMatch(/Generated rebalance-list[\s\S]*OK\r\n$/);
    expect(await storageStates()).toEqual([`${nodes.s0} running`, `${nodes.s1} running`, `${nodes.s2} running`]);
    expect((await parsedStatus(sim)).system.currentRingHash).not.toBe(ringBefore);
    await expectOneRing();
  });

  it("detaches it again: detached after the approved detach, gone from the member table after the rebalance", async () => {
    const started = await harness.start("leofs.storage", cluster.clusterName, { operation: "detach", node: nodes.s2 });
    const { run, gates } = await harness.runToEnd(started.id);

    assertRunState(run, "succeeded");
    expect(gates.map((g) => g.stepId)).toEqual(["detach", "rebalance"]);
    expect(await storageStates()).toEqual([`${nodes.s0} running`, `${nodes.s1} running`]);
    await expectOneRing();
  });

  it("suspends a node for maintenance: suspended, then stopped, and it stays suspend while down", async () => {
    const started = await harness.start("leofs.storage", cluster.clusterName, { operation: "suspend", node: nodes.s1 });
    const { run, gates } = await harness.runToEnd(started.id);

    assertRunState(run, "succeeded");
    expect(gates.map((g) => g.stepId)).toEqual(["suspend", "stop-node"]);
    expect(await storageStates()).toEqual([`${nodes.s0} running`, `${nodes.s1} suspend`]);
    expect(await launchScript(sim, "storage", "ping", 1)).toMatchObject({ code: 1 });
    expect(await sim.state.nodePid(nodes.s1)).toBeUndefined();
  });

  it("resumes it: started, ready, resumed, running on the manager's ring", async () => {
    const started = await harness.start("leofs.storage", cluster.clusterName, { operation: "resume", node: nodes.s1 });
    const { run, gates } = await harness.runToEnd(started.id);

    assertRunState(run, "succeeded");
    expect(gates).toEqual([]);
    expect(await storageStates()).toEqual([`${nodes.s0} running`, `${nodes.s1} running`]);
    expect(await launchScript(sim, "storage", "ping", 1)).toMatchObject({ code: 0, stdout: "pong\n" });
    await expectOneRing();
  });

  it("a ring that diverges while the rebalance awaits approval: the manager refuses (`Not satisfy conditions`), the run pauses, and a retry after recover-ring succeeds", async () => {
    // The detach's rebalance took s2 out of the member table; stopped, it starts again as a new node.
    expect(await launchScript(sim, "storage", "stop", 2)).toMatchObject({ code: 0 });
    const started = await harness.start("leofs.storage", cluster.clusterName, { operation: "attach", node: nodes.s2 });
    const atGate = await harness.runToEnd(started.id, { stopAtGate: (step) => step?.id === "rebalance" });
    expect(atGate.run.state).toBe("awaiting_approval");
    expect(stepById(atGate.run, "check-rebalance-allowed").record.state).toBe("succeeded");

    await sim.fault.ringMismatch(nodes.s0);
    const paused = await harness.runToEnd(started.id);

    assertRunState(paused.run, "paused");
    const rebalance = stepById(paused.run, "rebalance");
    expect(rebalance.record.state).toBe("failed");
    expect(rebalance.record.outputs[0]?.tail).toBe("[ERROR] Not satisfy conditions\r\n");
    expect(rebalance.record.error).toContain("Not satisfy conditions");

    // The operator's fix (reference §3 consistency checks): recover-ring on the node whose ring differs.
    expect((await sim.exec("leofs-m0", leofsAdm("recover-ring", nodes.s0))).stdout).toBe("OK\r\n");
    const { run, gates } = await harness.retryToEnd(started.id);

    assertRunState(run, "succeeded");
    // The retry is a new attempt of a destructive step: approved again.
    expect(gates.map((g) => [g.stepId, g.attempt])).toEqual([["rebalance", 2]]);
    expect(await storageStates()).toEqual([`${nodes.s0} running`, `${nodes.s1} running`, `${nodes.s2} running`]);
    await expectOneRing();
  });

  it("the precondition check stops the run before the rebalance when a ring already differs, with the reason in operator words", async () => {
    await sim.fault.ringMismatch(nodes.s1);
    const started = await harness.start("leofs.storage", cluster.clusterName, { operation: "detach", node: nodes.s2 });
    const paused = await harness.runToEnd(started.id);

    assertRunState(paused.run, "paused");
    const check = stepById(paused.run, "check-rebalance-allowed");
    expect(check.record.state).toBe("failed");
    expect(check.record.error).toContain(nodes.s1);
    expect(check.record.error).toMatch(/ring/i);
    expect(stepById(paused.run, "rebalance").record.state).toBe("pending");
    expect(await storageStates()).toContain(`${nodes.s2} detached`);

    expect((await sim.exec("leofs-m0", leofsAdm("recover-ring", nodes.s1))).stdout).toBe("OK\r\n");
    const { run } = await harness.retryToEnd(started.id);
    assertRunState(run, "succeeded");
    expect(await storageStates()).toEqual([`${nodes.s0} running`, `${nodes.s1} running`]);
  });
});
