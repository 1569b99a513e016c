import fs from "node:fs";
import path from "node:path";
import { leofsAdm, startLeofsSim, type LeofsSim } from "../../../sim/leofs/start-leofs-sim";

// leofs-facts §1 "status (whole system): verbatim 1.4.x format". The fixture is
// the sample as printed in the facts file, whose markdown lost the trailing
// spaces the formatter emits; those are asserted separately below.
const SAMPLE = fs.readFileSync(path.join(__dirname, "fixtures", "status-1.4.3-sample.txt"), "utf8");

const trimLines = (crlfText: string): string =>
  crlfText
    .split("\r\n")
    .map((l) => l.replace(/ +$/, ""))
    .join("\n");

describe("leofs-adm status reproduces LeoFS 1.4.3", () => {
  let sim: LeofsSim;

  beforeAll(async () => {
    sim = await startLeofsSim({
      storage: 3,
      gateways: 1,
      replicas: 3,
      consistency: { read: 1, write: 2, delete: 2 },
      // The output text is studied here, not the empty-Mnesia window (point-02-wait-for-tables.test.ts).
      mnesiaCreateDelaySeconds: 0,
      nodeAddresses: {
        managers: ["10.0.0.101", "10.0.0.102"],
        storage: ["10.0.0.104", "10.0.0.105", "10.0.0.106"],
        gateways: ["10.0.0.103"],
      },
    });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it("prints the documented sample character for character once names, ring hash and dates match", async () => {
    const m0 = sim.hostOf("manager-master");
    const launch = async (role: "manager-master" | "manager-slave" | "storage" | "gateway", i = 0): Promise<void> => {
      const h = sim.hostOf(role, i);
      const r = await sim.exec(h.name, `${h.launchScript} start`);
      expect(r).toEqual({ stdout: "", stderr: "", code: 0 });
    };
    await launch("manager-master");
    await launch("manager-slave");

    const before = await sim.exec(m0.name, leofsAdm("status"));
    expect(before.code).toBe(0);
    // managers are never listed, and the ring hash is empty before `start`
    expect(before.stdout).toContain("                 current ring-hash | \r\n                previous ring-hash | \r\n");
    expect(before.stdout).not.toContain("[State of Node(s)]");

    await sim.sim("clock", "2019-03-01 10:12:03");
    for (const i of [0, 1, 2]) await launch("storage", i);
    const attached = await sim.exec(m0.name, leofsAdm("status"));
    expect(attached.stdout).toContain("  S    | storage_0@10.0.0.104      | attached     |         |                |                | 2019-03-01 10:12:03 +0000\r\n");

    await sim.sim("next-ring-hash", "8a6ef4cb");
    const start = await sim.exec(m0.name, leofsAdm("start"));
    expect(start).toEqual({
      stdout: "Generating RING...\r\nGenerated RING\r\nOK  33% - storage_0@10.0.0.104\r\nOK  67% - storage_1@10.0.0.105\r\nOK 100% - storage_2@10.0.0.106\r\nOK\r\n",
      stderr: "",
      code: 0,
    });
    await sim.sim("touch", "storage_2@10.0.0.106", "2019-03-01 10:12:04");
    await sim.sim("clock", "2019-03-01 10:12:10");
    await launch("gateway");

    const status = await sim.exec(m0.name, leofsAdm("status"));
    expect(status.code).toBe(0);
    expect(status.stderr).toBe("");
    // every line ends in CRLF
    expect(status.stdout.endsWith("\r\n")).toBe(true);
    expect(status.stdout.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
    expect(trimLines(status.stdout)).toBe(SAMPLE);
    // trailing spaces from the formatter: " Item ... | Value    " and the centred header cell
    expect(status.stdout).toContain("\r\n Item                              | Value    \r\n");
    expect(status.stdout).toContain("|          updated at         \r\n");
  });

  it("answers `version` and `version all` with M rows for both managers", async () => {
    const m0 = sim.hostOf("manager-master");
    expect(await sim.exec(m0.name, leofsAdm("version"))).toEqual({ stdout: "1.4.3\r\n", stderr: "", code: 0 });
    const all = await sim.exec(m0.name, leofsAdm("version", "all"));
    expect(all.code).toBe(0);
    expect(all.stdout).toBe(
      [
        " [Version of Node(s)]",
        "-------+---------------------------+----------------------------------+",
        " type  |           node            |             version              | ",
        "-------+---------------------------+----------------------------------+",
        "  M    | manager_0@10.0.0.101      | 1.4.3                            | ",
        "  M    | manager_1@10.0.0.102      | 1.4.3                            | ",
        "  S    | storage_0@10.0.0.104      | 1.4.3                            | ",
        "  S    | storage_1@10.0.0.105      | 1.4.3                            | ",
        "  S    | storage_2@10.0.0.106      | 1.4.3                            | ",
        "  G    | gateway_0@10.0.0.103      | 1.4.3                            | ",
        "-------+---------------------------+----------------------------------+",
        "",
        "",
      ].join("\r\n"),
    );
  });

  it("gives a storage node's node_stat table and [ERROR] not_found for an unknown node", async () => {
    const m0 = sim.hostOf("manager-master");
    const stat = await sim.exec(m0.name, leofsAdm("status", "storage_1@10.0.0.105"));
    expect(stat.code).toBe(0);
    const lines = stat.stdout.split("\r\n");
    expect(lines.slice(0, 6)).toEqual([
      "--------------------------------------+--------------------------------------",
      "                Item                  |                 Value                ",
      "--------------------------------------+--------------------------------------",
      " Config-1: basic",
      "--------------------------------------+--------------------------------------",
      "                              version | 1.4.3",
    ]);
    expect(lines).toContain("                    current ring hash | 8a6ef4cb");
    expect(lines).toContain(" Status-3: Number of messages in MQ");
    expect(await sim.exec(m0.name, leofsAdm("status", "storage_9@10.0.0.109"))).toEqual({ stdout: "[ERROR] not_found\r\n", stderr: "", code: 0 });
  });

  it("serves the slave console on port 10011 only on the slave's host (console binds localhost)", async () => {
    const m0 = sim.hostOf("manager-master");
    const m1 = sim.hostOf("manager-slave");
    const onSlave = await sim.exec(m1.name, leofsAdm("-p", "10011", "status"));
    expect(onSlave.code).toBe(0);
    expect(trimLines(onSlave.stdout)).toBe(SAMPLE);
    expect(await sim.exec(m0.name, leofsAdm("-p", "10011", "status"))).toEqual({
      stdout: "Error: couldn't connect to LeoFS Manager\n",
      stderr: "",
      code: 1,
    });
  });
});
