import os from "node:os";
import pino, { type DestinationStream, type Logger } from "pino";
import PinoPretty from "pino-pretty";
import type { LogLevel, Role } from "../config/settings";
import { redactLogFields } from "./redact-log-fields";

export type { Logger } from "pino";

export { REDACTED } from "./redact-log-fields";

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
    // Secrets are taken out of each line's fields here, and out of a child's bindings by `child` below.
    formatters: { log: (fields) => redactLogFields(fields) },
    ...(settings.role === undefined ? {} : { base: { pid: process.pid, hostname: os.hostname(), role: settings.role } }),
  };
  const pretty = settings.logFormat === "pretty" || (settings.logFormat === undefined && destination === undefined && process.stdout.isTTY === true);
  if (pretty) {
    // In-process (not a worker-thread transport): redaction has already happened when pino-pretty formats the line.
    const colorize = destination === undefined && process.stdout.isTTY === true;
    return redactingChildren(pino(options, PinoPretty({ colorize, translateTime: "SYS:HH:MM:ss.l", ignore: "hostname", sync: true, ...(destination !== undefined ? { destination } : {}) })));
  }
  return redactingChildren(destination === undefined ? pino(options) : pino(options, destination));
}

/**
 * A child's bindings are written into every line it logs, and pino runs no
 * formatter over them (pino 10 lib/proto.js `child` resets the bindings
 * formatter before `asChindings`). So `child` is wrapped on the root: pino
 * makes each child with `Object.create(parent)`, so children and their
 * children find this same wrapper.
 */
function redactingChildren(root: Logger): Logger {
  const pinoChild = Reflect.get(root, "child") as unknown as (this: Logger, bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => Logger;
  Object.defineProperty(root, "child", {
    value: function child(this: Logger, bindings: pino.Bindings, childOptions?: pino.ChildLoggerOptions): Logger {
      return pinoChild.call(this, redactLogFields(bindings), childOptions);
    },
    writable: true,
    configurable: true,
  });
  return root;
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
