/**
 * Configuration errors happen once, at start, and are fixed by a human editing
 * a file or the environment: retrying never helps, so `retryable` is false.
 */
export type ConfigErrorCode = "ENV_INVALID" | "INVENTORY_INVALID";

export abstract class ConfigError extends Error {
  abstract readonly code: ConfigErrorCode;
  readonly retryable = false;
}
