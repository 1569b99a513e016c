import type { Logger as BoltLogger } from "@slack/bolt";
import { LogLevel } from "@slack/bolt";
import type { Logger } from "pino";

/** Bolt and @slack/web-api log through this; pino stays the one sink. */
export function boltLogger(logger: Logger): BoltLogger {
  const text = (msg: unknown[]): string => msg.map((m) => (m instanceof Error ? m.message : typeof m === "string" ? m : JSON.stringify(m))).join(" ");
  return {
    debug: (...msg: unknown[]) => logger.debug(text(msg)),
    info: (...msg: unknown[]) => logger.info(text(msg)),
    warn: (...msg: unknown[]) => logger.warn(text(msg)),
    error: (...msg: unknown[]) => logger.error(text(msg)),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}
