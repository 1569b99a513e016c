/**
 * The process around `startIntervene`: reads the environment and the
 * inventory once, fails at start with a message that says what to fix, warns
 * about a development INTERVENE_SECRET, and closes gracefully on
 * SIGTERM/SIGINT. `src/main.ts` runs it as is; the bench's worker processes
 * add the bench procedure to what their workers may derive.
 */
import { ConfigError, loadDotenv, loadEnvConfig, loadInventory } from "../config";
import { createLogger } from "../util/logger";
import { startIntervene, type InterveneOptions } from "./start-intervene";
import { EvictionPolicyError } from "./check-eviction-policy";
import { heapCeilingWarning } from "./heap-ceiling";

export async function runMain(extra: Pick<InterveneOptions, "procedure"> = {}): Promise<number> {
  loadDotenv();
  let settings;
  let inventory;
  try {
    settings = loadEnvConfig();
    inventory = loadInventory(settings);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`intervene: configuration error\n${error.message}\n`);
      return 78; // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(settings);
  if (settings.approvalKeyIsDevelopment) {
    logger.warn(
      {},
      "INTERVENE_SECRET is unset: approvals are sealed with the public development key. Set INTERVENE_SECRET (openssl rand -hex 32) on every bot and worker before anything real; NODE_ENV=production refuses to start without it",
    );
  }
  const heapWarning = heapCeilingWarning();
  if (heapWarning !== undefined) logger.warn({}, heapWarning);
  let handle;
  try {
    handle = await startIntervene({ settings, inventory, logger, ...extra });
  } catch (error) {
    if (error instanceof EvictionPolicyError) {
      process.stderr.write(`intervene: ${error.message}\n`);
      return 78; // EX_CONFIG
    }
    throw error;
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal, graceMs: settings.shutdownGraceMs }, "shutting down: running steps may finish within the grace period");
      resolve();
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  await handle.close();
  return 0;
}

/** Exits the process with `main`'s code, printing an unexpected error. */
export function exitWith(main: Promise<number>): void {
  main.then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`intervene: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
