/**
 * The engine's refusals. The transport turns `code` into a clear (ephemeral)
 * message; `context` says which run/step/holder the refusal is about.
 * `retryable`: whether the same call may succeed later without anyone acting
 * (only a transient store conflict is).
 */
export type EngineErrorCode =
  | "LOCKED"
  | "NOT_APPROVER"
  | "SELF_APPROVAL"
  | "ALREADY_APPROVED"
  | "STALE_GATE"
  | "EXPIRED"
  | "ALREADY_DECIDED"
  | "INVALID_STATE"
  | "NOT_FOUND"
  | "PARAMS"
  | "NOT_REQUESTER"
  | "NOT_ALLOWED"
  | "RATE_LIMITED"
  | "CONFLICT"
  /** Redis refuses writes at maxmemory (noeviction): nothing was changed; an operator must free memory (issue 15 point 5). */
  | "REDIS_OUT_OF_MEMORY";

export interface EngineErrorContext {
  readonly runId?: string;
  readonly stepIndex?: number | null;
  readonly attempt?: number;
  readonly cluster?: string;
  readonly holderRunId?: string;
  readonly holderRequestedBy?: string;
  readonly state?: string;
  readonly userId?: string;
  readonly [key: string]: unknown;
}

export class EngineError extends Error {
  readonly retryable: boolean;
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly context: EngineErrorContext = {},
  ) {
    super(message);
    this.name = "EngineError";
    this.retryable = code === "CONFLICT";
  }
}

export function isEngineError(error: unknown, code?: EngineErrorCode): error is EngineError {
  return error instanceof EngineError && (code === undefined || error.code === code);
}
