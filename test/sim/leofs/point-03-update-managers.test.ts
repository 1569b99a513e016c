import fs from "node:fs";
import path from "node:path";
import { getProcedure } from "../../../src/procedures/catalog";
import { evaluateExpectation } from "../../../src/procedures/expectations/evaluate-expectation";
import type { PlannedStep } from "../../../src/procedures/model/step";
import { planProcedure } from "../../../src/procedures/planning/plan-procedure";
import { inventoryFrom, NOW } from "../../unit/procedures/inventory-fixture";
import { leofsAdm, startLeofsSim, type LeofsSim } from "../../../sim/leofs/start-leofs-sim";

jest.setTimeout(120_000);

/**
 * Issue 11 point 3. `update-managers` as leo-project/leofs 1.4.4
 * leo_manager_api.erl update_manager_nodes/1,2 runs it: running storage
 * nodes first (a failed RPC answers `[ERROR] Could not update manager(s)`
 * and skips the gateways), then every registered gateway, stopped ones
 * included (no reply at all when one does not answer; `[ERROR] not_found`
 * when there is none), and never the `managers = [...]` line of a conf.
 */
describe("point 3: update-managers as the real one behaves", () => {
  const sims: LeofsSim[] = [];
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.stop()));
  });

  async function simWith(gateways: number): Promise<{ sim: LeofsSim; step: (id: string) => PlannedStep; pair: [string, string] }> {
    const sim = await startLeofsSim({ storage: 2, gateways, replicas: 2, started: true, spareHosts: 1, waitReady: { retries: 3, intervalSeconds: 0.05 } });
    sims.push(sim);
    const inventory = inventoryFrom(fs.readFileSync(sim.inventoryPath, "utf8"), sim.inventoryPath);
    const cluster = inventory.clusters[sim.clusterName];
    if (cluster?.kind !== "leofs") throw new Error("the sim inventory has no leofs cluster");
    const spare = sim.hostOf("spare");
    const plan = planProcedure(getProcedure("leofs.takeover-manager"), cluster, sim.clusterName, { replace: "manager-slave", newHost: spare.name, newNode: spare.node }, NOW);
    const step = (id: string): PlannedStep => {
      const found = plan.steps.find((s) => s.id === id);
      if (found === undefined) throw new Error(`no step ${id}`);
      return found;
    };
    return { sim, step, pair: [sim.hostOf("manager-master").node, spare.node] };
  }
  const judge = (step: PlannedStep, r: { code: number | null; stdout: string; stderr: string }) =>
    evaluateExpectation(step.expect!, { exitCode: r.code, stdout: r.stdout, stderr: r.stderr });

  it("a stopped gateway: no reply at all, the running nodes changed anyway; the takeover refuses it before anything stops", async () => {
    const { sim, step, pair } = await simWith(2);
    const adm = (...args: string[]) => sim.exec("leofs-m0", leofsAdm(...args));
    const [s0, s1, g0, g1] = [sim.hostOf("storage", 0), sim.hostOf("storage", 1), sim.hostOf("gateway", 0), sim.hostOf("gateway", 1)];
    const oldPair = await sim.state.managersOf(s0.node);
    expect((await sim.exec(g1.name, `${g1.launchScript} stop`)).code).toBe(0);

    const status = await adm("status");
    const check = judge(step("check-gateways-running"), status);
    expect(check.ok).toBe(false);
    expect(check.reason).toContain(g1.node);

    const update = await adm("update-managers", ...pair);
    expect(update).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(judge(step("update-managers"), update).ok).toBe(false);
    for (const n of [s0.node, s1.node, g0.node]) expect([n, await sim.state.managersOf(n)]).toEqual([n, pair]);

    // The conf still names the old pair: a restarted storage node goes back to it.
    const conf = path.join(s0.nodeDir, "etc", "leo_storage.conf");
    expect(fs.readFileSync(conf, "utf8")).toMatch(new RegExp(`^managers = \\[${oldPair.join(", ")}\\]$`, "m"));
    expect((await sim.exec(s0.name, `${s0.launchScript} stop`)).code).toBe(0);
    expect((await sim.exec(s0.name, `${s0.launchScript} start`)).code).toBe(0);
    expect(await sim.state.managersOf(s0.node)).toEqual(oldPair);

    // The takeover's conf step makes the next start agree with update-managers.
    const lines = step("set-managers-lines");
    const target = lines.targets.find((t) => t.host === s0.name);
    const edit = await sim.exec(s0.name, target!.command!);
    expect(edit.code).toBe(0);
    expect(edit.stdout).toContain(`managers = [${pair.join(",")}]`);
    expect(lines.approvalDetail).toContain(`- managers = [${oldPair.join(", ")}]\n+ managers = [${pair.join(",")}]`);
    expect((await sim.exec(s0.name, `${s0.launchScript} stop`)).code).toBe(0);
    expect((await sim.exec(s0.name, `${s0.launchScript} start`)).code).toBe(0);
    expect(await sim.state.managersOf(s0.node)).toEqual(pair);
  });

  it("a running storage node that does not answer: [ERROR] Could not update manager(s), and the gateways are skipped", async () => {
    const { sim, pair } = await simWith(1);
    const [s1, g0] = [sim.hostOf("storage", 1), sim.hostOf("gateway", 0)];
    const gatewayPair = await sim.state.managersOf(g0.node);
    // storage_1 stays `running` in the member table, but its host's epmd (started by this sim) is gone.
    const [epmd] = await sim.state.epmdPids(s1.name);
    expect(epmd).toBeDefined();
    process.kill(epmd!, "SIGKILL");
    const update = await sim.exec("leofs-m0", leofsAdm("update-managers", ...pair));
    expect(update).toEqual({ code: 0, stdout: "[ERROR] Could not update manager(s)\r\n", stderr: "" });
    expect(await sim.state.managersOf(g0.node)).toEqual(gatewayPair);
    expect(await sim.state.managersOf(sim.hostOf("storage", 0).node)).toEqual(pair);
  });

  it("no gateway at all: [ERROR] not_found after the storage nodes took the pair, which the takeover of such a cluster accepts", async () => {
    const { sim, step, pair } = await simWith(0);
    const update = await sim.exec("leofs-m0", leofsAdm("update-managers", ...pair));
    expect(update).toEqual({ code: 0, stdout: "[ERROR] not_found\r\n", stderr: "" });
    for (const i of [0, 1]) expect(await sim.state.managersOf(sim.hostOf("storage", i).node)).toEqual(pair);
    expect(judge(step("update-managers"), update)).toEqual({ ok: true });
    expect(judge(step("update-managers"), { code: 0, stdout: "[ERROR] Could not update manager(s)\r\n", stderr: "" }).ok).toBe(false);
  });
});
