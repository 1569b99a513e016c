import { leofsAdm, startLeofsSim, type LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import type { SimExecResult } from "../../../sim/leofs/sim-ssh-exec";

// Manager Mnesia faults and the recoveries of seed 000 (leofs-facts §3 "Manager recovery").
const reply = (stdout: string, code = 0): SimExecResult => ({ stdout, stderr: "", code });
const NOT_STARTED = reply("[ERROR] Mnesia does not start, yet\r\n");

describe("manager Mnesia: detectable disagreement and seed 000 recoveries", () => {
  let sim: LeofsSim;
  let m0Dir: string;
  let m1Dir: string;
  const mgr = (i: 0 | 1, cmd: string): Promise<SimExecResult> => {
    const h = sim.hostOf(i === 0 ? "manager-master" : "manager-slave");
    return sim.exec(h.name, `${h.launchScript} ${cmd}`);
  };
  const onMaster = (...args: string[]): Promise<SimExecResult> => sim.exec("leofs-m0", leofsAdm(...args));
  const onSlave = (...args: string[]): Promise<SimExecResult> => sim.exec("leofs-m1", leofsAdm("-p", "10011", ...args));
  const storageStates = async (manager?: string): Promise<string[]> =>
    (await sim.state.nodeStates(manager)).filter((r) => r.type === "S").map((r) => `${r.node} ${r.state}`);

  beforeAll(async () => {
    sim = await startLeofsSim({ storage: 2, gateways: 0, replicas: 1, started: true });
    m0Dir = `${sim.hostOf("manager-master").nodeDir}/work/mnesia/127.0.0.1`;
    m1Dir = `${sim.hostOf("manager-slave").nodeDir}/work/mnesia/127.0.0.1`;
  });
  afterAll(async () => {
    await sim.stop();
  });

  it("a corrupted master Mnesia: the manager boots but its console answers Mnesia does not start, yet", async () => {
    expect(await mgr(1, "stop")).toEqual(reply("ok\n"));
    expect(await mgr(0, "stop")).toEqual(reply("ok\n"));
    await sim.fault.corruptMnesia(sim.hostOf("manager-master").node);
    expect(await mgr(0, "start")).toEqual(reply(""));
    expect(await mgr(0, "ping")).toEqual(reply("pong\n"));
    expect(await mgr(0, "wait_ready")).toEqual(reply("Not ready after 10 reties\n", 1));
    expect(await onMaster("status")).toEqual(NOT_STARTED);
    expect(await onMaster("version")).toEqual(reply("1.4.3\r\n"));
    expect((await sim.state.mnesiaOf(0)).files).toBe("corrupt");
    expect(await sim.state.checkManagers()).toEqual({ consistent: false, detail: `inconsistent: ${sim.hostOf("manager-master").node} mnesia is corrupt` });
  });

  it("Case 1: stop both, move the master's files aside, copy the slave's, start both", async () => {
    expect(await mgr(0, "stop")).toEqual(reply("ok\n"));
    const aside = `${sim.hostOf("manager-master").root}/var/backups/mnesia-aside`;
    expect(await sim.exec("leofs-m0", `mkdir -p ${aside} && mv ${m0Dir}/* ${aside}/ && cp ${m1Dir}/* ${m0Dir}/`)).toEqual(reply(""));
    expect(await mgr(0, "start")).toEqual(reply(""));
    expect(await mgr(1, "start")).toEqual(reply(""));
    expect(await mgr(0, "wait_ready")).toEqual(reply(""));
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
    expect(await storageStates()).toEqual(["storage_0@127.0.0.12 running", "storage_1@127.0.0.13 running"]);
  });

  it("the manager that was not last down waits for its partner's tables", async () => {
    expect(await mgr(1, "stop")).toEqual(reply("ok\n"));
    expect(await onMaster("suspend", "storage_0@127.0.0.12")).toEqual(reply("OK\r\n"));
    expect(await mgr(0, "stop")).toEqual(reply("ok\n"));
    expect(await mgr(1, "start")).toEqual(reply(""));
    expect(await onSlave("status")).toEqual(NOT_STARTED);
    expect((await sim.state.mnesiaOf(1)).mnesia).toBe("waiting");
    expect(await mgr(0, "start")).toEqual(reply(""));
    expect((await onSlave("status")).stdout).toContain("| storage_0@127.0.0.12      | suspend      |");
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
    expect(await onMaster("resume", "storage_0@127.0.0.12")).toEqual(reply("OK\r\n"));
  });

  it("a slave started on an empty Mnesia dir creates its own schema: its view differs from the master's", async () => {
    expect(await mgr(1, "stop")).toEqual(reply("ok\n"));
    expect(await sim.exec("leofs-m1", `rm -f ${m1Dir}/*`)).toEqual(reply(""));
    expect(await mgr(1, "start")).toEqual(reply(""));
    const slaveView = await onSlave("status");
    expect(slaveView.code).toBe(0);
    expect(slaveView.stdout).not.toContain("[State of Node(s)]");
    const check = await sim.state.checkManagers();
    expect(check.consistent).toBe(false);
    expect(check.detail).toMatch(/^inconsistent: manager_\d@127\.0\.0\.1\d has another schema/);
    const [a, b] = [await sim.state.mnesiaOf(0), await sim.state.mnesiaOf(1)];
    expect(b.cookie).not.toBe(a.cookie);

    // recovery: Case 1 on the slave
    expect(await mgr(1, "stop")).toEqual(reply("ok\n"));
    expect(await sim.exec("leofs-m1", `rm -f ${m1Dir}/* && cp ${m0Dir}/* ${m1Dir}/`)).toEqual(reply(""));
    expect(await mgr(1, "start")).toEqual(reply(""));
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
  });

  it("backup-mnesia then restore-mnesia brings the tables back on both managers", async () => {
    const dir = `${sim.hostOf("manager-master").root}/var/backups/intervene`;
    expect(await sim.exec("leofs-m0", `mkdir -p ${dir} && chown leofs:leofs ${dir}`)).toEqual(reply(""));
    expect(await onMaster("backup-mnesia", `${dir}/m.bak`)).toEqual(reply("OK\r\n"));
    expect(await onMaster("suspend", "storage_1@127.0.0.13")).toEqual(reply("OK\r\n"));
    expect(await storageStates()).toEqual(["storage_0@127.0.0.12 running", "storage_1@127.0.0.13 suspend"]);
    expect(await onMaster("restore-mnesia", `${dir}/m.bak`)).toEqual(reply("OK\r\n"));
    expect(await storageStates(sim.hostOf("manager-slave").node)).toEqual(["storage_0@127.0.0.12 running", "storage_1@127.0.0.13 running"]);
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
    expect(await onMaster("restore-mnesia", `${dir}/missing.bak`)).toEqual(reply(`[ERROR] {error,{file_error,"${dir}/missing.bak",enoent}}\r\n`));
  });

  it("dump-mnesia-data / load-mnesia-data belong to the leo_manager launch script (nodetool rpc: dump silent, load says what it enters and exits 1 even on success)", async () => {
    const dir = `${sim.hostOf("manager-master").root}/var/backups/intervene`;
    expect(await mgr(0, `dump-mnesia-data ${dir}/m.txt`)).toEqual(reply(""));
    expect((await sim.exec("leofs-m0", `head -n 1 ${dir}/m.txt`)).stdout).toMatch(/^%% leofs-sim mnesia textdump cluster=leofs_1 generation=\d+\n$/);
    // OTP mnesia_text.erl make_tabs/1 prints per table; nodetool `rpc` halts 1 on {atomic,ok}.
    const node = sim.hostOf("manager-master").node;
    const tables = ["leo_system_conf", "leo_storage_nodes", "leo_gateway_nodes", "leo_members_cur", "leo_members_prev", "leo_ring_cur", "leo_ring_prv"];
    expect(await mgr(0, `load-mnesia-data ${dir}/m.txt`)).toEqual(reply(tables.map((t) => `** Table ${t} already exists on '${node}', just entering data\n`).join(""), 1));
    expect(await mgr(0, `load-mnesia-data ${dir}/m.bak`)).toEqual(reply("", 1));
    expect((await mgr(0, "dump-mnesia-data")).code).toBe(1);
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
  });
});
