import type { AuditEntry } from "../jobs/store/audit-entry";
import { backupsTaken, currentRollback } from "../jobs/rollback-state";
import type { RunEvent, RunRecord, StepState } from "../jobs/run-types";

const MARK: Record<StepState, string> = {
  pending: "[ ]",
  awaiting_approval: "[?]",
  queued: "[>]",
  running: "[~]",
  succeeded: "[x]",
  failed: "[!]",
  skipped: "[-]",
  interrupted: "[#]",
  not_run: "[.]",
};

/** A run as an operator reads it in a terminal: state, the checklist of steps, what it waits for. */
export function formatRun(run: RunRecord): string {
  const lines = [
    `run ${run.id}: ${run.plan.procedureTitle} (${run.plan.procedureId}) on ${run.plan.cluster}`,
    `state ${run.state}, requested by ${run.requestedBy} at ${run.requestedAt}${run.reason !== undefined ? `\nreason: ${run.reason}` : ""}`,
  ];
  for (const step of run.plan.steps) {
    const record = run.steps[step.index];
    const state = record?.state ?? "pending";
    const flags = [step.kind, step.destructive ? "destructive" : "", record !== undefined && record.attempt > 1 ? `attempt ${record.attempt}` : ""].filter((f) => f !== "").join(", ");
    lines.push(`${MARK[state] ?? "[ ]"} ${step.index}. ${step.title} (${flags})${state !== "pending" && state !== "succeeded" ? ` - ${state}` : ""}`);
    for (const c of record?.resolvedCommands ?? []) lines.push(`      ${c.host}$ ${c.command}`);
    if (record?.error !== undefined && (state === "failed" || state === "interrupted")) lines.push(`      error: ${record.error}`);
    if (record?.skipReason !== undefined) lines.push(`      skipped: ${record.skipReason}`);
  }
  const gate = run.gate;
  if (gate?.status === "open") {
    const what = gate.stepIndex === null ? "the whole run" : `step ${gate.stepIndex}`;
    lines.push(`waiting for approval of ${what} (attempt ${gate.attempt}, ${gate.approvers.minApprovals} approval(s), expires ${gate.expiresAt})`);
  }
  const confirming = run.plan.steps[run.cursor];
  if (run.state === "awaiting_confirmation") lines.push(`waiting for confirmation of step ${run.cursor}: ${confirming?.kind === "confirm" ? confirming.prompt : ""}`);
  const rollback = currentRollback(run);
  if (rollback !== undefined && run.state !== "succeeded") lines.push(`state since step ${rollback.step.index}, and the way back by hand: ${rollback.text}`);
  for (const b of backupsTaken(run)) lines.push(`backup ${b.host}:${b.path} - ${b.what}${b.partial ? " (its step did not finish: check it)" : ""}`);
  return lines.join("\n");
}

export function formatAudit(entries: readonly AuditEntry[]): string {
  return entries
    .map((e) => `${e.at} ${e.type}${e.stepIndex !== undefined ? ` step ${e.stepIndex}` : ""}${e.attempt !== undefined ? `#${e.attempt}` : ""} by ${e.actor}${e.data !== undefined ? ` ${JSON.stringify(e.data)}` : ""}`)
    .join("\n");
}

export function formatRunLine(run: RunRecord): string {
  return `${run.id}  ${run.plan.cluster}  ${run.plan.procedureId}  ${run.state}  step ${Math.min(run.cursor, run.plan.steps.length)}/${run.plan.steps.length}  by ${run.requestedBy}  ${run.requestedAt}`;
}

export function formatEvent(event: RunEvent): string | undefined {
  switch (event.type) {
    case "step.output":
      return `${event.host}| ${event.chunk.replace(/\n$/, "").replace(/\n/g, `\n${event.host}| `)}`;
    case "step.finished": {
      const step = event.run.steps[event.stepIndex];
      return `step ${event.stepIndex} ${step?.state ?? ""}${step?.error !== undefined ? `: ${step.error}` : ""}`;
    }
    case "approval.requested":
      return `approval needed for ${event.stepIndex === null ? "the run" : `step ${event.stepIndex}`} (approvers: ${[...event.approvers.users, ...event.approvers.userGroups].join(", ")})`;
    case "run.finished":
      return `run ${event.run.state}${event.run.reason !== undefined ? `: ${event.run.reason}` : ""}`;
    default:
      return undefined;
  }
}
