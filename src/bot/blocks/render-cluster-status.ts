import type { ClusterStatusFailure, ClusterStatusResult, ConsoleAttempt, DiracClusterStatus, LeofsClusterStatus } from "../../jobs/query/cluster-status-result";
import type { RunRecord } from "../../jobs/run-types";
import type { LeofsNodeStatus, LeofsSystemStatus } from "../../procedures/parsers/parse-leofs-status";
import { BLOCK_LIMITS } from "./block-limits";
import { mrkdwn, plain, type Block, type MessagePayload } from "./block-types";
import { fitBlocks } from "./fit-blocks";
import { escapeMrkdwn, neutraliseFences, truncatePlain } from "./fit-text";
import { formatDuration } from "./format";
import { runLine } from "./render-run-list";

export interface ClusterStatusOptions {
  /** Active runs on the cluster: who holds its lock. Omitted: nothing is said about the lock. */
  readonly activeRuns?: readonly RunRecord[];
}

/** Text left for the table once the header, verdict and notes are in: under Slack's per-message ceiling. */
const TABLE_BUDGET = BLOCK_LIMITS.messageTotalText - 3000;
/** Per code block, with room for the fences. */
const CHUNK_MAX = BLOCK_LIMITS.sectionText - 100;
const NODE_WIDTH = 40;
const FLAG = "!";

/** The part before `@`, when that is enough to tell nodes apart (`storage_1`), else the whole name. */
function shortNames(names: readonly string[]): (name: string) => string {
  const short = (n: string): string => n.split("@")[0] ?? n;
  const counts = new Map<string, number>();
  for (const n of names) counts.set(short(n), (counts.get(short(n)) ?? 0) + 1);
  return (n) => ((counts.get(short(n)) ?? 0) > 1 ? n : short(n));
}

/** A live ring hash that is not the manager's (blank and detached `-1` columns say nothing about consistency). */
function ringDiffers(value: string, manager: string): boolean {
  return value !== "" && value !== "-1" && manager !== "" && value !== manager;
}

function nodeRingDiffers(n: LeofsNodeStatus, system: LeofsSystemStatus): boolean {
  return ringDiffers(n.currentRing, system.currentRingHash) || ringDiffers(n.prevRing, system.previousRingHash);
}

function joinNames(names: readonly string[], max = 5): string {
  const shown = names.slice(0, max).join(", ");
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

/** One line an operator reads first: all is well, or what is not. */
export function leofsVerdict(system: LeofsSystemStatus, nodes: readonly LeofsNodeStatus[]): { readonly ok: boolean; readonly text: string } {
  if (nodes.length === 0) return { ok: false, text: "no storage or gateway node is registered with the manager" };
  const name = shortNames(nodes.map((n) => n.node));
  const problems: string[] = [];
  if (system.currentRingHash === "") problems.push("the manager has no ring yet (`leofs-adm start` not run)");
  const byState = new Map<string, string[]>();
  for (const n of nodes) if (n.state !== "running") byState.set(n.state, [...(byState.get(n.state) ?? []), name(n.node)]);
  for (const [state, names] of byState) problems.push(`${joinNames(names)} ${names.length === 1 ? "is" : "are"} ${state}`);
  const differing = nodes.filter((n) => nodeRingDiffers(n, system));
  if (differing.length > 0) {
    const first = differing[0];
    const example = differing.length === 1 && first !== undefined ? ` (${first.currentRing || "-"}/${first.prevRing || "-"} vs ${system.currentRingHash}/${system.previousRingHash})` : "";
    problems.push(`ring of ${joinNames(differing.map((n) => name(n.node)))} differs from the manager's${example}`);
  }
  if (problems.length > 0) return { ok: false, text: problems.join("; ") };
  return { ok: true, text: `all ${nodes.length} node${nodes.length === 1 ? "" : "s"} running, rings consistent` };
}

function pad(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}\u2026` : text.padEnd(width);
}

function nodeRow(n: LeofsNodeStatus, system: LeofsSystemStatus, widths: { node: number; state: number }): string {
  const ring = `${n.currentRing || "-"}/${n.prevRing || "-"}`;
  const flag = nodeRingDiffers(n, system) ? ` ${FLAG}` : "";
  return `${n.type}  ${pad(n.node, widths.node)}  ${pad(n.state, widths.state)}  ${ring}${flag}`.trimEnd();
}

/** Rows packed into code blocks, each within a section's limit. */
function codeSections(header: string, rows: readonly string[]): Block[] {
  const blocks: Block[] = [];
  let current: string[] = [header];
  let length = header.length;
  const flush = (): void => {
    blocks.push({ type: "section", text: mrkdwn("```\n" + escapeMrkdwn(neutraliseFences(current.join("\n"))) + "\n```") });
  };
  for (const row of rows) {
    const size = escapeMrkdwn(row).length + 1;
    if (length + size > CHUNK_MAX && current.length > 0) {
      flush();
      current = [];
      length = 0;
    }
    current.push(row);
    length += size;
  }
  if (current.length > 0) flush();
  return blocks;
}

/**
 * The node table; when a huge cluster would not fit, the nodes needing a look
 * (not running, ring differs) are kept and the healthy rest counted.
 */
function leofsTable(system: LeofsSystemStatus, nodes: readonly LeofsNodeStatus[]): Block[] {
  const widths = {
    node: Math.min(NODE_WIDTH, Math.max(4, ...nodes.map((n) => n.node.length))),
    state: Math.max(5, ...nodes.map((n) => n.state.length)),
  };
  const header = `T  ${pad("node", widths.node)}  ${pad("state", widths.state)}  ring cur/prev`;
  const rows = nodes.map((n) => ({ text: nodeRow(n, system, widths), attention: n.state !== "running" || nodeRingDiffers(n, system) }));
  const total = rows.reduce((sum, r) => sum + r.text.length + 1, header.length);
  if (total <= TABLE_BUDGET) return codeSections(header, rows.map((r) => r.text));
  let room = TABLE_BUDGET - header.length - 80;
  const keep = new Set<number>();
  for (const pass of [true, false]) {
    rows.forEach((r, i) => {
      if (r.attention !== pass || keep.has(i) || r.text.length + 1 > room) return;
      keep.add(i);
      room -= r.text.length + 1;
    });
  }
  const hidden = rows.length - keep.size;
  const shown = rows.filter((_, i) => keep.has(i)).map((r) => r.text);
  return codeSections(header, [...shown, `\u2026 ${hidden} more node${hidden === 1 ? "" : "s"} not shown (running, rings consistent)`]);
}

function attemptLine(a: ConsoleAttempt): string {
  return `${a.console} console ${a.host}:${a.port}: ${a.outcome === "ok" ? "answered" : `${a.outcome.replace(/_/g, " ")} \u2014 ${a.detail}`}`;
}

function renderLeofs(result: LeofsClusterStatus): { blocks: Block[]; text: string } {
  const { system, nodes } = result.status;
  const verdict = leofsVerdict(system, nodes);
  const replicas = system.totalReplicas !== undefined ? ` \u00b7 replicas ${system.totalReplicas}` : "";
  const consistency = system.consistency !== undefined ? ` \u00b7 R/W/D ${system.consistency.r}/${system.consistency.w}/${system.consistency.d}` : "";
  const ring = system.currentRingHash === "" ? "none yet" : `\`${escapeMrkdwn(system.currentRingHash)}\` (prev \`${escapeMrkdwn(system.previousRingHash || "-")}\`)`;
  const blocks: Block[] = [
    { type: "section", text: mrkdwn(`${verdict.ok ? ":white_check_mark:" : ":warning:"} ${escapeMrkdwn(verdict.text)}`) },
    { type: "context", elements: [mrkdwn(`LeoFS ${escapeMrkdwn(system.version)} \u00b7 manager ring ${ring}${replicas}${consistency}${system.clusterId !== undefined ? ` \u00b7 ${escapeMrkdwn(system.clusterId)}` : ""}`)] },
  ];
  const answered = result.attempts[result.attempts.length - 1];
  const failed = result.attempts.filter((a) => a.outcome !== "ok");
  if (failed.length > 0 && answered !== undefined) {
    blocks.push({
      type: "context",
      elements: [mrkdwn(`:information_source: ${failed.map((a) => escapeMrkdwn(attemptLine(a))).join("; ")}; answered by the ${answered.console} console (${escapeMrkdwn(`${answered.host}:${answered.port}`)})`)],
    });
  }
  if (nodes.length > 0) blocks.push(...leofsTable(system, nodes));
  if (nodes.some((n) => nodeRingDiffers(n, system))) blocks.push({ type: "context", elements: [mrkdwn(`\`${FLAG}\` ring differs from the manager's`)] });
  return { blocks, text: verdict.text };
}

function serviceState(s: DiracClusterStatus["boxes"][number]["services"][number]): string {
  if (s.state === "unknown") return `unknown: ${s.warning ?? ""}`;
  const pid = s.pid !== undefined ? ` (pid ${s.pid})` : "";
  const notes = s.notes.length > 0 ? `, ${s.notes.join(", ")}` : "";
  return `${s.state}${pid} ${formatDuration((s.seconds ?? 0) * 1000)}${notes}`;
}

export function diracVerdict(result: DiracClusterStatus): { readonly ok: boolean; readonly text: string } {
  const problems: string[] = [];
  const unreachable = result.boxes.filter((b) => !b.ok);
  if (unreachable.length > 0) problems.push(`${joinNames(unreachable.map((b) => b.host))} could not be asked`);
  for (const box of result.boxes) {
    const notRunning = box.services.filter((s) => s.state !== "run");
    if (notRunning.length > 0) problems.push(`${box.host}: ${joinNames(notRunning.map((s) => s.service))} ${notRunning.length === 1 ? "is" : "are"} not running`);
  }
  if (problems.length > 0) return { ok: false, text: problems.join("; ") };
  const count = result.boxes.reduce((n, b) => n + b.services.length, 0);
  return { ok: true, text: `all ${count} service${count === 1 ? "" : "s"} running on ${result.boxes.length} box${result.boxes.length === 1 ? "" : "es"}` };
}

function renderDirac(result: DiracClusterStatus): { blocks: Block[]; text: string } {
  const verdict = diracVerdict(result);
  const blocks: Block[] = [{ type: "section", text: mrkdwn(`${verdict.ok ? ":white_check_mark:" : ":warning:"} ${escapeMrkdwn(verdict.text)}`) }];
  const width = Math.min(NODE_WIDTH, Math.max(7, ...result.boxes.flatMap((b) => b.services.map((s) => s.service.length))));
  for (const box of result.boxes) {
    if (!box.ok) {
      blocks.push({ type: "section", text: mrkdwn(`*${escapeMrkdwn(box.host)}*: could not be asked \u2014 ${escapeMrkdwn(box.error ?? "unknown error")}`) });
      continue;
    }
    const rows = box.services.length === 0 ? ["(no service linked in startup/)"] : box.services.map((s) => `${pad(s.service, width)}  ${serviceState(s)}`);
    blocks.push({ type: "context", elements: [mrkdwn(`*${escapeMrkdwn(box.host)}*`)] }, ...codeSections(`${pad("service", width)}  state`, rows));
  }
  return { blocks, text: verdict.text };
}

function renderFailure(result: ClusterStatusFailure): { blocks: Block[]; text: string } {
  const text = `No status for ${result.cluster}: ${result.message}`;
  const blocks: Block[] = [{ type: "section", text: mrkdwn(`:x: *No status for \`${escapeMrkdwn(result.cluster)}\`*: ${escapeMrkdwn(result.message)}`) }];
  if (result.attempts.length > 0) {
    blocks.push({ type: "section", text: mrkdwn(result.attempts.map((a) => `\u2022 ${escapeMrkdwn(attemptLine(a))}`).join("\n")) });
  }
  blocks.push({ type: "context", elements: [mrkdwn(`\`${result.code}\` \u00b7 nothing was changed on the cluster`)] });
  return { blocks, text };
}

/**
 * The answer to `/leofs status <cluster>` (and `/dirac status <setup>`): a
 * verdict line, the system summary and a compact node table in code blocks,
 * or why there is no table. Pure, and always within Block Kit limits.
 */
export function renderClusterStatus(result: ClusterStatusResult, options: ClusterStatusOptions = {}): MessagePayload {
  const body = !result.ok ? renderFailure(result) : result.kind === "leofs" ? renderLeofs(result) : renderDirac(result);
  const title = `Status of ${result.cluster}`;
  const blocks: Block[] = [{ type: "header", text: plain(truncatePlain(title, BLOCK_LIMITS.headerText)) }, ...body.blocks];
  if (options.activeRuns !== undefined) {
    const lock = options.activeRuns.length === 0 ? "Nothing is running; the cluster is not locked." : options.activeRuns.map(runLine).join("\n");
    blocks.push({ type: "context", elements: [mrkdwn(options.activeRuns.length === 0 ? escapeMrkdwn(lock) : `:lock: ${lock}`)] });
  }
  const took = result.durationMs > 0 ? ` in ${formatDuration(result.durationMs)}` : "";
  blocks.push({ type: "context", elements: [mrkdwn(`read-only query \u00b7 asked${took} at ${escapeMrkdwn(result.queriedAt.replace("T", " ").slice(0, 19))} UTC`)] });
  return { text: truncatePlain(`${title}: ${body.text}`, BLOCK_LIMITS.fallbackText), blocks: fitBlocks(blocks, "message") };
}
