import fs from "node:fs";
import path from "node:path";
import { ParseError } from "../../../src/procedures/procedure-errors";
import { parseLeofsAdmError } from "../../../src/procedures/parsers/parse-leofs-adm-error";
import { parseLeofsStatus } from "../../../src/procedures/parsers/parse-leofs-status";
import { parseVersionAll } from "../../../src/procedures/parsers/parse-version-all";
import { statusText, type Row } from "./status-text";

const SAMPLE = fs.readFileSync(path.join(__dirname, "fixtures/leofs-status-1.4.3.txt"), "utf8");

describe("parseLeofsStatus on the verbatim 1.4.x sample (reference §1)", () => {
  it("is the CRLF fixture", () => {
    expect(SAMPLE).toContain(" [System Confiuration]\r\n");
    expect(SAMPLE.split("\r\n").length).toBeGreaterThan(30);
  });

  it("reads the system section", () => {
    const { system } = parseLeofsStatus(SAMPLE);
    expect(system).toMatchObject({
      version: "1.4.3",
      clusterId: "leofs_1",
      dcId: "dc_1",
      totalReplicas: 3,
      consistency: { r: 1, w: 2, d: 2 },
      currentRingHash: "8a6ef4cb",
      previousRingHash: "8a6ef4cb",
    });
    expect(system.items["[mdcr] max number of joinable dcs"]).toBe("2");
    expect(system.items["ring size"]).toBe("2^128");
  });

  it("reads every node row, storage and gateway, never managers", () => {
    const { nodes } = parseLeofsStatus(SAMPLE);
    expect(nodes.map((n) => [n.type, n.node, n.state, n.rackId, n.currentRing, n.prevRing, n.updatedAt])).toEqual([
      ["S", "storage_0@10.0.0.104", "running", "", "8a6ef4cb", "8a6ef4cb", "2019-03-01 10:12:03 +0000"],
      ["S", "storage_1@10.0.0.105", "running", "", "8a6ef4cb", "8a6ef4cb", "2019-03-01 10:12:03 +0000"],
      ["S", "storage_2@10.0.0.106", "running", "", "8a6ef4cb", "8a6ef4cb", "2019-03-01 10:12:04 +0000"],
      ["G", "gateway_0@10.0.0.103", "running", "", "8a6ef4cb", "8a6ef4cb", "2019-03-01 10:12:10 +0000"],
    ]);
  });

  it("is robust to the formatter's trailing spaces and to LF endings", () => {
    // The formatter pads `Value    ` and centres `updated at` in 28 columns; markdown lost both.
    const padded = SAMPLE.replace("| Value\r\n", "| Value    \r\n").replace("updated at\r\n", "updated at         \r\n").replace(/\+0000\r\n/g, "+0000  \r\n");
    expect(parseLeofsStatus(padded)).toEqual(parseLeofsStatus(SAMPLE));
    expect(parseLeofsStatus(SAMPLE.replace(/\r\n/g, "\n"))).toEqual(parseLeofsStatus(SAMPLE));
  });
});

describe("parseLeofsStatus on state variants", () => {
  const rows: Row[] = [
    { type: "S", node: "storage_0@127.0.0.1", state: "running", ring: ["79e0dbc4", "79e0dbc4"] },
    { type: "S", node: "storage_3@127.0.0.1", state: "attached", ring: ["", ""] },
    { type: "S", node: "storage_1@127.0.0.1", state: "detached", ring: ["-1", "-1"] },
  ];

  it("an attached node has empty rings, a detached node -1", () => {
    const { nodes } = parseLeofsStatus(statusText({ ring: ["79e0dbc4", "79e0dbc4"], rows }));
    expect(nodes[1]).toMatchObject({ node: "storage_3@127.0.0.1", state: "attached", currentRing: "", prevRing: "" });
    expect(nodes[2]).toMatchObject({ node: "storage_1@127.0.0.1", state: "detached", currentRing: "-1", prevRing: "-1" });
  });

  it("before `leofs-adm start` the manager hashes are empty", () => {
    const status = parseLeofsStatus(statusText({ ring: ["", ""], rows: [{ type: "S", node: "storage_0@127.0.0.1", state: "attached", ring: ["", ""] }] }));
    expect(status.system.currentRingHash).toBe("");
    expect(status.system.previousRingHash).toBe("");
    expect(status.nodes).toHaveLength(1);
  });

  it("a rack id is read when set", () => {
    const { nodes } = parseLeofsStatus(statusText({ ring: ["1", "1"], rows: [{ type: "S", node: "storage_0@h", state: "stop", rack: "r1", ring: ["", ""] }] }));
    expect(nodes[0]).toMatchObject({ state: "stop", rackId: "r1" });
  });

  it("no member table at all gives no nodes", () => {
    expect(parseLeofsStatus(statusText({ ring: ["", ""], rows: [] })).nodes).toEqual([]);
  });

  it("reads the 1.3.x layout without a rack column", () => {
    const text = statusText({ ring: ["79e0dbc4", "79e0dbc4"], rows, rackColumn: false });
    const { nodes } = parseLeofsStatus(text);
    expect(nodes.map((n) => [n.node, n.state, n.rackId, n.currentRing])).toEqual([
      ["storage_0@127.0.0.1", "running", "", "79e0dbc4"],
      ["storage_3@127.0.0.1", "attached", "", ""],
      ["storage_1@127.0.0.1", "detached", "", "-1"],
    ]);
  });

  it("reads the 1.0–1.2 layout ([System config], [Node(s) state], `key : value`)", () => {
    const text = [
      "[System config]",
      "                System version : 1.0.0",
      "                    Cluster Id : leofs_1",
      "                         DC Id : dc_1",
      "                Total replicas : 3",
      "           # of successes of R : 1",
      "           # of successes of W : 2",
      "           # of successes of D : 2",
      " # of DC-awareness replicas    : 0",
      "                     ring size : 2^128",
      "             Current ring hash : 8cd79c31",
      "                Prev ring hash : 8cd79c31",
      "[Multi DC replication settings]",
      "         max # of joinable DCs : 2",
      "            # of replicas a DC : 1",
      "",
      "[Node(s) state]",
      "-------+--------------------------+--------------+----------------+----------------+----------------------------",
      " type  |           node           |    state     |  current ring  |   prev ring    |          updated at",
      "-------+--------------------------+--------------+----------------+----------------+----------------------------",
      "  S    | storage_0@127.0.0.1      | running      | 8cd79c31       | 8cd79c31       | 2014-04-03 11:28:20 +0900",
      "  G    | gateway_0@127.0.0.1      | running      | 8cd79c31       | 8cd79c31       | 2014-04-03 11:28:21 +0900",
      "",
    ].join("\r\n");
    const status = parseLeofsStatus(text);
    expect(status.system).toMatchObject({ version: "1.0.0", clusterId: "leofs_1", totalReplicas: 3, consistency: { r: 1, w: 2, d: 2 }, currentRingHash: "8cd79c31" });
    expect(status.nodes.map((n) => `${n.type} ${n.node} ${n.state}`)).toEqual(["S storage_0@127.0.0.1 running", "G gateway_0@127.0.0.1 running"]);
  });
});

describe("parseLeofsStatus refuses what it does not know", () => {
  it("an [ERROR] reply", () => {
    expect(() => parseLeofsStatus("[ERROR] Mnesia does not start, yet\r\n")).toThrow(/leofs-adm answered \[ERROR\] Mnesia does not start, yet/);
  });
  it("a connection failure", () => {
    expect(() => parseLeofsStatus("Error: couldn't connect to LeoFS Manager\n")).toThrow(ParseError);
  });
  it("unrelated text", () => {
    expect(() => parseLeofsStatus("pong\n")).toThrow(/no system header/);
  });
  it("an unknown node state", () => {
    const text = SAMPLE.replace("storage_1@10.0.0.105      | running ", "storage_1@10.0.0.105      | zombie  ");
    expect(() => parseLeofsStatus(text)).toThrow(/storage_1@10.0.0.105 has unknown state "zombie"/);
  });
  it("a row with the wrong number of cells", () => {
    const text = SAMPLE.replace("| 2019-03-01 10:12:04 +0000", "");
    let error: unknown;
    try {
      parseLeofsStatus(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ParseError);
    expect((error as ParseError).line).toBe(37); // the storage_2 row
  });
});

describe("parseLeofsAdmError", () => {
  it("finds the first [ERROR] line and its cause", () => {
    expect(parseLeofsAdmError("Generating rebalance-list...\r\n[ERROR] Not satisfy conditions\r\n")).toEqual({
      cause: "Not satisfy conditions",
      line: "[ERROR] Not satisfy conditions",
      lineNumber: 2,
    });
    expect(parseLeofsAdmError("[ERROR] not_found\r\n")?.cause).toBe("not_found");
  });
  it("returns undefined for OK", () => {
    expect(parseLeofsAdmError("OK\r\n")).toBeUndefined();
  });
});

describe("parseVersionAll", () => {
  it("lists managers, storage and gateways", () => {
    const text = [
      " [Version of Node(s)]",
      "-------+--------------------------+----------------------------------+",
      " type  |           node           |             version              | ",
      "-------+--------------------------+----------------------------------+",
      "  M    | manager_0@127.0.0.1      | 1.4.3                            | ",
      "  M    | manager_1@127.0.0.1      | 1.4.3                            | ",
      "  S    | storage_0@127.0.0.1      | 1.4.3                            | ",
      "  G    | gateway_0@127.0.0.1      | 1.4.2                            | ",
      "-------+--------------------------+----------------------------------+",
      "",
    ].join("\r\n");
    expect(parseVersionAll(text)).toEqual([
      { type: "M", node: "manager_0@127.0.0.1", version: "1.4.3" },
      { type: "M", node: "manager_1@127.0.0.1", version: "1.4.3" },
      { type: "S", node: "storage_0@127.0.0.1", version: "1.4.3" },
      { type: "G", node: "gateway_0@127.0.0.1", version: "1.4.2" },
    ]);
  });
  it("refuses an error reply and unknown text", () => {
    expect(() => parseVersionAll("[ERROR] Command not exist\r\n")).toThrow(ParseError);
    expect(() => parseVersionAll("1.4.3\r\n")).toThrow(/Version of Node/);
  });
});
