import fs from "node:fs";
import path from "node:path";
import { evaluateExpectation } from "../../../src/procedures/expectations/evaluate-expectation";
import { extractCaptures, resolveCommand } from "../../../src/procedures/expectations/captures";
import type { Capture, Expectation } from "../../../src/procedures/model/step";
import { CaptureError } from "../../../src/procedures/procedure-errors";
import { statusText } from "./status-text";

const SAMPLE = fs.readFileSync(path.join(__dirname, "fixtures/leofs-status-1.4.3.txt"), "utf8");
const out = (stdout: string, exitCode: number | null = 0, stderr = "") => ({ exitCode, stdout, stderr });
const status = (condition: Extract<Expectation, { type: "leofs-status" }>["condition"]): Expectation => ({ type: "leofs-status", condition });

describe("evaluateExpectation: exit codes and output", () => {
  it("exit-zero and exit-code say what the exit was", () => {
    expect(evaluateExpectation({ type: "exit-zero" }, out("", 0))).toEqual({ ok: true });
    expect(evaluateExpectation({ type: "exit-zero" }, out("", 1))).toEqual({ ok: false, reason: "exit code 1, expected 0" });
    expect(evaluateExpectation({ type: "exit-zero" }, out("", null)).reason).toMatch(/did not exit normally/);
    expect(evaluateExpectation({ type: "exit-code", codes: [0, 1] }, out("", 1)).ok).toBe(true);
    expect(evaluateExpectation({ type: "exit-code", codes: [0, 1] }, out("", 2))).toEqual({ ok: false, reason: "exit code 2, expected one of 0, 1" });
  });

  it("stdout includes/excludes/matches/empty", () => {
    expect(evaluateExpectation({ type: "stdout-includes", text: "pong" }, out("pong\n")).ok).toBe(true);
    expect(evaluateExpectation({ type: "stdout-includes", text: "pong" }, out("Cannot connect Node 'manager_1@127.0.0.1'\n")).reason).toBe(
      `stdout does not include "pong"; stdout ends with "Cannot connect Node 'manager_1@127.0.0.1'"`,
    );
    expect(evaluateExpectation({ type: "stdout-excludes", text: "pong" }, out("a\npong x\n")).reason).toBe('stdout includes "pong": "pong x"');
    expect(evaluateExpectation({ type: "stdout-matches", pattern: "^[0-9a-f]{64}$", flags: "m" }, out(`${"a".repeat(64)}\n`)).ok).toBe(true);
    expect(evaluateExpectation({ type: "stdout-matches", pattern: "\\S" }, out("  \n")).reason).toBe("stdout does not match /\\S/ (stdout is empty)");
    expect(evaluateExpectation({ type: "stdout-matches", pattern: "(" }, out("x")).reason).toMatch(/invalid pattern/);
    expect(evaluateExpectation({ type: "stdout-empty" }, out(" \n")).ok).toBe(true);
    expect(evaluateExpectation({ type: "stdout-empty" }, out("1234 epmd\n")).reason).toBe('stdout is not empty: "1234 epmd"');
  });

  it("no-leofs-error: leofs-adm exits 0 after [ERROR], so the line decides and is quoted", () => {
    expect(evaluateExpectation({ type: "no-leofs-error" }, out("OK\r\n"))).toEqual({ ok: true });
    expect(evaluateExpectation({ type: "no-leofs-error" }, out("Generating rebalance-list...\r\n[ERROR] Not satisfy conditions\r\n", 0))).toEqual({
      ok: false,
      reason: "leofs-adm reported an error: [ERROR] Not satisfy conditions",
    });
    expect(evaluateExpectation({ type: "no-leofs-error" }, out("Error: couldn't connect to LeoFS Manager\n", 1)).reason).toMatch(/could not connect/);
    // "[ERROR]" not at the start of a line is not an error line.
    expect(evaluateExpectation({ type: "no-leofs-error" }, out("OK  33% - storage_0@127.0.0.1 [ERROR] in name\r\n")).ok).toBe(true);
  });

  it("all: the first failing part is the reason", () => {
    const e: Expectation = { type: "all", of: [{ type: "exit-zero" }, { type: "no-leofs-error" }] };
    expect(evaluateExpectation(e, out("[ERROR] Node not exist\r\n", 0)).reason).toBe("leofs-adm reported an error: [ERROR] Node not exist");
    expect(evaluateExpectation(e, out("OK\r\n", 0)).ok).toBe(true);
  });
});

describe("evaluateExpectation: leofs-status conditions", () => {
  const mixed = statusText({
    ring: ["8a6ef4cb", "8a6ef4cb"],
    rows: [
      { type: "S", node: "storage_0@127.0.0.1", state: "running", ring: ["8a6ef4cb", "8a6ef4cb"] },
      { type: "S", node: "storage_1@127.0.0.1", state: "stop", ring: ["", ""] },
      { type: "G", node: "gateway_0@127.0.0.1", state: "running", ring: ["8a6ef4cb", "8a6ef4cb"] },
    ],
  });

  it("nodes-in-state names the node, its state and what was expected", () => {
    expect(evaluateExpectation(status({ kind: "nodes-in-state", nodes: ["storage_1@127.0.0.1"], states: ["running"] }), out(mixed))).toEqual({
      ok: false,
      reason: 'storage_1@127.0.0.1 is "stop", expected running',
    });
    expect(evaluateExpectation(status({ kind: "nodes-in-state", nodes: ["storage_1@127.0.0.1"], states: ["stop", "suspend"] }), out(mixed)).ok).toBe(true);
    expect(evaluateExpectation(status({ kind: "nodes-in-state", nodes: ["storage_9@127.0.0.1"], states: ["attached"] }), out(mixed)).reason).toBe(
      "storage_9@127.0.0.1 is not listed, expected attached",
    );
  });

  it("all-in-state filters by type and never passes on an empty table", () => {
    expect(evaluateExpectation(status({ kind: "all-in-state", nodeType: "G", states: ["running"] }), out(mixed)).ok).toBe(true);
    expect(evaluateExpectation(status({ kind: "all-in-state", nodeType: "S", states: ["running"] }), out(mixed)).reason).toBe('storage_1@127.0.0.1 is "stop", expected running');
    expect(evaluateExpectation(status({ kind: "all-in-state", nodeType: "any", states: ["running"] }), out(statusText({ ring: ["", ""], rows: [] }))).reason).toBe(
      "no nodes listed, expected them running",
    );
  });

  it("node-absent and rings-consistent", () => {
    expect(evaluateExpectation(status({ kind: "node-absent", node: "storage_9@127.0.0.1" }), out(mixed)).ok).toBe(true);
    expect(evaluateExpectation(status({ kind: "node-absent", node: "storage_1@127.0.0.1" }), out(mixed)).reason).toBe('storage_1@127.0.0.1 is still listed ("stop"), expected it gone');
    expect(evaluateExpectation(status({ kind: "rings-consistent" }), out(SAMPLE)).ok).toBe(true);
    expect(evaluateExpectation(status({ kind: "rings-consistent" }), out(mixed)).reason).toBe(
      'storage_1@127.0.0.1 ("stop") has ring (blank)/(blank); the manager\'s is 8a6ef4cb/8a6ef4cb',
    );
  });

  it("operation-allowed runs the storage preconditions on the live status", () => {
    expect(evaluateExpectation(status({ kind: "operation-allowed", operation: "suspend", node: "storage_0@127.0.0.1" }), out(mixed)).ok).toBe(true);
    expect(evaluateExpectation(status({ kind: "operation-allowed", operation: "suspend", node: "storage_1@127.0.0.1" }), out(mixed)).reason).toBe(
      'cannot suspend storage_1@127.0.0.1: storage_1@127.0.0.1 is "stop"; only a running node can be suspended',
    );
  });

  it("output that is not a status fails with the parse problem, not an exception", () => {
    expect(evaluateExpectation(status({ kind: "rings-consistent" }), out("[ERROR] Mnesia does not start, yet\r\n")).reason).toMatch(
      /cannot parse leofs-adm status output.*\[ERROR\] Mnesia does not start, yet/,
    );
  });
});

describe("captures", () => {
  const pids: Capture = { name: "epmd_pids", pattern: "^(\\d+) \\S*epmd\\b", valuePattern: "[1-9][0-9]{0,9}" };

  it("extracts group 1 of every match", () => {
    expect(extractCaptures([pids], "1234 /usr/lib/erlang/erts/bin/epmd -daemon\n987 epmd -systemd\n")).toEqual({ ok: true, values: { epmd_pids: ["1234", "987"] } });
    expect(extractCaptures([pids], "")).toEqual({ ok: true, values: { epmd_pids: [] } });
  });

  it("refuses a value that does not match its valuePattern in full", () => {
    const loose: Capture = { name: "node", pattern: "^node: (.*)$", valuePattern: "[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+" };
    const outcome = extractCaptures([loose], "node: storage_0@h; rm -rf /\n");
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.reason).toMatch(/capture node: value "storage_0@h; rm -rf \/" does not match/);
  });

  it("resolveCommand fills placeholders with quoted words", () => {
    expect(resolveCommand("for pid in {{epmd_pids}}; do kill \"$pid\"; done", { epmd_pids: ["1234", "987"] })).toBe('for pid in 1234 987; do kill "$pid"; done');
    expect(resolveCommand("test \"$d\" = {{digest}}", { digest: ["a b"] })).toBe("test \"$d\" = 'a b'");
    expect(resolveCommand("echo {{none}}", { none: [] })).toBe("echo ");
  });

  it("resolveCommand refuses unknown placeholders and, given the specs, hostile values", () => {
    expect(() => resolveCommand("kill {{pids}}", {})).toThrow(CaptureError);
    expect(() => resolveCommand("kill {{epmd_pids}}", { epmd_pids: ["1; reboot"] }, [pids])).toThrow(/does not match/);
    // Without the specs a hostile value is still only ever one quoted word.
    expect(resolveCommand("kill {{epmd_pids}}", { epmd_pids: ["1; reboot"] })).toBe("kill '1; reboot'");
  });
});

describe("evaluateExpectation: leofs-versions (issue 11 point 4)", () => {
  const versionAll = (rows: readonly (readonly [string, string, string])[]) =>
    [
      " [Version of Node(s)]",
      "-------+--------------------------+----------------------------------+",
      " type  |           node           |             version              | ",
      "-------+--------------------------+----------------------------------+",
      ...rows.map(([t, n, v]) => `  ${t}    | ${n.padEnd(24)} | ${v.padEnd(32)} | `),
      "-------+--------------------------+----------------------------------+",
      "",
    ].join("\r\n");
  const expectation: Expectation = { type: "leofs-versions", nodes: ["manager_0@127.0.0.1", "storage_0@127.0.0.1", "gateway_0@127.0.0.1"], version: "1.4.4" };

  it("passes when every upgraded node reports the new version, whatever the others say", () => {
    const text = versionAll([["M", "manager_0@127.0.0.1", "1.4.4"], ["M", "manager_1@127.0.0.1", "1.4.3"], ["S", "storage_0@127.0.0.1", "1.4.4"], ["G", "gateway_0@127.0.0.1", "1.4.4"]]);
    expect(evaluateExpectation(expectation, out(text))).toEqual({ ok: true });
  });

  it("names each node on another version, unreachable or missing", () => {
    const text = versionAll([["M", "manager_0@127.0.0.1", "1.4.3"], ["S", "storage_0@127.0.0.1", "Could not get the version"]]);
    expect(evaluateExpectation(expectation, out(text))).toEqual({
      ok: false,
      reason: "expected 1.4.4 on every upgraded node: manager_0@127.0.0.1 reports 1.4.3; storage_0@127.0.0.1 reports Could not get the version; gateway_0@127.0.0.1 is not listed",
    });
  });

  it("fails on a leofs-adm error instead of a table", () => {
    const outcome = evaluateExpectation(expectation, out("[ERROR] Could not connect\r\n"));
    expect(outcome.ok).toBe(false);
    expect(outcome.reason).toContain("[ERROR] Could not connect");
  });
});
