import os from "node:os";
import pino, { type DestinationStream, type Logger } from "pino";
import PinoPretty from "pino-pretty";
import type { LogLevel, Role } from "../config/settings";

export type { Logger } from "pino";

/** Keys whose values are secrets wherever they appear (up to two levels deep, see REDACT_PATHS). */
const SECRET_KEYS = [
  "token",
  "botToken",
  "appToken",
  "signingSecret",
  "privateKey",
  "passphrase",
  "password",
  "secret",
  "authorization",
  "Authorization",
  "cookie",
  // A Redis URL may carry a password.
  "redisUrl",
] as const;

/**
 * pino paths: each secret key at the top level, one and two levels down
 * (`slack.botToken`, `req.headers.authorization`, `config.slack.token`),
 * plus the request config an HTTP client error carries. Deeper nesting is
 * not covered: log flat objects, never whole configs or clients.
 */
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
  "err.config.headers.authorization",
  "err.config.headers.Authorization",
];

export const REDACTED = "[redacted]";

export interface LoggerSettings {
  readonly logLevel: LogLevel;
  /** `pretty`: pino-pretty, for people; `json`: JSON lines. Unset: pretty when stdout is a terminal (and no destination is given). */
  readonly logFormat?: "json" | "pretty";
  /** Shown on every line so split bot and worker processes can be told apart. */
  readonly role?: Role;
}

/** The process logger. `destination` is for tests; by default pino writes JSON lines to stdout. */
export function createLogger(settings: LoggerSettings, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: settings.logLevel,
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    ...(settings.role === undefined ? {} : { base: { pid: process.pid, hostname: os.hostname(), role: settings.role } }),
  };
  const pretty = settings.logFormat === "pretty" || (settings.logFormat === undefined && destination === undefined && process.stdout.isTTY === true);
  if (pretty) {
    // In-process (not a worker-thread transport): redaction has already happened when pino-pretty formats the line.
    const colorize = destination === undefined && process.stdout.isTTY === true;
    return pino(options, PinoPretty({ colorize, translateTime: "SYS:HH:MM:ss.l", ignore: "hostname", sync: true, ...(destination !== undefined ? { destination } : {}) }));
  }
  return destination === undefined ? pino(options) : pino(options, destination);
}

export interface LogScope {
  readonly runId?: string;
  readonly step?: string | number;
  readonly host?: string;
}

/** A logger scoped to a run, a step and a host: every line carries the ids that are set. */
export function childLogger(logger: Logger, scope: LogScope): Logger {
  const bindings: Record<string, string | number> = {};
  if (scope.runId !== undefined) bindings.runId = scope.runId;
  if (scope.step !== undefined) bindings.step = scope.step;
  if (scope.host !== undefined) bindings.host = scope.host;
  return logger.child(bindings);
}
