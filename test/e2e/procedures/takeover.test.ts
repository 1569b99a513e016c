import fs from "node:fs";
import path from "node:path";
import { assertRunState, startEngineHarness, stepById, type EngineHarness } from "../../helpers/engine-harness";
import { getTestbed } from "../../helpers/testbed";
import { eventually, eventuallyTrue } from "../../helpers/eventually";
import type { LeofsSim, LeofsSimHost } from "../../../sim/leofs/start-leofs-sim";
import type { RunRecord } from "../../../src/jobs";
import { startSimCluster, type SimCluster } from "../../../sim/start-sim-cluster";
import { launchScript, parsedStatus } from "./leofs-e2e";
import { renderRunMessage } from "../../../src/bot/blocks/render-run-message";
import { formatRun } from "../../../src/cli/format-run";

jest.setTimeout(120_000);

// Seed 000 Case 2 (takeover) through the real engine, BullMQ worker and SSH pool: the collapsed
// manager-slave is replaced by a new manager on a spare host of the simulated cluster.
describe("leofs.takeover-manager on a simulated cluster with a spare host", () => {
  const clusters: SimCluster<LeofsSim>[] = [];
  const harnesses: EngineHarness[] = [];

  afterAll(async () => {
    await Promise.all(harnesses.map((h) => h.close()));
    await Promise.all(clusters.map((c) => c.stop()));
  });

  /** A running cluster whose slave collapsed: stopped, with its Mnesia garbled. */
  async function clusterWithCollapsedSlave(): Promise<{ sim: LeofsSim; name: string; harness: EngineHarness; spare: LeofsSimHost; before: string[] }> {
    const cluster = await startSimCluster({ kind: "leofs", storage: 2, gateways: 1, replicas: 2, started: true, spareHosts: 1, mnesia: "erlang" });
    clusters.push(cluster);
    const harness = await startEngineHarness({ inventory: cluster.inventory, redisUrl: getTestbed().redisUrl });
    harnesses.push(harness);
    const sim = cluster.sim;
    const before = (await sim.state.nodeStates()).map((r) => `${r.type} ${r.node} ${r.state} ${r.currentRing}`);
    expect(await launchScript(sim, "manager-slave", "stop")).toMatchObject({ code: 0 });
    await sim.fault.corruptMnesia(sim.hostOf("manager-slave").node);
    expect(await sim.state.checkManagers()).toEqual({ consistent: false, detail: `inconsistent: ${sim.hostOf("manager-slave").node} is down` });
    return { sim, name: cluster.clusterName, harness, spare: sim.hostOf("spare"), before };
  }

  /**
   * The gates a run opened, less the new manager's restart: that step runs only when the new manager did not load
   * its tables in time (an OTP mnesia race that a loaded machine hits now and then, see the procedure's note), and
   * then its wait must have named the node.
   */
  const withoutRestart = (run: RunRecord, gates: readonly { stepId: string | null }[]): (string | null)[] => {
    const restarted = gates.some((g) => g.stepId === "restart-new-manager-slave");
    expect(stepById(run, "wait-new-manager-slave-tables").record.outputs[0]?.tail?.includes("tables not loaded on ")).toBe(restarted);
    return gates.map((g) => g.stepId).filter((id) => id !== "restart-new-manager-slave");
  };

  const confOf = (sim: LeofsSim, host: LeofsSimHost, dir: string): string => fs.readFileSync(path.join(host.root, "usr/local/leofs/current", dir, "etc/leo_manager.conf"), "utf8");

  async function expectTakenOver(sim: LeofsSim, spare: LeofsSimHost, before: string[]): Promise<void> {
    const master = sim.hostOf("manager-master");
    const newManager = spare.node;
    // The new manager runs with the master's tables, on the master's schema.
    // The new slave loads its tables on its own timer (every 3 s until the master's exist; leo_manager_sup.erl
    // create_mnesia_tables/2, which the sim's VM runs), which on a loaded machine can come after the run's
    // last step: CI once read it before (cookie and fingerprint empty, its tables not loaded yet).
    const m2 = await eventually("the new manager's tables loaded", async () => {
      const info = await sim.state.mnesiaOf(newManager);
      return info.fingerprint !== "" ? info : undefined;
    });
    const m0 = await sim.state.mnesiaOf(0);
    expect(m2).toMatchObject({ files: "ok", running: true, mnesia: "ok", cookie: m0.cookie, fingerprint: m0.fingerprint });
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
    expect((await sim.state.nodeStates(newManager)).map((r) => `${r.type} ${r.node} ${r.state} ${r.currentRing}`)).toEqual(before);
    // manager.partner and nodename in the conf files decide the pair (reference §2).
    expect(confOf(sim, master, "leo_manager_0")).toMatch(new RegExp(`^manager\\.partner = ${newManager}$`, "m"));
    expect(confOf(sim, spare, "leo_manager_1")).toMatch(new RegExp(`^nodename = ${newManager}$`, "m"));
    expect(confOf(sim, spare, "leo_manager_1")).toMatch(new RegExp(`^manager\\.partner = ${master.node}$`, "m"));
    // update-managers reached every running storage node and the gateway.
    for (const node of [sim.hostOf("storage", 0).node, sim.hostOf("storage", 1).node, sim.hostOf("gateway").node]) {
      expect(await sim.state.managersOf(node)).toEqual([master.node, newManager]);
    }
    // ...and their confs name the new pair too, so a restart keeps it (issue 11 point 3).
    for (const h of [sim.hostOf("storage", 0), sim.hostOf("storage", 1), sim.hostOf("gateway")]) {
      const conf = fs.readFileSync(path.join(h.nodeDir, "etc", h.role === "gateway" ? "leo_gateway.conf" : "leo_storage.conf"), "utf8");
      expect([h.name, conf]).toEqual([h.name, expect.stringMatching(new RegExp(`^managers = \\[${master.node},${newManager}\\]$`, "m"))]);
    }
    const status = await parsedStatus(sim);
    expect(status.nodes.map((n) => `${n.type} ${n.node} ${n.state}`)).toEqual(before.map((b) => b.split(" ").slice(0, 3).join(" ")));
    expect(new Set(status.nodes.flatMap((n) => [n.currentRing, n.prevRing]))).toEqual(new Set([status.system.currentRingHash]));
    // The collapsed slave stays down; its garbled files are untouched on its own host.
    expect(await sim.state.mnesiaOf(1)).toMatchObject({ files: "corrupt", running: false });
  }

  it("point 1: replaces a collapsed manager-slave with manager_2 on the spare host, carrying ring and members (same ring hashes, every node running, none back to attached), every gate approved", async () => {
    const { sim, name, harness, spare, before } = await clusterWithCollapsedSlave();

    const started = await harness.start("leofs.takeover-manager", name, { replace: "manager-slave", newHost: spare.name, newNode: spare.node });
    const { run, gates } = await harness.runToEnd(started.id);

    assertRunState(run, "succeeded");
    expect(withoutRestart(run, gates)).toEqual([
      "stop-old-manager-slave",
      "stop-manager-master",
      "move-aside-manager-master-mnesia",
      "move-aside-new-manager-slave-mnesia",
      "set-partner-manager-master",
      "set-config-new-manager-slave",
      "load-mnesia",
      "update-managers",
      "set-managers-lines",
    ]);
    // The collapsed slave was down: its stop answered the nodetool error, which the step accepts.
    expect(stepById(run, "stop-old-manager-slave").record.outputs[0]).toMatchObject({ host: "leofs-m1", exitCode: 1 });
    // Point 1: the launch script's dump/load carry every table; load answers per table and exits 1 (nodetool rpc).
    expect(stepById(run, "dump-mnesia").record.outputs[0]).toMatchObject({ exitCode: 0, tail: "" });
    const load = stepById(run, "load-mnesia").record.outputs[0];
    expect(load?.exitCode).toBe(1);
    expect(load?.tail).toMatch(/^ring hashes at the start of this run: [0-9a-f]{8} [0-9a-f]{8}\n/);
    expect(load?.tail).toContain("** Table leo_ring_cur already exists on 'manager_0@");
    expect(stepById(run, "compare-ring-hashes").record.state).toBe("succeeded");
    expect(stepById(run, "update-managers").record.outputs[0]?.tail).toBe("OK\r\n");
    await expectTakenOver(sim, spare, before);
  });

  it("restarts the new manager, after an approval, when it waits for its tables without being told they loaded (OTP mnesia), and the takeover succeeds", async () => {
    const { sim, name, harness, spare, before } = await clusterWithCollapsedSlave();
    await sim.fault.tablesWaitUntold(spare.node);

    const started = await harness.start("leofs.takeover-manager", name, { replace: "manager-slave", newHost: spare.name, newNode: spare.node });
    const { run, gates } = await harness.runToEnd(started.id, { timeoutMs: 150_000 });

    assertRunState(run, "succeeded");
    // The new node answered ping and wait_ready, but its console showed no tables for 20 s...
    expect(stepById(run, "wait-new-manager-slave-tables").record.outputs[0]?.tail).toMatch(new RegExp(`\\[ERROR\\] Mnesia is not available\\r?\\ntables not loaded on ${spare.node} after 20 s\\n$`));
    // ...so it was restarted, with a second person's approval, and loaded them at boot from the master.
    expect(gates.map((g) => g.stepId)).toContain("restart-new-manager-slave");
    expect(stepById(run, "restart-new-manager-slave").record).toMatchObject({ state: "succeeded", attempt: 1 });
    expect(stepById(run, "verify-new-manager-slave-tables").record.state).toBe("succeeded");
    await expectTakenOver(sim, spare, before);
  }, 360_000);

  it("pauses before update-managers when the new manager runs on a schema of its own (no replica of the tables), instead of telling storage nodes about it", async () => {
    const { sim, name, harness, spare } = await clusterWithCollapsedSlave();
    const master = sim.hostOf("manager-master").node;
    const started = await harness.start("leofs.takeover-manager", name, { replace: "manager-slave", newHost: spare.name, newNode: spare.node });
    // The managers' tables come on Mnesia's own timers (wait-manager-tables may take up to 120 s on a loaded machine).
    const atLoad = await harness.runToEnd(started.id, { stopAtGate: (step) => step?.id === "load-mnesia", timeoutMs: 150_000 });
    expect(atLoad.run.state).toBe("awaiting_approval");
    // Both managers run with the master's schema. The new one restarts on an empty Mnesia directory: the master
    // creates a schema only at its own first boot (leo_manager_sup.erl create_mnesia_tables/2), so the new node
    // keeps a schema of its own, answers ping and `ready`, and holds no table.
    expect(await sim.exec(spare.name, `${spare.launchScript} stop`)).toMatchObject({ code: 0 });
    await eventuallyTrue(`${spare.node}'s VM to be gone`, async () => !(await sim.state.mnesiaOf(spare.node)).running, 30_000, 100);
    fs.rmSync(path.join(spare.nodeDir, "work/mnesia/127.0.0.1"), { recursive: true, force: true });
    expect(await sim.exec(spare.name, `${spare.launchScript} start`)).toMatchObject({ code: 0 });

    const { run } = await harness.runToEnd(started.id, { timeoutMs: 150_000 });

    assertRunState(run, "paused");
    // The load went into the master and its own console shows the ring as before...
    expect(stepById(run, "compare-ring-hashes").record.state).toBe("succeeded");
    // ...but the new manager's console never does: after 20 s it is restarted (approved), which cannot help a node on
    // a schema of its own, so the run stops before anything is told about the pair.
    expect(stepById(run, "wait-new-manager-slave-tables").record.outputs[0]?.tail).toMatch(new RegExp(`\\[ERROR\\] Mnesia is not available\\r?\\ntables not loaded on ${spare.node} after 20 s\\n$`));
    expect(stepById(run, "restart-new-manager-slave").record).toMatchObject({ state: "succeeded" });
    const verify = stepById(run, "verify-new-manager-slave-tables");
    expect(run.cursor).toBe(verify.step.index);
    expect(verify.record.error).toMatch(/^condition not met within 30000 ms: /);
    expect(verify.record.outputs[0]?.tail).toContain("[ERROR] Mnesia is not available");
    expect(stepById(run, "update-managers").record.state).toBe("pending");
    expect(await sim.state.managersOf(sim.hostOf("storage", 0).node)).toEqual([master, sim.hostOf("manager-slave").node]);
    expect(await sim.state.checkManagers()).toMatchObject({ consistent: false });
  }, 360_000);

  it("point 13: pauses when the new manager's VM dies while booting and when update-managers cannot reach the console, naming the state and the way back; each Retry after the fix goes on to success, and the summary lists every backup", async () => {
    const { sim, name, harness, spare, before } = await clusterWithCollapsedSlave();
    const master = sim.hostOf("manager-master").node;
    await sim.fault.startFails(spare.node);

    const started = await harness.start("leofs.takeover-manager", name, { replace: "manager-slave", newHost: spare.name, newNode: spare.node });
    const first = await harness.runToEnd(started.id);

    assertRunState(first.run, "paused");
    const wait = stepById(first.run, "wait-ready-manager-slave");
    expect(first.run.cursor).toBe(wait.step.index);
    expect(wait.record.error).toBe(`${spare.name}: stdout includes "Not ready after": "Not ready after 10 reties"`);
    expect((await sim.state.mnesiaOf(spare.node)).running).toBe(false);
    // Past the point of no return: the run message says where things are and how to go back by hand.
    const paused = JSON.stringify(renderRunMessage(first.run).blocks);
    const masterHost = sim.hostOf("manager-master");
    expect(paused).toContain(`State since step ${stepById(first.run, "set-partner-manager-master").step.index + 1}, and the way back by hand:`);
    expect(paused).toContain(`its ${masterHost.root}/usr/local/leofs/current/leo_manager_0/etc/leo_manager.conf names ${spare.node} as partner`);
    expect(paused).toMatch(/-takeover\/manager-master-mnesia/);
    expect(formatRun(first.run)).toContain(`the way back by hand: ${master}'s Mnesia files are in `);

    await sim.fault.clear("start-fails", spare.node);
    // Stop before update-managers is approved, and take the master's console away meanwhile.
    const atGate = await harness.retryToEnd(started.id, { stopAtGate: (step) => step?.id === "update-managers" });
    expect(atGate.run.state).toBe("awaiting_approval");
    expect(withoutRestart(atGate.run, atGate.gates)).toEqual(["load-mnesia", "update-managers"]);
    expect(stepById(atGate.run, "wait-ready-manager-slave").record).toMatchObject({ state: "succeeded", attempt: 2 });
    await sim.fault.consoleDown(master);
    const second = await harness.runToEnd(started.id);

    assertRunState(second.run, "paused");
    const update = stepById(second.run, "update-managers");
    expect(update.record.error).toBe("leofs-m0: exit code 1, expected 0");
    expect(update.record.outputs[0]?.tail).toBe("Error: couldn't connect to LeoFS Manager\n");
    // Nothing was sent: the storage nodes still name the collapsed slave.
    expect(await sim.state.managersOf(sim.hostOf("storage", 0).node)).toEqual([master, sim.hostOf("manager-slave").node]);

    await sim.fault.clear("console-down", master);
    const { run, gates } = await harness.retryToEnd(started.id);

    assertRunState(run, "succeeded");
    expect(gates.map((g) => g.stepId)).toEqual(["update-managers", "set-managers-lines"]);
    expect(stepById(run, "update-managers").record.attempt).toBe(2);
    await expectTakenOver(sim, spare, before);
    // The final summary lists every backup path the run left, and a succeeded run shows no way back.
    const summary = JSON.stringify(renderRunMessage(run).blocks);
    expect(summary).toContain("Backups taken by this run");
    for (const path of ["mnesia-dump/leo_manager.mnesia.txt", "-takeover/manager-master-mnesia", "-takeover/manager-master-etc/leo_manager.conf", "storage-0-127-0-0-12-etc/leo_storage.conf"]) expect(summary).toContain(path);
    expect(summary).not.toContain("the way back by hand");
  });
});
