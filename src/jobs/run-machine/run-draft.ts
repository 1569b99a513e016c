import type { RunPolicy } from "../ports/run-policy";
import type { AuditDraft, AuditType } from "../store/audit-entry";
import type { EngineError } from "../engine-error";
import type { ApproverSet, RunRecord, RunState, StepRecord } from "../run-types";
import { TERMINAL_RUN_STATES } from "../run-types";

/** What a committed transition asks the outside world to do (after the CAS succeeded, never before). */
export type Effect =
  | { readonly type: "enqueue-step"; readonly stepIndex: number; readonly attempt: number; readonly delayMs: number }
  | { readonly type: "schedule-expiry"; readonly stepIndex: number | null; readonly attempt: number; readonly delayMs: number }
  /** Abort `now` while a step runs: tell the worker running it (pub/sub). */
  | { readonly type: "kill-step"; readonly stepIndex: number };

/** `aborted by U123: why`, from the recorded request (every path that ends an aborted run says the same). */
export function abortReason(run: RunRecord): string {
  const a = run.abortRequested;
  if (a === undefined) return "aborted";
  return `aborted by ${a.by}${a.reason !== undefined ? `: ${a.reason}` : ""}`;
}

/** Extra events beyond `run.updated`, built from the committed record. */
export type Notice =
  | { readonly type: "run.created" }
  | { readonly type: "approval.requested"; readonly stepIndex: number | null; readonly approvers: ApproverSet }
  | { readonly type: "step.finished"; readonly stepIndex: number }
  | { readonly type: "run.finished" };

export interface MachineContext {
  readonly now: Date;
  readonly policy: RunPolicy;
  /** Who causes the transition (user id, or `engine` / `worker:<id>`). */
  readonly actor: string;
  /** INTERVENE_SECRET: seals approvals so that workers can tell them from records forged in Redis. */
  readonly approvalKey?: Buffer;
  /** The actor's `via` (e.g. the CLI's OS user and host): added to the entries the actor writes. */
  readonly via?: Readonly<Record<string, string>>;
}

/**
 * A transition under construction: the next record plus what to audit, do
 * and announce. Pure: the store commits `run` with a version check and only
 * then are effects applied, so a lost race applies nothing.
 */
export class RunDraft {
  run: RunRecord;
  readonly audit: AuditDraft[] = [];
  readonly effects: Effect[] = [];
  readonly notices: Notice[] = [];
  /** A refusal to raise after committing (e.g. an approval that arrived after expiry, which also expires the gate). */
  refusal?: EngineError;

  constructor(
    readonly original: RunRecord,
    readonly ctx: MachineContext,
  ) {
    this.run = original;
  }

  get nowIso(): string {
    return this.ctx.now.toISOString();
  }

  step(index: number): StepRecord {
    const step = this.run.steps[index];
    if (step === undefined) throw new RangeError(`run ${this.run.id} has no step ${index}`);
    return step;
  }

  patch(patch: Partial<RunRecord>): void {
    this.run = { ...this.run, ...patch };
  }

  patchStep(index: number, patch: Partial<StepRecord>): void {
    const steps = this.run.steps.map((s) => (s.index === index ? { ...s, ...patch } : s));
    this.run = { ...this.run, steps };
  }

  log(type: AuditType, extra: Omit<AuditDraft, "type" | "actor"> & { actor?: string } = {}): void {
    const actor = extra.actor ?? this.ctx.actor;
    const via = this.ctx.via !== undefined && actor === this.ctx.actor ? { data: { ...extra.data, via: this.ctx.via } } : {};
    this.audit.push({ type, actor, ...extra, ...via });
  }

  /** Terminal states end the run; the store's script releases the cluster lock in the same write. */
  finish(state: RunState & ("succeeded" | "failed" | "aborted"), reason?: string, data?: Record<string, unknown>): void {
    this.closeOpenGate();
    this.patch({ state, finishedAt: this.nowIso, ...(reason !== undefined ? { reason } : {}) });
    this.log(state, { data: { ...(reason !== undefined ? { reason } : {}), ...data } });
    this.notices.push({ type: "run.finished" });
  }

  /**
   * A run that ends leaves no gate open: the gate closes and a step still
   * waiting at it becomes `not_run`, so summaries, App Home and the
   * pending-approval gauge stop counting it.
   */
  private closeOpenGate(): void {
    const gate = this.run.gate;
    for (const step of this.run.steps) if (step.state === "awaiting_approval") this.patchStep(step.index, { state: "not_run", finishedAt: this.nowIso });
    if (gate?.status === "open") {
      this.patch({ gate: { ...gate, status: "closed", closedAt: this.nowIso } });
      this.log("approval.closed", { stepIndex: gate.stepIndex, attempt: gate.attempt });
    }
  }

  pause(reason: string, stepIndex?: number): void {
    this.patch({ state: "paused", reason });
    this.log("paused", { stepIndex: stepIndex ?? null, data: { reason } });
  }

  get isTerminal(): boolean {
    return TERMINAL_RUN_STATES.includes(this.run.state);
  }

  get changed(): boolean {
    return this.run !== this.original;
  }
}
