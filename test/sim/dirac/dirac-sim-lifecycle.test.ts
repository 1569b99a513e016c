import { execFile } from "node:child_process";
import fs from "node:fs";
import { promisify } from "node:util";
import { parse } from "yaml";
import { loadInventory } from "../../../src/config";
import { processId } from "../../../sim/process/process-tree";
import { decodeRunitStatus } from "../../../sim/dirac/runit-status";
import { parsePsForest, psSubtree } from "./ps-forest";
import { startDiracSim } from "../../../sim/dirac/start-dirac-sim";

jest.setTimeout(60_000);

/** Gone, or a zombie waiting for pid 1 to reap it (the sandbox's init reaps lazily): either way no longer running. */
const running = (pid: number): boolean => processId(pid) !== null;

describe("the DIRAC simulator's own lifecycle", () => {
  it("writes a kind-dirac inventory and a pinned known_hosts, serves each box over ssh -F, and leaves no process behind after stop()", async () => {
    const sim = await startDiracSim({
      boxes: [
        { name: "volhcb20", roles: ["agents"] },
        // The product requires exactly one framework server box.
        { name: "volhcb18", roles: ["services"], frameworkServer: true, components: ["Configuration_Server"] },
        { name: "volhcb21", roles: ["databases"], innodbJournal: true },
      ],
      setup: "LHCb-Certification",
      firstAddress: 60,
    });
    const simRoot = sim.simRoot;
    let pids: number[] = [];
    try {
      const inventory = parse(fs.readFileSync(sim.inventoryPath, "utf8")) as {
        clusters: Record<string, { kind: string; dirac: { setup: string; boxes: unknown[]; innodbJournal?: unknown }; hosts: Record<string, unknown> }>;
      };
      const cluster = inventory.clusters[sim.cluster]!;
      expect(cluster.kind).toBe("dirac");
      expect(cluster.dirac.setup).toBe("LHCb-Certification");
      expect(cluster.dirac.boxes).toEqual([
        { host: "volhcb20", roles: ["agents"] },
        { host: "volhcb18", roles: ["services"], frameworkServer: true },
        { host: "volhcb21", roles: ["databases"], innodbJournal: true },
      ]);
      expect(cluster.dirac.innodbJournal).toEqual({ from: "/opt/dirac/mysql/log", to: "/home/dirac/mysql-log" });
      for (const box of sim.boxes) {
        expect(cluster.hosts[box.name]).toEqual({ address: box.address, root: box.hostRoot, ssh: { port: box.port } });
      }
      expect(sim.boxes.map((b) => b.address)).toEqual(["127.0.0.60", "127.0.0.61", "127.0.0.62"]);
      // The product's own loader accepts it, and takes keys and ports from it.
      const loaded = loadInventory({ inventoryFile: sim.inventoryPath, ssh: { privateKeyFile: "/nonexistent/key", knownHostsFile: "/nonexistent/known_hosts" } });
      expect(loaded.clusters[sim.cluster]).toMatchObject({
        kind: "dirac",
        hosts: {
          volhcb21: {
            address: "127.0.0.62",
            root: sim.box("volhcb21").hostRoot,
            ssh: { port: sim.box("volhcb21").port, privateKeyFile: sim.privateKeyPath, knownHostsFile: sim.knownHostsPath },
          },
        },
      });

      const knownHosts = fs.readFileSync(sim.knownHostsPath, "utf8").trim().split("\n");
      expect(knownHosts.map((line) => line.split(" ")[0])).toEqual(sim.boxes.map((b) => `[${b.address}]:${b.port}`));
      const { stdout } = await promisify(execFile)("ssh", ["-F", sim.sshConfigPath, "volhcb21", "echo $DIRAC_SIM_BOX $HOME; command -v sms runsvctrl runsvstat"]);
      expect(stdout.split("\n")).toEqual([
        `volhcb21 ${sim.box("volhcb21").homeDir}`,
        `${sim.box("volhcb21").shimDir}/sms`,
        `${sim.box("volhcb21").shimDir}/runsvctrl`,
        `${sim.box("volhcb21").shimDir}/runsvstat`,
        "",
      ]);

      pids = sim.trackedPids();
      const tree = (await sim.exec("volhcb20", "ps fax")).stdout;
      const supervised = psSubtree(parsePsForest(tree), (c) => c.startsWith(`runsvdir -P ${sim.box("volhcb20").startupDir} `))!;
      // runsv + svlogd + the component for each of the three agents, all tracked.
      expect(supervised).toHaveLength(9);
      for (const line of supervised) expect(pids).toContain(line.pid);
      const mysqldPid = Number(fs.readFileSync(sim.box("volhcb21").mysqlPidFile, "utf8"));
      expect(pids).toContain(mysqldPid);
      // 3 sshd + 3 runsvdir + 4 components x (runsv, svlogd, component) + mysqld
      expect(pids.length).toBeGreaterThanOrEqual(3 + 3 + 12 + 1);
      expect(pids.every(running)).toBe(true);
    } finally {
      await sim.stop();
    }
    expect(pids.filter(running)).toEqual([]);
    expect(fs.existsSync(simRoot)).toBe(false);
  });

  it("decodes runsv's supervise/status record", () => {
    const record = Buffer.alloc(20);
    record.writeBigUInt64BE(4611686018427387914n + 1_700_000_000n, 0);
    record.writeUInt32LE(4242, 12);
    record[16] = 0;
    record[17] = "d".charCodeAt(0);
    record[18] = 1;
    record[19] = 1;
    expect(decodeRunitStatus(record)).toEqual({ state: "run", pid: 4242, since: 1_700_000_000, paused: false, want: "down", gotTerm: true });
    expect(() => decodeRunitStatus(Buffer.alloc(19))).toThrow(/20 bytes/);
  });

  it("reads the process tree out of `ps fax`", () => {
    const text = [
      "    PID TTY      STAT   TIME COMMAND",
      "    100 ?        S      0:00 node jest",
      "    200 ?        S      0:00  \\_ runsvdir -P /sim/opt/dirac/startup log: DIRAC runsv.",
      "    201 ?        Ss     0:00  |   \\_ runsv Framework_SystemAdministrator",
      "    202 ?        S      0:00  |       \\_ svlogd .",
      "    300 ?        S      0:00  \\_ /usr/sbin/sshd -D",
      "",
    ].join("\n");
    const lines = parsePsForest(text);
    expect(lines.map((l) => l.pid)).toEqual([100, 200, 201, 202, 300]);
    expect(psSubtree(lines, (c) => c.startsWith("runsvdir -P /sim/"))!.map((l) => l.command)).toEqual(["runsv Framework_SystemAdministrator", "svlogd ."]);
    expect(psSubtree(lines, (c) => c.startsWith("nothing"))).toBeNull();
  });
});

describe("the DIRAC simulator after its runsvdir died (issue 17 point 5)", () => {
  it("still finds the orphaned runsv's by its ledger and stops them, with their components", async () => {
    const sim = await startDiracSim({ boxes: [{ name: "volhcb20", roles: ["agents"] }], firstAddress: 64 });
    const before = sim.trackedPids();
    const cmdline = (pid: number): string => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      } catch {
        return "";
      }
    };
    const runsvdir = before.find((pid) => cmdline(pid).startsWith("runsvdir "));
    const supervisors = before.filter((pid) => cmdline(pid).startsWith("runsv "));
    expect(runsvdir).toBeDefined();
    expect(supervisors.length).toBeGreaterThan(0);
    // What a Ctrl-C to a process group runsvdir shared used to do: runsvdir dies, its runsv's live on in their own sessions.
    process.kill(runsvdir!, "SIGKILL");
    await sim.stop();
    expect(before.filter(running).map((pid) => `${pid} ${cmdline(pid)}`)).toEqual([]);
  });
});
