import type { AuditEntry } from "../jobs/store/audit-entry";
import type { RunRecord, TargetOutput } from "../jobs/run-types";
import { redactSecrets } from "../util/secret-redactor";
import { diffSnapshots, intendedNodes } from "./diff-snapshots";

export interface IncidentReportOptions {
  /** The requester's IANA time zone (Slack users.info `tz`): times are shown in UTC and in it. */
  readonly timeZone?: string;
  /** Output secret patterns (as compiled for the worker): applied to the whole report once more. */
  readonly secretPatterns?: readonly RegExp[];
  /** Lines of each host's output tail shown. @defaultValue 10 */
  readonly tailLines?: number;
}

/** Audit entries that are people's (or the engine's) decisions about the run. */
const DECISIONS = new Set(["requested", "started", "approved", "rejected", "expired", "confirmed", "retried", "skipped", "abort.requested", "aborted", "interrupted", "paused", "refused", "succeeded", "failed"]);

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
const utc = (iso: string): string => `${iso.replace("T", " ").replace(/\.\d+Z$/, "Z")}`;

/**
 * One formatter per time zone: building an `Intl.DateTimeFormat` costs far
 * more than formatting with it, and a report formats every audit entry (the
 * bench's profile: most of the bot's report time, about 3 ms per 10-step run).
 * `null`: a zone ICU does not know.
 */
const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatterFor(timeZone: string): Intl.DateTimeFormat | null {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat("en-GB", { timeZone, dateStyle: "short", timeStyle: "medium" });
    } catch {
      formatter = null;
    }
    // Zones come from Slack profiles: a few per workspace; the bound keeps a hostile stream of them harmless.
    if (formatters.size >= 256) formatters.clear();
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function local(iso: string, timeZone: string | undefined): string {
  if (timeZone === undefined) return "";
  const formatter = formatterFor(timeZone);
  if (formatter === null) return "";
  try {
    return formatter.format(new Date(iso));
  } catch {
    return "";
  }
}

function when(iso: string | undefined, timeZone: string | undefined): string {
  if (iso === undefined) return "-";
  const there = local(iso, timeZone);
  return there === "" ? utc(iso) : `${utc(iso)} (${there} ${timeZone ?? ""})`;
}

function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "-";
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Time with a gate open: from each approval request to the decision that closed it. */
function approvalWaitMs(audit: readonly AuditEntry[]): number {
  let total = 0;
  let openedAt: number | undefined;
  for (const e of audit) {
    if (e.type === "approval.requested") openedAt = Date.parse(e.at);
    else if (openedAt !== undefined && ["approved", "rejected", "expired", "approval.closed", "aborted"].includes(e.type)) {
      // An approved gate may need more approvals: only the one that queued the step closes it.
      const closes = e.type !== "approved" || (e.data?.approvals !== undefined && e.data.needed !== undefined && Number(e.data.approvals) >= Number(e.data.needed)) || e.data?.breakGlass !== undefined;
      if (closes) {
        total += Date.parse(e.at) - openedAt;
        openedAt = undefined;
      }
    }
  }
  return total;
}

function decisionDetail(e: AuditEntry): string {
  const d = e.data ?? {};
  const parts: string[] = [];
  if (typeof d.reason === "string") parts.push(`reason: ${d.reason}`);
  if (typeof d.why === "string") parts.push(d.why);
  if (typeof d.code === "string") parts.push(d.code);
  const glass = d.breakGlass as { channel?: string; reason?: string } | undefined;
  if (glass !== undefined) parts.push(`BREAK-GLASS in ${glass.channel ?? "?"}: ${glass.reason ?? ""}`);
  const via = d.via as { kind?: string; osUser?: string; host?: string } | undefined;
  if (via !== undefined) parts.push(`via ${via.kind ?? "?"} (${via.osUser ?? "?"}@${via.host ?? "?"})`);
  if (d.automatic === true) parts.push("automatic");
  if (typeof d.mode === "string") parts.push(`mode ${d.mode}`);
  return parts.join("; ");
}

function outputLines(o: TargetOutput, lines: number): string[] {
  const tail = o.tail.split("\n");
  if (tail.at(-1) === "") tail.pop();
  return tail.slice(-lines);
}

/**
 * The post-mortem record of one run (issue 16 point 1), in Markdown, from
 * the run record and its audit stream only: the same text after any restart.
 * Who asked and decided what, when; each step with host, exact command,
 * start, duration, exit code, output digest and last lines; backups taken;
 * total time and time spent waiting for approvals. Output was redacted before
 * it was stored; the report is passed through the secret patterns again.
 */
export function renderIncidentReport(run: RunRecord, audit: readonly AuditEntry[], options: IncidentReportOptions = {}): string {
  const tz = options.timeZone;
  const plan = run.plan;
  const params = Object.entries(plan.params).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  const end = run.finishedAt ?? audit.at(-1)?.at;
  const total = end !== undefined ? Date.parse(end) - Date.parse(run.requestedAt) : Number.NaN;
  const out: string[] = [
    `# Incident report: ${plan.procedureTitle} on ${plan.cluster}`,
    "",
    `- Run: \`${run.id}\`, ${run.state}${run.reason !== undefined ? ` (${run.reason})` : ""}`,
    `- Cluster: ${plan.cluster} (${plan.clusterKind})`,
    `- Procedure: \`${plan.procedureId}\`; parameters: ${params.length > 0 ? params.map((p) => `\`${p}\``).join(", ") : "none"}`,
    `- Plan hash: \`${plan.planHash}\`${plan.plannedAt !== undefined ? ` (planned ${utc(plan.plannedAt)})` : ""}`,
    `- Requested by ${run.requestedBy} at ${when(run.requestedAt, tz)}`,
    `- Started: ${when(run.startedAt, tz)}; finished: ${when(run.finishedAt, tz)}`,
    `- Total time: ${duration(total)}; waiting for approvals: ${duration(approvalWaitMs(audit))}`,
    "",
    "## Decisions",
    "",
    "| time (UTC) | who | what | step | attempt | detail |",
    "| --- | --- | --- | --- | --- | --- |",
    ...audit
      .filter((e) => DECISIONS.has(e.type))
      .map((e) => `| ${utc(e.at)} | ${cell(e.actor)} | ${e.type} | ${e.stepIndex === undefined || e.stepIndex === null ? "" : `${e.stepIndex + 1}. ${cell(plan.steps[e.stepIndex]?.id ?? "?")}`} | ${e.attempt ?? ""} | ${cell(decisionDetail(e))} |`),
    "",
    "## Steps",
  ];
  for (const step of plan.steps) {
    const record = run.steps[step.index];
    if (record === undefined) continue;
    out.push("", `### ${step.index + 1}. ${step.title} (${step.kind}${step.destructive ? ", destructive" : ""}): ${record.state}`, "");
    out.push(`- Attempts: ${record.attempt}; started ${when(record.startedAt, tz)}; finished ${when(record.finishedAt, tz)}`);
    if (record.skipReason !== undefined) out.push(`- Skipped: ${record.skipReason}`);
    if (record.error !== undefined) out.push(`- Error: ${record.error}`);
    for (const d of record.approvals) out.push(`- ${d.decision} by ${d.userId} at ${utc(d.at)}${d.breakGlass !== undefined ? ` (BREAK-GLASS in ${d.breakGlass.channel}: ${d.breakGlass.reason})` : ""}`);
    for (const o of record.outputs) {
      out.push(
        "",
        `\`${o.host}\`, attempt ${o.attempt ?? record.attempt}: exit ${o.exitCode ?? o.signal ?? "none"} in ${duration(o.durationMs)}${o.error !== undefined ? ` (${o.error})` : ""}${o.digest !== undefined ? `, output sha256 \`${o.digest}\`` : ""}`,
        "",
        "```",
        `$ ${o.command ?? "(no command)"}`,
        ...outputLines(o, options.tailLines ?? 10),
        "```",
      );
    }
  }
  const diff = diffSnapshots(run.snapshots?.before, run.snapshots?.after, plan.procedureId, intendedNodes(run));
  if (diff !== undefined) {
    out.push("", "## Cluster before and after", "");
    out.push(`Read at ${when(run.snapshots?.before?.at, tz)} and at ${when(run.snapshots?.after?.at, tz)}.`, "");
    for (const w of diff.warnings) out.push(`- **Warning:** ${w}`);
    out.push(...(diff.changes.length === 0 ? ["- No difference in nodes, states or ring hashes."] : diff.changes.map((c) => `- ${c}`)));
  }
  const taken = plan.steps.flatMap((s) => (run.steps[s.index]?.state === "succeeded" ? (s.backups ?? []) : []));
  out.push("", "## Backups", "", ...(taken.length === 0 ? ["None taken."] : taken.map((b) => `- \`${b.host}:${b.path}\`: ${b.what}`)), "");
  const text = out.join("\n");
  return options.secretPatterns === undefined ? text : redactSecrets(text, options.secretPatterns);
}
