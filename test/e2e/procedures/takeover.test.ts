import fs from "node:fs";
import path from "node:path";
import { assertRunState, startEngineHarness, stepById, type EngineHarness } from "../../helpers/engine-harness";
import { getTestbed } from "../../helpers/testbed";
import { eventually } from "../../helpers/eventually";
import type { LeofsSim, LeofsSimHost } from "../../../sim/leofs/start-leofs-sim";
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
    expect(gates.map((g) => g.stepId)).toEqual([
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
