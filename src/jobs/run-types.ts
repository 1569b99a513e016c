import type { ClusterSnapshot } from "./query/cluster-snapshot";
import type { Plan } from "../procedures/model/plan";

export type RunState =
  | "planned"
  | "running"
  | "awaiting_approval"
  | "awaiting_confirmation"
  | "paused"
  | "succeeded"
  | "failed"
  | "aborted";

export type StepState =
  | "pending"
  | "awaiting_approval"
  | "queued"
  | "running"
  | "succeeded"
  | "failed"
  | "skipped"
  | "interrupted"
  /** The run ended while this step waited at its gate: it never ran, and its gate is closed. */
  | "not_run";

export const TERMINAL_RUN_STATES: readonly RunState[] = ["succeeded", "failed", "aborted"];

/** Output of one target, capped: head and tail are kept in the record, the full text (to a limit, with a TTL) apart. */
export interface TargetOutput {
  readonly host: string;
  readonly command?: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly durationMs: number;
  readonly tail: string;
  readonly truncated: boolean;
  readonly error?: string;
  /** First bytes of the output (the tail is above); additive to the contract. */
  readonly head?: string;
  /**
   * Redis key of the full output (up to OUTPUT_MAX_BYTES, expires); additive.
   * Absent when `tail` holds the whole output (no `head`): it is not stored twice.
   */
  readonly outputKey?: string;
  /** Whether this host met the step's expectation; additive (issue 15 point 6: a retry re-runs only the others). */
  readonly ok?: boolean;
  /** The attempt that produced this output (an earlier one when carried over by a retry); additive. */
  readonly attempt?: number;
  /** sha256 (hex) of the whole stored (redacted) output, for the incident report; additive. */
  readonly digest?: string;
}

export interface Decision {
  readonly userId: string;
  readonly at: string; // ISO time
  readonly decision: "approved" | "rejected";
  readonly reason?: string;
  /** The gate's attempt this decision was made on; additive. */
  readonly attempt?: number;
  /** HMAC of (run, step, attempt, plan hash, user, at, break-glass) under INTERVENE_SECRET (`approval-seal.ts`); additive. */
  readonly seal?: string;
  /** A requester's own approval in the break-glass channel, with its reason (issue 12 point 12); additive. */
  readonly breakGlass?: { readonly channel: string; readonly reason: string };
}

export interface StepRecord {
  readonly index: number;
  readonly state: StepState;
  readonly attempt: number;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly outputs: readonly TargetOutput[];
  readonly error?: string;
  /** Decisions on this step's current gate. */
  readonly approvals: readonly Decision[];
  /** Resolved captures available to later steps. */
  readonly captured?: Readonly<Record<string, readonly string[]>>;
  /** Commands with captures substituted, as approved and run. */
  readonly resolvedCommands?: readonly { readonly host: string; readonly command: string }[];
  /** Earliest time the queued job may run (wait steps, retry backoff): lets a lost delayed job be re-created; additive. */
  readonly notBefore?: string;
  /** Automatic retries used in the current attempt series (reset by an operator retry); additive. */
  readonly retriesUsed?: number;
  /** Why an operator skipped the step; additive. */
  readonly skipReason?: string;
  /**
   * The BullMQ job that runs this step right after the previous one, without
   * a job of its own (issue 13 point 2: one job per segment between gates);
   * for `attempt` only. Additive.
   */
  readonly carrier?: { readonly jobId: string; readonly attempt: number };
}

/** The run's current (or last) approval gate; only one is open at a time. Additive to the contract. */
export interface GateState {
  /** null for a per-run approval. */
  readonly stepIndex: number | null;
  readonly attempt: number;
  readonly planHash: string;
  readonly openedAt: string;
  readonly expiresAt: string;
  /** `closed`: the run ended (abort) while the gate was open. */
  readonly status: "open" | "approved" | "rejected" | "expired" | "closed";
  readonly approvers: ApproverSet;
  readonly closedAt?: string;
}

export interface RunRecord {
  readonly id: string;
  readonly version: number;
  readonly state: RunState;
  readonly plan: Plan;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** Index of the step the run is on (next to gate, queue or run). */
  readonly cursor: number;
  readonly steps: readonly StepRecord[];
  /** Set when a per-run approval policy gated the whole plan. */
  readonly runApprovals?: readonly Decision[];
  readonly abortRequested?: { readonly by: string; readonly at: string; readonly mode: "after-step" | "now"; readonly reason?: string };
  /** The cluster as read at the run's start and end (issue 16 point 2); additive. */
  readonly snapshots?: { readonly before?: ClusterSnapshot; readonly after?: ClusterSnapshot };
  readonly reason?: string; // why it failed / was aborted
  /** The current or last approval gate (additive). */
  readonly gate?: GateState;
  /** Where the bot keeps its message references (channel, ts); opaque to the engine. */
  readonly notifierState?: Readonly<Record<string, string>>;
}

/** What the notifier (Slack, console, CLI) hears; one per state change. */
export type RunEvent =
  | { readonly type: "run.created"; readonly run: RunRecord }
  | { readonly type: "run.updated"; readonly run: RunRecord }
  | { readonly type: "approval.requested"; readonly run: RunRecord; readonly stepIndex: number | null; readonly approvers: ApproverSet }
  | { readonly type: "step.output"; readonly runId: string; readonly stepIndex: number; readonly host: string; readonly chunk: string }
  | { readonly type: "step.finished"; readonly run: RunRecord; readonly stepIndex: number }
  | { readonly type: "run.finished"; readonly run: RunRecord };

export interface ApproverSet {
  readonly users: readonly string[];
  readonly userGroups: readonly string[];
  readonly minApprovals: number;
}
