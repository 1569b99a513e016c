import fs from "node:fs";
import path from "node:path";
import { getProcedure } from "../../../src/procedures/catalog";
import { evaluateExpectation } from "../../../src/procedures/expectations/evaluate-expectation";
import { planProcedure } from "../../../src/procedures/planning/plan-procedure";
import { inventoryFrom, NOW } from "../../unit/procedures/inventory-fixture";
import { leofsAdm, startLeofsSim, type LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { waitOf } from "../../helpers/step-fields";
import { eventually } from "../../helpers/eventually";

jest.setTimeout(90_000);

/**
 * Issue 11 point 2. A manager that starts on empty Mnesia reports ready
 * (`wait_ready` passes) and creates its tables ?CHECK_INTERVAL (3 s) later,
 * once its partner answers ping (leo-project/leofs 1.4.4
 * apps/leo_manager/src/leo_manager_sup.erl init/1, create_mnesia_tables/2).
 * Meanwhile the console answers `[ERROR] Mnesia is not available`
 * (leo_redundant_manager leo_cluster_tbl_conf:get/0). The takeover, which
 * starts both managers on empty Mnesia, waits for a clean status before it
 * loads the dump (load-mnesia).
 */
describe("point 2: wait for the tables before loading them", () => {
  let sim: LeofsSim;
  beforeAll(async () => {
    sim = await startLeofsSim({ storage: 1, gateways: 0, replicas: 1, started: true, spareHosts: 1, mnesiaCreateDelaySeconds: 4, waitReady: { retries: 3, intervalSeconds: 0.05 } });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it("a manager restarted on empty Mnesia is ready but answers [ERROR] Mnesia is not available until its tables exist; the takeover waits for that before load-mnesia", async () => {
    const master = sim.hostOf("manager-master");
    const slave = sim.hostOf("manager-slave");
    const adm = (...args: string[]) => sim.exec(master.name, leofsAdm(...args));
    const backup = path.join(master.root, "var", "backups", "point-02", "leo_manager.mnesia.bak");
    // backup-mnesia writes as the leofs user (reference §1, I#1156).
    expect((await sim.exec(master.name, `mkdir -p ${path.dirname(backup)} && chown leofs:leofs ${path.dirname(backup)}`)).code).toBe(0);
    expect((await adm("backup-mnesia", backup)).stdout).toBe("OK\r\n");

    for (const h of [slave, master]) expect((await sim.exec(h.name, `${h.launchScript} stop`)).code).toBe(0);
    for (const h of [master, slave]) {
      const dir = path.join(h.nodeDir, "work", "mnesia", "127.0.0.1");
      for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { recursive: true });
    }
    for (const h of [master, slave]) expect((await sim.exec(h.name, `${h.launchScript} start && ${h.launchScript} wait_ready`)).code).toBe(0);

    const early = await adm("status");
    expect(early).toEqual({ code: 0, stdout: "[ERROR] Mnesia is not available\r\n", stderr: "" });
    expect((await adm("restore-mnesia", backup)).stdout).toBe("[ERROR] Mnesia is not available\r\n");

    const inventory = inventoryFrom(fs.readFileSync(sim.inventoryPath, "utf8"), sim.inventoryPath);
    const cluster = inventory.clusters[sim.clusterName];
    if (cluster?.kind !== "leofs") throw new Error("no leofs cluster in the sim inventory");
    const spare = sim.hostOf("spare");
    const plan = planProcedure(getProcedure("leofs.takeover-manager"), cluster, sim.clusterName, { replace: "manager-slave", newHost: spare.name, newNode: spare.node }, NOW);
    const ids = plan.steps.map((s) => s.id);
    const wait = plan.steps.find((s) => s.id === "wait-manager-tables");
    expect(ids.indexOf("wait-manager-tables")).toBeGreaterThan(ids.indexOf("wait-ready-manager-slave"));
    expect(ids.indexOf("wait-manager-tables")).toBe(ids.indexOf("load-mnesia") - 1);
    const poll = waitOf(wait)?.poll?.expect;
    if (poll === undefined) throw new Error("wait-manager-tables has no poll");
    expect(evaluateExpectation(poll, { exitCode: early.code, stdout: early.stdout, stderr: early.stderr })).toEqual({
      ok: false,
      reason: "leofs-adm reported an error: [ERROR] Mnesia is not available",
    });

    // Polled, not slept: the tables appear mnesiaCreateDelaySeconds after
    // the start, later than that on a loaded machine.
    const later = await eventually("the manager's tables", async () => {
      const status = await adm("status");
      return status.stdout.includes("[ERROR] Mnesia is not available") ? undefined : status;
    });
    expect(later.stdout).not.toContain("[ERROR]");
    expect(evaluateExpectation(poll, { exitCode: later.code, stdout: later.stdout, stderr: later.stderr }).ok).toBe(true);
    expect((await adm("restore-mnesia", backup)).stdout).toBe("OK\r\n");
  });
});
