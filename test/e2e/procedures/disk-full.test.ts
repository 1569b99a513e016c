import fs from "node:fs";
import path from "node:path";
import { setConfKeys } from "../../../src/procedures/leofs/manager-config-edit";
import { shellQuote } from "../../../src/util/shell-quote";
import type { LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { assertRunState, stepById, type EngineHarness } from "../../helpers/engine-harness";
import { useSimClusterBed } from "../../helpers/sim-cluster-bed";
import type { SimCluster } from "../../../sim/start-sim-cluster";
import { backupsOn, breakManagerMnesia } from "./leofs-e2e";

jest.setTimeout(120_000);

const ENOSPC = "No space left on device";

/**
 * Issue 15 point 5: a host whose disk is full during a backup step. The sim
 * knob `fault disk-full <host>` makes `mkdir` and `cp` over SSH fail as GNU
 * coreutils does on ENOSPC (sim/leofs/sim/disk-shim). The step fails with the
 * host's own message, the run pauses, nothing is lost, and Retry after space
 * is freed finishes the run.
 */
describe("a full disk during a backup step", () => {
  let cluster: SimCluster<LeofsSim>;
  let harness: EngineHarness;
  let sim: LeofsSim;

  useSimClusterBed({ kind: "leofs", storage: 2, gateways: 1, replicas: 2, started: true }, {
    ready: (bed) => ({ cluster, sim, harness } = bed),
  });

  it("the knob: mkdir and cp fail with coreutils' words; cp leaves its target truncated; a rename still works", async () => {
    const h = sim.hostOf("storage", 0);
    const dir = path.join(h.root, "var/backups/full-probe");
    const src = path.join(h.root, "etc/leofs/probe.txt");
    fs.mkdirSync(path.dirname(src), { recursive: true });
    fs.writeFileSync(src, "payload\n");
    await sim.fault.diskFull(h.name);
    try {
      expect(await sim.exec(h.name, `mkdir -p ${shellQuote(`${dir}/a/b`)}`)).toEqual({ code: 1, stdout: "", stderr: `mkdir: cannot create directory '${dir}': ${ENOSPC}\n` });
      const dst = path.join(h.root, "var/backups/probe.copy");
      expect(await sim.exec(h.name, `cp -p ${shellQuote(src)} ${shellQuote(dst)}`)).toEqual({ code: 1, stdout: "", stderr: `cp: error writing '${dst}': ${ENOSPC}\n` });
      expect(fs.readFileSync(dst, "utf8")).toBe("");
      expect(await sim.exec(h.name, `mv ${shellQuote(dst)} ${shellQuote(`${dst}.moved`)}`)).toMatchObject({ code: 0 });
    } finally {
      await sim.fault.clear("disk-full", h.name);
    }
    expect(await sim.exec(h.name, `mkdir -p ${shellQuote(`${dir}/a/b`)} && cp ${shellQuote(src)} ${shellQuote(`${dir}/a/b/`)} && cat ${shellQuote(`${dir}/a/b/probe.txt`)}`)).toEqual({ code: 0, stdout: "payload\n", stderr: "" });
  });

  it("a config edit's backup cut short by a full disk is not taken for a backup on Retry: the original is kept whole", async () => {
    const h = sim.hostOf("storage", 1);
    const conf = path.join(h.root, "etc/leofs/edit-probe.conf");
    const original = "nodename = storage_1@127.0.0.1\nmanagers = [manager_0@127.0.0.1, manager_1@127.0.0.1]\n";
    fs.writeFileSync(conf, original);
    const backupDir = path.join(h.root, "var/backups/edit-probe");
    fs.mkdirSync(backupDir, { recursive: true });
    const edit = setConfKeys(conf, backupDir, "edit-probe.conf", [{ key: "managers", value: "[manager_0@127.0.0.1,manager_2@127.0.0.1]" }]);

    await sim.fault.diskFull(h.name);
    const failed = await sim.exec(h.name, edit);
    await sim.fault.clear("disk-full", h.name);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(`cp: error writing '${backupDir}/edit-probe.conf.part': ${ENOSPC}\n`);
    expect(fs.readFileSync(conf, "utf8")).toBe(original);
    expect(fs.existsSync(path.join(backupDir, "edit-probe.conf"))).toBe(false);

    expect(await sim.exec(h.name, edit)).toMatchObject({ code: 0 });
    expect(fs.readFileSync(path.join(backupDir, "edit-probe.conf"), "utf8")).toBe(original);
    expect(fs.readFileSync(conf, "utf8")).toContain("managers = [manager_0@127.0.0.1,manager_2@127.0.0.1]");
  });

  it("recover-manager: moving the slave's Mnesia aside fails with leofs-m1's message, the run pauses with the files in place, and Retry after space is freed succeeds", async () => {
    const slave = sim.hostOf("manager-slave");
    await breakManagerMnesia(sim, "manager-slave");
    const mnesia = path.join(slave.nodeDir, "work/mnesia/127.0.0.1");
    const before = fs.readdirSync(mnesia).sort();
    await sim.fault.diskFull(slave.name);

    const started = await harness.start("leofs.recover-manager", cluster.clusterName, { target: "manager-slave" });
    const paused = await harness.runToEnd(started.id);

    assertRunState(paused.run, "paused");
    const backup = stepById(paused.run, "backup-manager-slave-mnesia");
    expect(paused.run.cursor).toBe(backup.step.index);
    expect(backup.record.state).toBe("failed");
    expect(backup.record.error).toContain("leofs-m1");
    expect(backup.record.outputs[0]).toMatchObject({ host: "leofs-m1", exitCode: 1 });
    expect(backup.record.outputs[0]!.tail).toMatch(new RegExp(`mkdir: cannot create directory '[^']+': ${ENOSPC}`));
    // Nothing was moved: the (garbled) set is still where it was, and no backup dir exists.
    expect(fs.readdirSync(mnesia).sort()).toEqual(before);
    expect(backupsOn(sim, slave.name, "manager-slave-mnesia")).toEqual([]);

    await sim.fault.clear("disk-full", slave.name);
    const { run } = await harness.retryToEnd(started.id);
    assertRunState(run, "succeeded");
    expect(stepById(run, "backup-manager-slave-mnesia").record.attempt).toBe(2);
    expect(backupsOn(sim, slave.name, "manager-slave-mnesia")[0]!.files.sort()).toEqual(before);
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
  });
});
