/**
 * One error vocabulary for the Slack transport (after bolt-js `src/errors.ts`):
 * a string code, readonly context, and whether trying again may help.
 */
export type BotErrorCode =
  | "command_unknown"
  | "command_ambiguous"
  | "command_invalid"
  | "cluster_unknown"
  | "cluster_ambiguous"
  | "engine_timeout"
  | "engine_unavailable"
  | "plan_changed"
  | "block_limit"
  | "slack_call_failed";

export class BotError extends Error {
  override readonly name: string = "BotError";
  constructor(
    readonly code: BotErrorCode,
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The operator typed something we cannot run; `suggestion` and `usage` say how to write it. */
export class CommandError extends BotError {
  override readonly name: string = "CommandError";
  constructor(
    code: "command_unknown" | "command_ambiguous" | "command_invalid" | "cluster_unknown" | "cluster_ambiguous",
    message: string,
    /** Full commands (with the slash) the operator probably meant, nearest first. */
    readonly suggestions: readonly string[],
    /** Usage line of the command concerned, or undefined when we could not tell which. */
    readonly usage: string | undefined,
  ) {
    super(code, message, false);
  }
}

/** An engine call from a listener took too long: Redis or the workers are probably down. */
export class EngineTimeoutError extends BotError {
  override readonly name: string = "EngineTimeoutError";
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super("engine_timeout", `the engine did not answer ${operation} within ${timeoutMs} ms`, true);
  }
}

/** A block, element or identifier exceeds a Block Kit limit that must not be truncated (ids, button values). */
export class BlockLimitError extends BotError {
  override readonly name: string = "BlockLimitError";
  constructor(
    message: string,
    readonly path: string,
  ) {
    super("block_limit", message, false);
  }
}

/** A Slack Web API call failed for good (after the retries the failure allowed). */
export class SlackCallError extends BotError {
  override readonly name: string = "SlackCallError";
  constructor(
    readonly method: string,
    message: string,
    retryable: boolean,
    options?: ErrorOptions,
  ) {
    super("slack_call_failed", message, retryable, options);
  }
}
