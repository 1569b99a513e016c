import type { Expectation, LeofsStatusCondition } from "../model/step";
import { ProcedureError } from "../procedure-errors";
import { parseLeofsAdmError } from "../parsers/parse-leofs-adm-error";
import { parseLeofsStatus, type LeofsStatus } from "../parsers/parse-leofs-status";
import { parseVersionAll } from "../parsers/parse-version-all";
import { canDetach, canRebalance, canResume, canSuspend, type PreconditionResult } from "../leofs/storage-preconditions";

/** What one target's command produced. `exitCode` is null when it ended by a signal or was cut off. */
export interface CommandResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExpectationOutcome {
  readonly ok: boolean;
  /** When not ok: exactly what did not hold. */
  readonly reason?: string;
}

const OK: ExpectationOutcome = { ok: true };
const fail = (reason: string): ExpectationOutcome => ({ ok: false, reason });

/** Evaluates a step's expectation (data, stored with the plan) against one target's result. */
export function evaluateExpectation(expect: Expectation, result: CommandResult): ExpectationOutcome {
  switch (expect.type) {
    case "exit-zero":
      return result.exitCode === 0 ? OK : fail(`${describeExit(result)}, expected 0`);
    case "exit-code":
      return result.exitCode !== null && expect.codes.includes(result.exitCode)
        ? OK
        : fail(`${describeExit(result)}, expected ${expect.codes.length === 1 ? "" : "one of "}${expect.codes.join(", ")}`);
    case "stdout-includes":
      return result.stdout.includes(expect.text) ? OK : fail(`stdout does not include ${JSON.stringify(expect.text)}${tail(result.stdout)}`);
    case "stdout-excludes": {
      const line = result.stdout.split(/\r?\n/).find((l) => l.includes(expect.text));
      return line === undefined ? OK : fail(`stdout includes ${JSON.stringify(expect.text)}: ${JSON.stringify(line.trim())}`);
    }
    case "stdout-matches": {
      let re: RegExp;
      try {
        re = new RegExp(expect.pattern, expect.flags);
      } catch (error) {
        return fail(`invalid pattern /${expect.pattern}/${expect.flags ?? ""}: ${(error as Error).message}`);
      }
      return re.test(result.stdout) ? OK : fail(`stdout does not match /${expect.pattern}/${expect.flags ?? ""}${tail(result.stdout)}`);
    }
    case "stdout-empty":
      return result.stdout.trim() === "" ? OK : fail(`stdout is not empty: ${JSON.stringify(firstLines(result.stdout))}`);
    case "no-leofs-error": {
      // leofs-adm exits 0 after printing [ERROR] (reference §1): the output decides.
      const error = parseLeofsAdmError(result.stdout);
      if (error) return fail(`leofs-adm reported an error: ${error.line}`);
      if (/couldn't connect to LeoFS Manager/.test(result.stdout + result.stderr)) return fail("leofs-adm could not connect to the manager console");
      return OK;
    }
    case "no-leofs-node-errors": {
      // leo-project/leofs 1.4.4 apps/leo_manager/src/leo_manager_api.erl: output_message_to_console/3 writes
      // `<State><Ratio padded to 5> - <Node>` per node (State OK, ERROR or PENDING), and rebalance_4_loop
      // still answers `OK` when some nodes failed, so only these lines show the failure.
      const failed = [...result.stdout.matchAll(/^(ERROR|PENDING) *(\d+%) - (\S+)\s*$/gm)].map((m) => `${m[3]} (${m[1]} at ${m[2]})`);
      return failed.length === 0 ? OK : fail(`the manager answered OK but reported ${failed.length} node(s) failing: ${failed.join(", ")}`);
    }
    case "leofs-status":
      return evaluateStatusCondition(expect.condition, result.stdout);
    case "leofs-versions":
      return evaluateVersions(expect.nodes, expect.version, result.stdout);
    case "all":
      for (const inner of expect.of) {
        const outcome = evaluateExpectation(inner, result);
        if (!outcome.ok) return outcome;
      }
      return OK;
  }
}

function describeExit(result: CommandResult): string {
  return result.exitCode === null ? "the command did not exit normally (no exit code)" : `exit code ${result.exitCode}`;
}

function firstLines(text: string): string {
  const lines = text.trim().split(/\r?\n/);
  return lines.slice(0, 3).join("\n") + (lines.length > 3 ? "\n…" : "");
}

function tail(stdout: string): string {
  const trimmed = stdout.trim();
  if (trimmed === "") return " (stdout is empty)";
  const last = trimmed.split(/\r?\n/).slice(-3).join("\n");
  return `; stdout ends with ${JSON.stringify(last.length > 300 ? `…${last.slice(-300)}` : last)}`;
}

function evaluateStatusCondition(condition: LeofsStatusCondition, stdout: string): ExpectationOutcome {
  let status: LeofsStatus;
  try {
    status = parseLeofsStatus(stdout);
  } catch (error) {
    if (error instanceof ProcedureError) return fail(error.message);
    throw error;
  }
  switch (condition.kind) {
    case "nodes-in-state": {
      const problems = condition.nodes.flatMap((name) => {
        const node = status.nodes.find((n) => n.node === name);
        if (node === undefined) return [`${name} is not listed, expected ${orList(condition.states)}`];
        return condition.states.includes(node.state) ? [] : [`${name} is "${node.state}", expected ${orList(condition.states)}`];
      });
      return problems.length === 0 ? OK : fail(problems.join("; "));
    }
    case "all-in-state": {
      const nodes = status.nodes.filter((n) => condition.nodeType === "any" || n.type === condition.nodeType);
      // An empty table proves nothing: "all running" over no nodes must not pass.
      if (nodes.length === 0) return fail(`no ${typeLabel(condition.nodeType)} listed, expected them ${orList(condition.states)}`);
      const problems = nodes.filter((n) => !condition.states.includes(n.state)).map((n) => `${n.node} is "${n.state}", expected ${orList(condition.states)}`);
      return problems.length === 0 ? OK : fail(problems.join("; "));
    }
    case "node-absent": {
      const node = status.nodes.find((n) => n.node === condition.node);
      return node === undefined ? OK : fail(`${condition.node} is still listed ("${node.state}"), expected it gone`);
    }
    case "rings-consistent": {
      const { currentRingHash, previousRingHash } = status.system;
      if (currentRingHash === "") return fail("the manager has no ring hash yet (storage cluster not started)");
      if (status.nodes.length === 0) return fail("no nodes listed");
      const problems = status.nodes
        .filter((n) => n.currentRing !== currentRingHash || n.prevRing !== previousRingHash)
        .map((n) => `${n.node} ("${n.state}") has ring ${n.currentRing || "(blank)"}/${n.prevRing || "(blank)"}`);
      return problems.length === 0 ? OK : fail(`${problems.join("; ")}; the manager's is ${currentRingHash}/${previousRingHash}`);
    }
    case "operation-allowed":
      return fromPrecondition(operationAllowed(status, condition.operation, condition.node), condition.operation, condition.node);
  }
}

function operationAllowed(status: LeofsStatus, operation: "detach" | "rebalance" | "suspend" | "resume", node: string | undefined): PreconditionResult {
  if (operation === "rebalance") return canRebalance(status);
  if (node === undefined) return { ok: false, reasons: [`${operation} needs a node`] };
  if (operation === "detach") return canDetach(status, node);
  if (operation === "suspend") return canSuspend(status, node);
  return canResume(status, node);
}

function fromPrecondition(pre: PreconditionResult, operation: string, node: string | undefined): ExpectationOutcome {
  return pre.ok ? OK : fail(`cannot ${operation}${node !== undefined ? ` ${node}` : ""}: ${pre.reasons.join("; ")}`);
}

function orList(states: readonly string[]): string {
  return states.length <= 1 ? (states[0] ?? "(no state)") : `${states.slice(0, -1).join(", ")} or ${states[states.length - 1] ?? ""}`;
}

function typeLabel(type: "S" | "G" | "any"): string {
  return type === "S" ? "storage nodes" : type === "G" ? "gateways" : "nodes";
}

/**
 * `version all` asks each node itself (leo-project/leofs 1.4.4
 * apps/leo_manager/src/leo_manager_console.erl version_all/1: an rpc per node);
 * a node that cannot be asked shows an error text instead of a version.
 */
function evaluateVersions(nodes: readonly string[], version: string, stdout: string): ExpectationOutcome {
  let rows;
  try {
    rows = parseVersionAll(stdout);
  } catch (error) {
    if (error instanceof ProcedureError) return fail(error.message);
    throw error;
  }
  const wrong: string[] = [];
  for (const node of nodes) {
    const row = rows.find((r) => r.node === node);
    if (row === undefined) wrong.push(`${node} is not listed`);
    else if (row.version !== version) wrong.push(`${node} reports ${row.version}`);
  }
  return wrong.length === 0 ? OK : fail(`expected ${version} on every upgraded node: ${wrong.join("; ")}`);
}
