import type { Logger as BoltLogger } from "@slack/bolt";
import { LogLevel } from "@slack/bolt";
import type { Logger } from "pino";
import { compileSecretPatterns, DEFAULT_SECRET_PATTERNS, redactSecrets } from "../util/secret-redactor";

const SECRETS = compileSecretPatterns(DEFAULT_SECRET_PATTERNS);

/**
 * Bolt and @slack/web-api log through this; pino stays the one sink. Their
 * messages are text (pino's key-based redaction cannot see inside), so the
 * text goes through the same secret patterns as step output (issue 12
 * point 11): a debug line quoting an `Authorization: Bearer xoxb-…` header
 * or a token says `[redacted]`.
 */
export function boltLogger(logger: Logger): BoltLogger {
  const text = (msg: unknown[]): string =>
    redactSecrets(msg.map((m) => (m instanceof Error ? m.message : typeof m === "string" ? m : JSON.stringify(m))).join(" "), SECRETS);
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
