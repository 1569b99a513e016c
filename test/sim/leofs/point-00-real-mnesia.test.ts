import fs from "node:fs";
import path from "node:path";
import { eventuallyTrue } from "../../helpers/eventually";
import { leofsAdm, startLeofsSim, type LeofsSim, type LeofsSimHost } from "../../../sim/leofs/start-leofs-sim";

jest.setTimeout(120_000);

/**
 * Issue 11 point 0: the managers' Mnesia is OTP's own. Each simulated manager
 * is a real Erlang VM (sim/leofs/sim/erl/leofs_sim_manager.erl) holding the
 * LeoFS tables as disc copies in its work/mnesia/127.0.0.1, on the cluster's
 * own epmd. Replication, wait_for_tables, force_load_table,
 * backup_checkpoint/restore and dump_to_textfile/load_textfile are the real
 * functions; what follows is what they do, not what the shell model assumed.
 */
describe("point 0: real Erlang Mnesia under the simulated managers", () => {
  let sim: LeofsSim;
  let m0: LeofsSimHost;
  let m1: LeofsSimHost;
  const run = (h: LeofsSimHost, command: string) => sim.exec(h.name, command);
  const mnesiaFiles = (h: LeofsSimHost): string[] => fs.readdirSync(path.join(h.nodeDir, "work/mnesia/127.0.0.1")).sort();

  beforeAll(async () => {
    sim = await startLeofsSim({ storage: 2, gateways: 1, replicas: 2, started: true, mnesia: "erlang", waitForTablesSeconds: 2 });
    [m0, m1] = [sim.hostOf("manager-master"), sim.hostOf("manager-slave")];
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it("each manager is a real beam.smp with its own Mnesia directory of LeoFS tables, and the pair is one schema with equal replicas", async () => {
    for (const h of [m0, m1]) {
      const pid = await sim.state.nodePid(h.node);
      expect(fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim()).toBe("beam.smp");
      expect(mnesiaFiles(h)).toEqual(
        expect.arrayContaining(["schema.DAT", "leo_storage_nodes.DCD", "leo_gateway_nodes.DCD", "leo_system_conf.DCD", "leo_ring_cur.DCD", "leo_ring_prv.DCD", "leo_members_cur.DCD", "leo_members_prev.DCD"]),
      );
    }
    // The slave joins the master's schema in its own time (mnesia:change_config extra_db_nodes, then the schema
    // merge): on a loaded machine that came after the cluster's start, so the pair is waited for, not assumed.
    await eventuallyTrue("the managers are one schema", async () => (await sim.state.checkManagers()).consistent, 60_000);
    const [a, b] = [await sim.state.mnesiaOf(0), await sim.state.mnesiaOf(1)];
    expect(a).toMatchObject({ files: "ok", running: true, mnesia: "ok" });
    expect(b).toMatchObject({ files: "ok", running: true, mnesia: "ok", cookie: a.cookie, fingerprint: a.fingerprint });
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
  });

  it("a change made through the master's console is in the slave's replica (Mnesia replicates the transaction)", async () => {
    const storage0 = sim.hostOf("storage", 0).node;
    expect((await run(m0, leofsAdm("suspend", storage0))).stdout).toBe("OK\r\n");
    const fromSlave = await sim.state.nodeStates(m1.node);
    expect(fromSlave.find((r) => r.node === storage0)?.state).toBe("suspend");
    expect((await run(m0, leofsAdm("resume", storage0))).stdout).toBe("OK\r\n");
    expect((await sim.state.nodeStates(m1.node)).find((r) => r.node === storage0)?.state).toBe("running");
  });

  it("dump-mnesia-data writes mnesia_text's Erlang terms; load-mnesia-data prints load_textfile's lines and exits 1 (nodetool rpc)", async () => {
    const dir = path.join(m0.root, "var/backups/point0-dump");
    fs.mkdirSync(dir, { recursive: true });
    expect((await run(m0, `chown leofs:leofs ${dir}`)).code).toBe(0);
    const file = path.join(dir, "dump.txt");
    expect(await run(m0, `${m0.launchScript} dump-mnesia-data ${file}`)).toMatchObject({ code: 0, stdout: "" });
    const text = fs.readFileSync(file, "utf8");
    expect(text).toMatch(/^\{tables,/);
    expect(text).toContain("{leo_ring_cur,");
    expect(text).toContain("{leo_members_cur,");
    const loaded = await run(m0, `${m0.launchScript} load-mnesia-data ${file}`);
    expect(loaded.code).toBe(1);
    expect(loaded.stdout).toMatch(/^\*\* Table leo_ring_cur already exists on 'manager_0@127\.0\.0\.10', just entering data$/m);
  });

  it("wait_for_tables: a slave started alone after the master stopped last waits for the master, and its VM stops when the wait ends", async () => {
    expect((await run(m1, `${m1.launchScript} stop`)).code).toBe(0);
    expect((await run(m0, `${m0.launchScript} stop`)).code).toBe(0);
    expect((await run(m1, `${m1.launchScript} start`)).code).toBe(0);
    // Real Mnesia decides: the master was the last one down, so the slave's copies are not loadable alone.
    // With *.DCD files the application starts only once the tables are loaded (leo_manager_sup start_link/0).
    expect(await run(m1, `${m1.launchScript} ping`)).toMatchObject({ code: 0, stdout: "pong\n" });
    expect(await run(m1, `${m1.launchScript} ready`)).toMatchObject({ code: 1, stdout: "Application is not ready\n" });
    expect(await sim.state.mnesiaOf(1)).toMatchObject({ running: true, mnesia: "waiting" });
    await eventuallyTrue("the waiting slave's VM to stop", async () => (await run(m1, `${m1.launchScript} ping`)).code === 1, 20_000, 200);
    expect(fs.readFileSync(`${m1.nodeDir}/log/app/error`, "utf8")).toContain("Mnesia: timeout of waiting for table");
  });

  it("force_load: `start force_load` loads the slave's own copies; the master then joins it", async () => {
    expect((await run(m1, `${m1.launchScript} start force_load`)).code).toBe(0);
    await eventuallyTrue("the force-loaded slave's tables", async () => (await sim.state.mnesiaOf(1)).mnesia === "ok", 20_000, 200);
    // the slave's console (port 10011) answers from its own copies while the master is down
    expect((await run(m1, leofsAdm("-p", "10011", "status"))).stdout).toMatch(/running/);
    expect((await run(m0, `${m0.launchScript} start`)).code).toBe(0);
    expect((await run(m0, `${m0.launchScript} wait_ready`)).code).toBe(0);
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
  });

  it("seed 000 Case 1 on real Mnesia: a slave whose files are garbled does not start; the master's files copied over its own bring it back on the master's schema", async () => {
    expect((await run(m1, `${m1.launchScript} stop`)).code).toBe(0);
    await sim.fault.corruptMnesia(m1.node);
    expect((await sim.state.mnesiaOf(1)).files).toBe("corrupt");
    expect((await run(m1, `${m1.launchScript} start`)).code).toBe(0);
    // Real Mnesia cannot open a garbled schema.DAT: the VM stops (create_mnesia_tables_2/2, init:stop()).
    await eventuallyTrue("the slave with a garbled schema to stop", async () => !(await sim.state.mnesiaOf(1)).running, 20_000, 200);

    // The seed's steps by hand: stop the master (last), move the slave's files aside, copy the master's, start both.
    expect((await run(m0, `${m0.launchScript} stop`)).code).toBe(0);
    const slaveDir = path.join(m1.nodeDir, "work/mnesia/127.0.0.1");
    const masterDir = path.join(m0.nodeDir, "work/mnesia/127.0.0.1");
    expect((await run(m1, `mkdir -p ${m1.root}/var/backups/case1 && mv ${slaveDir}/* ${m1.root}/var/backups/case1/ && cp -p ${masterDir}/* ${slaveDir}/`)).code).toBe(0);
    expect((await run(m0, `${m0.launchScript} start`)).code).toBe(0);
    expect((await run(m1, `${m1.launchScript} start`)).code).toBe(0);
    expect((await run(m0, `${m0.launchScript} wait_ready`)).code).toBe(0);
    expect((await run(m1, `${m1.launchScript} wait_ready`)).code).toBe(0);
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
    const status = (await run(m0, leofsAdm("status"))).stdout;
    for (const h of [sim.hostOf("storage", 0), sim.hostOf("storage", 1)]) expect(status).toMatch(new RegExp(`${h.node.replace(/\./g, "\\.")}\\s+\\|\\s+running`));
  });
  // Last: on OTP 25, mnesia:restore with recreate_tables logs the restored
  // records on the node that ran it only; the partner holds them in memory
  // (its LATEST.LOG and .DCD files stay empty), so that partner force-loaded
  // alone afterwards comes up with empty tables. Seen here, not asserted.
  it("backup-mnesia writes a real Mnesia backup of the backup/1 tables only, and restore-mnesia reads it back", async () => {
    const dir = path.join(m0.root, "var/backups/point0");
    fs.mkdirSync(dir, { recursive: true });
    expect((await run(m0, `chown leofs:leofs ${dir}`)).code).toBe(0);
    const file = path.join(dir, "leo_manager.backup");
    expect((await run(m0, leofsAdm("backup-mnesia", file))).stdout).toBe("OK\r\n");
    // mnesia_backup's format: a binary log whose header names the backup's tables.
    const content = fs.readFileSync(file).toString("latin1");
    expect(content).toContain("leo_storage_nodes");
    expect(content).toContain("leo_system_conf");
    expect(content).not.toContain("leo_ring_cur");
    expect(content).not.toContain("leo_members_cur");
    expect((await run(m0, leofsAdm("restore-mnesia", file))).stdout).toBe("OK\r\n");
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
  });

});
