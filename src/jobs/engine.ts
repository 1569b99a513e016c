import type { AuditEntry } from "./store/audit-entry";
import type { Plan } from "../procedures/model/plan";
import type { ClusterStatusResult } from "./query/cluster-status-result";
import type { RunEvent, RunRecord } from "./run-types";

/** Who acts, as verified by the transport (Slack signature, the CLI's OS-user mapping, console user). */
export interface Actor {
  readonly userId: string;
  /** User-group ids the actor belongs to (resolved by the transport, e.g. usergroups.users.list). */
  readonly userGroups?: readonly string[];
  /** Channels the transport verified the actor is a member of (conversations.members), for `requesters.channelMembers`. */
  readonly channels?: readonly string[];
  /** How the action came in, when not through Slack: recorded on every audit entry the action writes (issue 12 point 5). */
  readonly via?: Readonly<Record<string, string>>;
}

export interface PlanRequest {
  readonly procedureId: string;
  readonly cluster: string;
  readonly params: Readonly<Record<string, unknown>>;
  /**
   * Plan as of this time (ISO) instead of now: Start re-plans with the
   * preview's time, so the hash only changes when the inventory, the
   * procedure or the parameters did. At most a day old, never in the future.
   */
  readonly plannedAt?: string;
}

/** What an Abort click carries besides who and how. */
export interface AbortRequest {
  /** Why, for the audit, the run message and the report. */
  readonly reason?: string;
  /** The step and attempt the button was shown for: refused (STALE_GATE) once the run has moved on. */
  readonly at?: { readonly stepIndex: number | null; readonly attempt: number };
}

export interface ApproveOptions {
  /** The channel the approval was given in (from the verified request) and the mandatory reason. */
  readonly breakGlass?: { readonly channel: string; readonly reason: string };
}

export interface GateRef {
  readonly runId: string;
  /** null for a per-run approval. */
  readonly stepIndex: number | null;
  readonly attempt: number;
  readonly planHash: string;
}

/**
 * The engine API used by bot/, the CLI, the local console and tests.
 * Every method re-validates authority and state; refusals throw `EngineError`
 * with a code the transport turns into a clear (ephemeral) message.
 */
export interface Engine {
  /** `actor` (optional, additive): who previewed, for the audit. */
  plan(request: PlanRequest, actor?: Actor): Promise<Plan>;
  start(plan: Plan, actor: Actor): Promise<RunRecord>;
  /** `breakGlass`: the requester approving their own gate in the cluster's break-glass channel, with a reason. */
  approve(gate: GateRef, actor: Actor, options?: ApproveOptions): Promise<RunRecord>;
  reject(gate: GateRef, actor: Actor, reason: string): Promise<RunRecord>;
  /**
   * `attempt` (buttons pass it): the decision is bound to that attempt of the
   * step; a click on a message the run has moved past is refused STALE_GATE.
   */
  confirm(runId: string, stepIndex: number, actor: Actor, attempt?: number): Promise<RunRecord>;
  retry(runId: string, stepIndex: number, actor: Actor, attempt?: number): Promise<RunRecord>;
  /** Skipping a failed check or destructive step takes an approver who is not the requester (four-eyes). */
  skip(runId: string, stepIndex: number, actor: Actor, reason: string, attempt?: number): Promise<RunRecord>;
  abort(runId: string, actor: Actor, mode: "after-step" | "now", request?: AbortRequest): Promise<RunRecord>;
  /**
   * Refuses (NOT_REQUESTER) unless `actor` may take operator decisions on the
   * run (its requester or an approver), so a button can say so before it
   * opens a form. Returns the run.
   */
  checkOperator(runId: string, actor: Actor): Promise<RunRecord>;
  /** With `readableBy`: NOT_ALLOWED unless that actor may read the run's cluster (issue 12 point 2). */
  get(runId: string, readableBy?: Actor): Promise<RunRecord | undefined>;
  /** The run's audit stream, oldest first. */
  audit(runId: string): Promise<AuditEntry[]>;
  /** With `readableBy`: only the runs of clusters that actor may read (its requesters, approvers, channel members where allowed). */
  list(filter?: { readonly cluster?: string; readonly active?: boolean; readonly limit?: number; readonly readableBy?: Actor }): Promise<readonly RunRecord[]>;
  /**
   * Read-only `leofs-adm status` (or runsvstat per DIRAC box), run by a worker:
   * no lock, no approval, no run record. Refuses (NOT_ALLOWED) who may not
   * request on the cluster; anything else (no worker, console down) is an
   * `ok: false` result saying what was tried.
   */
  queryStatus(cluster: string, actor: Actor): Promise<ClusterStatusResult>;
  /** Subscribe to run events (across processes, via Redis). Returns an unsubscribe function. */
  subscribe(listener: (event: RunEvent) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
