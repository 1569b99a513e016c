import type { ClusterKind } from "../../procedures/model/plan";
import type { LeofsStatus } from "../../procedures/parsers/parse-leofs-status";
import type { RunitServiceStatus } from "../../procedures/parsers/parse-runsvstat";

/**
 * Why a status query gave no table. The first two are the API side's
 * (nobody or nothing answered in time); the rest are the worker's.
 */
export type StatusQueryFailureCode =
  | "no_worker"
  | "worker_slow"
  | "worker_failed"
  | "console_unreachable"
  | "host_unreachable"
  | "leofs_error"
  | "command_failed"
  | "unparsable"
  | "not_configured";

/** One try of `leofs-adm status` against one manager console. */
export interface ConsoleAttempt {
  readonly console: "master" | "slave";
  /** Inventory host the command ran on. */
  readonly host: string;
  readonly port: number;
  readonly outcome: "ok" | StatusQueryFailureCode;
  /** What went wrong, in the tool's words where possible; "" when ok. */
  readonly detail: string;
  readonly durationMs: number;
}

export interface LeofsClusterStatus {
  readonly ok: true;
  readonly kind: "leofs";
  readonly cluster: string;
  readonly status: LeofsStatus;
  /** Every console asked, in order; the last one answered. */
  readonly attempts: readonly ConsoleAttempt[];
  readonly queriedAt: string;
  readonly durationMs: number;
}

export interface DiracBoxStatus {
  readonly host: string;
  /** false when the box could not be asked or its answer not read; `error` says why. */
  readonly ok: boolean;
  readonly services: readonly RunitServiceStatus[];
  readonly error?: string;
}

export interface DiracClusterStatus {
  readonly ok: true;
  readonly kind: "dirac";
  readonly cluster: string;
  readonly boxes: readonly DiracBoxStatus[];
  readonly queriedAt: string;
  readonly durationMs: number;
}

export interface ClusterStatusFailure {
  readonly ok: false;
  /** Unknown when no worker answered (only workers read the topology). */
  readonly kind?: ClusterKind;
  readonly cluster: string;
  readonly code: StatusQueryFailureCode;
  /** One sentence for the operator: what failed and what was tried. */
  readonly message: string;
  readonly attempts: readonly ConsoleAttempt[];
  readonly queriedAt: string;
  readonly durationMs: number;
}

/** The answer of `Engine.queryStatus`: a table, or why there is none. Plain JSON (it travels through BullMQ). */
export type ClusterStatusResult = LeofsClusterStatus | DiracClusterStatus | ClusterStatusFailure;
