import { ParseError } from "../procedure-errors";
import { isRule, outputLines, splitCells } from "./output-lines";
import { parseLeofsAdmError } from "./parse-leofs-adm-error";

/** Storage node states (reference §1 "Node states"); gateways are only running or stop. */
export const LEOFS_NODE_STATES = ["attached", "detached", "suspend", "running", "stop", "restarted"] as const;
export type LeofsNodeState = (typeof LEOFS_NODE_STATES)[number];

export interface LeofsNodeStatus {
  readonly type: "S" | "G";
  readonly node: string;
  readonly state: LeofsNodeState;
  /** "" when the node has none, and always "" before 1.4 (no rack column). */
  readonly rackId: string;
  /** "" while blanked (attached node, state just changed); "-1" for a detached node. */
  readonly currentRing: string;
  readonly prevRing: string;
  readonly updatedAt: string;
}

export interface LeofsSystemStatus {
  readonly version: string;
  readonly clusterId?: string;
  readonly dcId?: string;
  readonly totalReplicas?: number;
  readonly consistency?: { readonly r: number; readonly w: number; readonly d: number };
  /** The manager's ring hashes; "" before `leofs-adm start`. */
  readonly currentRingHash: string;
  readonly previousRingHash: string;
  /** Every `item | value` (or `item : value`) line as printed, for anything not lifted above. */
  readonly items: Readonly<Record<string, string>>;
}

export interface LeofsStatus {
  readonly system: LeofsSystemStatus;
  readonly nodes: readonly LeofsNodeStatus[];
}

const SYSTEM_HEADERS = new Set(["[System Confiuration]", "[System Configuration]", "[System config]"]);
const NODE_HEADERS = new Set(["[State of Node(s)]", "[Node(s) state]"]);

const WHAT = "leofs-adm status output";

/**
 * Parses whole-system `leofs-adm status` output: the 1.4.x layout (reference
 * §1, with its genuine "Confiuration" typo), 1.3.x (no rack column) and
 * 1.0–1.2 (`[System config]` with `key : value` lines). Throws `ParseError`
 * rather than guess: callers decide cluster actions from this.
 */
export function parseLeofsStatus(text: string): LeofsStatus {
  const admError = parseLeofsAdmError(text);
  if (admError) throw new ParseError(WHAT, `leofs-adm answered ${admError.line}`, admError.lineNumber);
  if (/couldn't connect to LeoFS Manager/.test(text)) throw new ParseError(WHAT, "leofs-adm could not connect to the manager console");

  const lines = outputLines(text);
  const systemAt = lines.findIndex((l) => SYSTEM_HEADERS.has(l.trim()));
  if (systemAt < 0) {
    throw new ParseError(WHAT, `no system header (expected one of ${[...SYSTEM_HEADERS].join(", ")}); got ${JSON.stringify(firstLine(text))}`);
  }
  const nodesAt = lines.findIndex((l, i) => i > systemAt && NODE_HEADERS.has(l.trim()));
  const system = parseSystem(lines.slice(systemAt + 1, nodesAt < 0 ? undefined : nodesAt), systemAt + 2);
  // An empty member table prints no node section at all (formatter: system_conf_with_node_stat(_, [])).
  const nodes = nodesAt < 0 ? [] : parseNodes(lines, nodesAt + 1);
  return { system, nodes };
}

function firstLine(text: string): string {
  return (text.split(/\r?\n/).find((l) => l.trim() !== "") ?? "").slice(0, 80);
}

function normalizeKey(key: string): string {
  return key.trim().toLowerCase().replace(/\s+/g, " ");
}

function parseSystem(lines: readonly string[], firstLineNumber: number): LeofsSystemStatus {
  const items: Record<string, string> = {};
  lines.forEach((line) => {
    if (line.trim() === "" || isRule(line)) return;
    // 1.4 uses `item | value`; 1.0–1.2 use `item : value`. Section titles have neither.
    const match = /^(.*?)\s[|:](?:\s(.*))?$/.exec(line);
    if (!match) return;
    const key = normalizeKey(match[1] ?? "");
    if (key === "" || key === "item") return;
    items[key] = (match[2] ?? "").trim();
  });
  const pick = (...keys: string[]): string | undefined => {
    for (const k of keys) if (items[k] !== undefined) return items[k];
    return undefined;
  };
  const num = (label: string, ...keys: string[]): number | undefined => {
    const raw = pick(...keys);
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw)) throw new ParseError(WHAT, `${label} is ${JSON.stringify(raw)}, expected a whole number`);
    return Number(raw);
  };

  const version = pick("system version");
  if (version === undefined) throw new ParseError(WHAT, "the system section has no `system version` line", firstLineNumber);
  const currentRingHash = pick("current ring-hash", "current ring hash", "ring hash (cur)");
  const previousRingHash = pick("previous ring-hash", "prev ring hash", "ring hash (prev)");
  if (currentRingHash === undefined || previousRingHash === undefined) {
    throw new ParseError(WHAT, "the system section has no manager ring-hash lines", firstLineNumber);
  }
  const r = num("number of successes of R", "number of successes of r", "# of successes of r");
  const w = num("number of successes of W", "number of successes of w", "# of successes of w");
  const d = num("number of successes of D", "number of successes of d", "# of successes of d");
  const clusterId = pick("cluster id");
  const dcId = pick("dc id");
  const totalReplicas = num("Total replicas", "total replicas");
  return {
    version,
    ...(clusterId !== undefined ? { clusterId } : {}),
    ...(dcId !== undefined ? { dcId } : {}),
    ...(totalReplicas !== undefined ? { totalReplicas } : {}),
    ...(r !== undefined && w !== undefined && d !== undefined ? { consistency: { r, w, d } } : {}),
    currentRingHash,
    previousRingHash,
    items,
  };
}

type Column = "type" | "node" | "state" | "rackId" | "currentRing" | "prevRing" | "updatedAt";

const COLUMN_NAMES: Readonly<Record<string, Column>> = {
  type: "type",
  node: "node",
  state: "state",
  "rack id": "rackId",
  "current ring": "currentRing",
  "prev ring": "prevRing",
  "updated at": "updatedAt",
};

function parseNodes(lines: readonly string[], from: number): LeofsNodeStatus[] {
  let i = from;
  while (i < lines.length && (isRule(lines[i] ?? "") || (lines[i] ?? "").trim() === "")) i++;
  const header = lines[i];
  if (header === undefined || !header.includes("|")) throw new ParseError(WHAT, "the node table has no header row", i + 1);
  const columns = splitCells(header).map((name, c) => {
    const column = COLUMN_NAMES[normalizeKey(name)];
    if (column === undefined) throw new ParseError(WHAT, `unknown node table column ${JSON.stringify(name)} (column ${c + 1})`, i + 1);
    return column;
  });
  for (const required of ["type", "node", "state", "currentRing", "prevRing"] as const) {
    if (!columns.includes(required)) throw new ParseError(WHAT, `the node table has no ${required} column`, i + 1);
  }

  const nodes: LeofsNodeStatus[] = [];
  for (i = i + 1; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line.trim() === "" || isRule(line)) continue;
    const cells = splitCells(line);
    if (cells.length !== columns.length) {
      throw new ParseError(WHAT, `node row has ${cells.length} cells, the header has ${columns.length}: ${JSON.stringify(line.trim())}`, i + 1);
    }
    const row: Partial<Record<Column, string>> = {};
    columns.forEach((column, c) => {
      row[column] = cells[c] ?? "";
    });
    const type = row.type;
    if (type !== "S" && type !== "G") throw new ParseError(WHAT, `node type ${JSON.stringify(type)} is neither S nor G`, i + 1);
    const state = row.state ?? "";
    if (!isNodeState(state)) throw new ParseError(WHAT, `node ${row.node ?? "?"} has unknown state ${JSON.stringify(state)}`, i + 1);
    nodes.push({
      type,
      node: row.node ?? "",
      state,
      rackId: row.rackId ?? "",
      currentRing: row.currentRing ?? "",
      prevRing: row.prevRing ?? "",
      updatedAt: row.updatedAt ?? "",
    });
  }
  return nodes;
}

function isNodeState(value: string): value is LeofsNodeState {
  return (LEOFS_NODE_STATES as readonly string[]).includes(value);
}
