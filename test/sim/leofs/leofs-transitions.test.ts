import { leofsAdm, startLeofsSim, type LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import type { SimExecResult } from "../../../sim/leofs/sim-ssh-exec";

// Node states, console errors and launch-script replies of leofs-facts §1-§2,
// driven over SSH against a started cluster: 4 storage nodes, 1 gateway, n = 2.
const S = (i: number): string => `storage_${i}@127.0.0.${12 + i}`;
const G0 = "gateway_0@127.0.0.16";

const reply = (stdout: string, code = 0): SimExecResult => ({ stdout, stderr: "", code });
const crlf = (...lines: string[]): string => lines.map((l) => `${l}\r\n`).join("");

describe("LeoFS 1.4 node states and console errors over SSH", () => {
  let sim: LeofsSim;
  const adm = (...args: string[]): Promise<SimExecResult> => sim.exec("leofs-m0", leofsAdm(...args));
  const launch = (host: string, cmd: string): Promise<SimExecResult> => sim.exec(host, `${sim.host(host).launchScript} ${cmd}`);
  const stateOf = async (node: string): Promise<{ state: string; ring: string }> => {
    const row = (await sim.state.nodeStates()).find((r) => r.node === node);
    return { state: row?.state ?? "absent", ring: row?.currentRing ?? "" };
  };
  let ring = "";

  beforeAll(async () => {
    sim = await startLeofsSim({ storage: 4, gateways: 1, replicas: 2, started: true, waitReady: { retries: 3, intervalSeconds: 0.05 } });
    ring = (await stateOf(S(0))).ring;
  });
  afterAll(async () => {
    await sim.stop();
  });

  it("starts in the documented order: every node running with the manager's ring", async () => {
    expect(ring).toMatch(/^[0-9a-f]{8}$/);
    const rows = await sim.state.nodeStates();
    expect(rows.map((r) => `${r.type} ${r.node} ${r.state} ${r.currentRing}`)).toEqual([
      ...[0, 1, 2, 3].map((i) => `S ${S(i)} running ${ring}`),
      `G ${G0} running ${ring}`,
    ]);
  });

  it("refuses a second `start`: Storage cluster already started (exit 0)", async () => {
    expect(await adm("start")).toEqual(reply("[ERROR] Storage cluster already started\r\n"));
  });

  it("`start` with an argument prints its usage and exits 1", async () => {
    expect(await adm("start", "now")).toEqual(reply("Usage:\n  leofs-adm start\nDescription:\n  - Launch the storage cluster\n", 1));
  });

  it("`detach` without its node prints the usage and exits 0; `suspend --help` exits 1", async () => {
    expect(await adm("detach")).toEqual(reply("Usage:\n  leofs-adm detach <storage-node>\nDescription:\n  -  Remove the storage node in the storage cluster\n"));
    expect(await adm("suspend", "--help")).toEqual(
      reply(
        "Usage:\n  leofs-adm suspend <storage-node>\nDescription:\n  -  Suspend the storage node\n  -  While suspending, it rejects any requests\n  -  This command does NOT detach the node from the storage cluster\n",
        1,
      ),
    );
  });

  it("`attach` and `dump-mnesia-data` are not leofs-adm subcommands: full usage, exit 1", async () => {
    for (const args of [["attach", S(0)], ["dump-mnesia-data", "/tmp/x"], ["load-mnesia-data", "/tmp/x"]]) {
      const r = await adm(...args);
      expect(r.code).toBe(1);
      expect(r.stdout.startsWith("usage: leofs-adm [--help]\n       leofs-adm [-h <host>] [-p <port>] <command> <args>\n")).toBe(true);
    }
  });

  it("a command the manager does not know answers [ERROR] Command not exist with exit 0", async () => {
    expect(await adm("commit")).toEqual(reply("[ERROR] Command not exist\r\n"));
  });

  it("ping answers pong; start of a running node says Node is already running! (exit 1)", async () => {
    expect(await launch("leofs-s0", "ping")).toEqual(reply("pong\n"));
    expect(await launch("leofs-s0", "start")).toEqual(reply("Node is already running!\n", 1));
  });

  it("stop prints ok; the running node becomes stop with blank ring columns", async () => {
    expect(await launch("leofs-s3", "stop")).toEqual(reply("ok\n"));
    expect(await stateOf(S(3))).toEqual({ state: "stop", ring: "" });
  });

  it("stop and ping of a node that is down print the nodetool error and exit 1", async () => {
    expect(await launch("leofs-s3", "stop")).toEqual(reply(`Cannot connect Node '${S(3)}'\n`, 1));
    expect(await launch("leofs-s3", "ping")).toEqual(reply(`Cannot connect Node '${S(3)}'\n`, 1));
  });

  it("status of a node that is down is an [ERROR]; resume and suspend of a stopped node are refused", async () => {
    expect(await adm("status", S(3))).toEqual(reply("[ERROR] nodedown\r\n"));
    expect(await adm("resume", S(3))).toEqual(reply("[ERROR] Could not resume the node\r\n"));
    expect(await adm("suspend", S(3))).toEqual(reply("[ERROR] Could not suspend the node\r\n"));
  });

  it("rebalance with nothing attached or detached: Not need rebalance", async () => {
    expect(await adm("rebalance")).toEqual(reply("[ERROR] Not need rebalance\r\n"));
  });

  it("a stopped node that starts again is running again, with the manager's ring", async () => {
    expect(await launch("leofs-s3", "start")).toEqual(reply(""));
    expect(await launch("leofs-s3", "wait_ready")).toEqual(reply(""));
    expect(await stateOf(S(3))).toEqual({ state: "running", ring });
  });

  it("suspend -> suspend; it stays suspend across stop and start; resume -> running", async () => {
    expect(await adm("suspend", S(1))).toEqual(reply("OK\r\n"));
    expect((await stateOf(S(1))).state).toBe("suspend");
    expect(await launch("leofs-s1", "stop")).toEqual(reply("ok\n"));
    expect((await stateOf(S(1))).state).toBe("suspend");
    expect(await launch("leofs-s1", "start")).toEqual(reply(""));
    expect((await stateOf(S(1))).state).toBe("suspend");
    expect(await adm("resume", S(1))).toEqual(reply("OK\r\n"));
    expect(await stateOf(S(1))).toEqual({ state: "running", ring });
  });

  it("resume of a suspended node that is down: Could not connect", async () => {
    expect(await adm("suspend", S(1))).toEqual(reply("OK\r\n"));
    expect(await launch("leofs-s1", "stop")).toEqual(reply("ok\n"));
    expect(await adm("resume", S(1))).toEqual(reply("[ERROR] Could not connect\r\n"));
    expect(await launch("leofs-s1", "start")).toEqual(reply(""));
    expect(await adm("resume", S(1))).toEqual(reply("OK\r\n"));
  });

  it("rebalance refuses while more than one node is suspend/stop/restarted: Not satisfy conditions", async () => {
    expect(await adm("suspend", S(1))).toEqual(reply("OK\r\n"));
    expect(await adm("suspend", S(2))).toEqual(reply("OK\r\n"));
    expect(await adm("rebalance")).toEqual(reply("[ERROR] Not satisfy conditions\r\n"));
    expect(await adm("recover-node", S(0))).toEqual(reply("[ERROR] Not satisfy conditions\r\n"));
  });

  it("detach refuses when it would leave fewer running nodes than replicas", async () => {
    // running: s0, s3 (s1, s2 suspended), n = 2
    expect(await adm("detach", S(0))).toEqual(reply("[ERROR] Running nodes less than # of replicas\r\n"));
    expect(await adm("resume", S(1))).toEqual(reply("OK\r\n"));
    expect(await adm("resume", S(2))).toEqual(reply("OK\r\n"));
  });

  it("a ring-hash mismatch on a running node blocks rebalance until recover-ring", async () => {
    await sim.fault.ringMismatch(S(2), "deadbeef");
    expect(await stateOf(S(2))).toEqual({ state: "running", ring: "deadbeef" });
    expect(await adm("detach", S(3))).toEqual(reply("OK\r\n"));
    expect(await adm("rebalance")).toEqual(reply("[ERROR] Not satisfy conditions\r\n"));
    expect(await adm("recover-ring", S(2))).toEqual(reply("OK\r\n"));
    expect(await stateOf(S(2))).toEqual({ state: "running", ring });
  });

  it("detach -> detached (-1 rings); rollback -> running; rollback of a running node: Already running", async () => {
    expect(await stateOf(S(3))).toEqual({ state: "detached", ring: "-1" });
    expect(await adm("rollback", S(3))).toEqual(reply("OK\r\n"));
    expect(await stateOf(S(3))).toEqual({ state: "running", ring });
    expect(await adm("rollback", S(0))).toEqual(reply("[ERROR] Already running\r\n"));
    expect(await adm("rollback", "storage_9@127.0.0.99")).toEqual(reply("[ERROR] Could not rollback the node\r\n"));
  });

  it("detach refuses once detached nodes reach the number of replicas", async () => {
    expect(await adm("detach", S(3))).toEqual(reply("OK\r\n"));
    expect(await adm("detach", S(2))).toEqual(reply("OK\r\n"));
    expect(await adm("detach", S(1))).toEqual(reply("[ERROR] Detached nodes greater than or equal # of replicas\r\n"));
    expect(await adm("detach", "storage_9@127.0.0.99")).toEqual(reply("[ERROR] Detached nodes greater than or equal # of replicas\r\n"));
    expect(await adm("rollback", S(2))).toEqual(reply("OK\r\n"));
    expect(await adm("detach", "storage_9@127.0.0.99")).toEqual(reply("[ERROR] Could not get node-status\r\n"));
  });

  it("a detached node that restarts before rebalance is restarted; resume makes it running", async () => {
    expect(await adm("rollback", S(3))).toEqual(reply("OK\r\n"));
    expect(await adm("detach", S(2))).toEqual(reply("OK\r\n"));
    expect(await launch("leofs-s2", "stop")).toEqual(reply("ok\n"));
    expect(await launch("leofs-s2", "start")).toEqual(reply(""));
    expect((await stateOf(S(2))).state).toBe("restarted");
    expect(await adm("resume", S(2))).toEqual(reply("OK\r\n"));
    expect(await stateOf(S(2))).toEqual({ state: "running", ring });
  });

  it("remove a node: detach then rebalance prints the progress lines and drops it", async () => {
    expect(await adm("detach", S(3))).toEqual(reply("OK\r\n"));
    const r = await adm("rebalance");
    expect(r).toEqual(
      reply(
        crlf(
          "Generating rebalance-list...",
          "Generated rebalance-list",
          "Distributing rebalance-list to the storage nodes",
          `OK  33% - ${S(0)}`,
          `OK  67% - ${S(1)}`,
          `OK 100% - ${S(2)}`,
          "OK",
        ),
      ),
    );
    const rows = await sim.state.nodeStates();
    expect(rows.map((x) => x.node)).toEqual([S(0), S(1), S(2), G0]);
    const newRing = rows[0]?.currentRing ?? "";
    expect(newRing).not.toBe(ring);
    expect(rows.every((x) => x.currentRing === newRing && x.previousRing === ring)).toBe(true);
    ring = newRing;
  });

  it("add a node: a new storage node registers as attached with empty rings; rebalance makes it running", async () => {
    // s3's beam still runs after its detach was committed: restart it as a new member
    expect(await launch("leofs-s3", "stop")).toEqual(reply("ok\n"));
    expect(await launch("leofs-s3", "start")).toEqual(reply(""));
    expect(await stateOf(S(3))).toEqual({ state: "attached", ring: "" });
    const r = await adm("rebalance");
    expect(r.stdout).toContain(`OK 100% - ${S(3)}\r\nOK\r\n`);
    const s3 = await stateOf(S(3));
    expect(s3.state).toBe("running");
    expect(s3.ring).not.toBe(ring);
    ring = s3.ring;
  });

  it("a down manager console: couldn't connect, exit 1 (fault knob and a real stop)", async () => {
    const master = sim.hostOf("manager-master").node;
    await sim.fault.consoleDown(master);
    expect(await adm("status")).toEqual(reply("Error: couldn't connect to LeoFS Manager\n", 1));
    await sim.fault.clear("console-down", master);
    expect((await adm("version")).stdout).toBe("1.4.3\r\n");
    expect(await launch("leofs-m1", "stop")).toEqual(reply("ok\n"));
    expect(await sim.exec("leofs-m1", leofsAdm("-p", "10011", "version"))).toEqual(reply("Error: couldn't connect to LeoFS Manager\n", 1));
    expect(await launch("leofs-m1", "start")).toEqual(reply(""));
    expect(await launch("leofs-m1", "wait_ready")).toEqual(reply(""));
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
  });

  it("a hanging console command blocks until the client gives up", async () => {
    await sim.fault.hang("rebalance");
    const r = await sim.exec("leofs-m0", `timeout 1 ${leofsAdm("rebalance")}`);
    expect(r).toEqual(reply("", 124));
    await sim.fault.clear("hang", "rebalance");
    expect(await adm("rebalance")).toEqual(reply("[ERROR] Not need rebalance\r\n"));
  });

  it("a node that fails to start: start prints nothing, wait_ready gives up, ping fails", async () => {
    expect(await launch("leofs-g0", "stop")).toEqual(reply("ok\n"));
    expect((await stateOf(G0)).state).toBe("stop");
    await sim.fault.startFails(G0);
    expect(await launch("leofs-g0", "start")).toEqual(reply(""));
    expect(await launch("leofs-g0", "wait_ready")).toEqual(reply("Not ready after 3 reties\n", 1));
    expect(await launch("leofs-g0", "ping")).toEqual(reply(`Cannot connect Node '${G0}'\n`, 1));
    const log = await sim.exec("leofs-g0", `tail -n 1 ${sim.host("leofs-g0").nodeDir}/log/app/error`);
    expect(log.stdout).toContain("application_start_failure,leo_gateway");
    await sim.fault.clear("start-fails", G0);
  });

  it("remove-gateway: refused while running, OK once stopped", async () => {
    expect(await adm("remove-gateway", G0)).toEqual(reply("OK\r\n"));
    expect(await adm("remove-gateway", G0)).toEqual(reply("[ERROR] Node not exist\r\n"));
    expect(await launch("leofs-g0", "start")).toEqual(reply(""));
    expect(await stateOf(G0)).toEqual({ state: "running", ring });
    expect(await adm("remove-gateway", G0)).toEqual(reply("[ERROR] still running\r\n"));
  });

  it("update-managers answers OK and re-points running storage nodes and gateways", async () => {
    expect(await adm("update-managers", "manager_0@127.0.0.10", "manager_2@127.0.0.20")).toEqual(reply("OK\r\n"));
    const rec = await sim.exec("leofs-m0", `grep '^managers=' ${sim.simRoot}/cluster/nodes/${S(0)} ${sim.simRoot}/cluster/nodes/${G0}`);
    expect(rec.stdout.split("\n").filter(Boolean).map((l) => l.replace(/^.*:managers=/, ""))).toEqual([
      "manager_0@127.0.0.10 manager_2@127.0.0.20",
      "manager_0@127.0.0.10 manager_2@127.0.0.20",
    ]);
  });

  it("restart of a running node prints ok and keeps it running", async () => {
    expect(await launch("leofs-s0", "restart")).toEqual(reply("ok\n"));
    expect((await stateOf(S(0))).state).toBe("running");
  });
});
