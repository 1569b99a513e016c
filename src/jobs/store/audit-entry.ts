/** One line of a run's story, in the per-run and the global audit streams. */
export type AuditType =
  | "previewed"
  | "requested"
  | "started"
  | "lock.taken"
  | "lock.released"
  | "lock.recovered"
  | "approval.requested"
  | "approved"
  | "rejected"
  | "expired"
  | "approval.closed"
  | "refused"
  | "confirmation.requested"
  | "confirmed"
  | "step.queued"
  | "step.started"
  | "step.finished"
  | "retried"
  | "skipped"
  | "interrupted"
  | "paused"
  | "abort.requested"
  | "aborted"
  | "succeeded"
  | "failed";

export interface AuditDraft {
  readonly type: AuditType;
  /** Who acted: a user id, or `engine` / `worker:<id>` for the machine. */
  readonly actor: string;
  readonly stepIndex?: number | null;
  readonly attempt?: number;
  /** Anything else worth keeping: exit codes, durations, reasons, the exact commands approved. */
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface AuditEntry extends AuditDraft {
  /** Stream entry id (time-ordered). */
  readonly id: string;
  readonly runId: string;
  readonly at: string;
}

/** Flat field list for XADD (inside Lua as a JSON array of entries). */
export function auditFields(runId: string, at: string, draft: AuditDraft): Record<string, string> {
  const fields: Record<string, string> = { type: draft.type, run: runId, actor: draft.actor, at };
  if (draft.stepIndex !== undefined && draft.stepIndex !== null) fields.step = String(draft.stepIndex);
  if (draft.attempt !== undefined) fields.attempt = String(draft.attempt);
  if (draft.data !== undefined) fields.data = JSON.stringify(draft.data);
  return fields;
}

export function parseAuditEntry(id: string, flat: readonly string[]): AuditEntry {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
  return {
    id,
    runId: f.run ?? "",
    at: f.at ?? "",
    type: (f.type ?? "refused") as AuditType,
    actor: f.actor ?? "",
    ...(f.step !== undefined ? { stepIndex: Number(f.step) } : {}),
    ...(f.attempt !== undefined ? { attempt: Number(f.attempt) } : {}),
    ...(f.data !== undefined ? { data: JSON.parse(f.data) as Record<string, unknown> } : {}),
  };
}
