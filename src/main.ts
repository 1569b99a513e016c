#!/usr/bin/env node
/**
 * `npm start`: bot and workers (ROLE=all), or one of them (ROLE=bot|worker).
 * Reads the environment and the inventory once, fails at start with a message
 * that says what to fix, and closes gracefully on SIGTERM/SIGINT.
 */
import { ConfigError, loadDotenv, loadEnvConfig, loadInventory } from "./config";
import { createLogger } from "./util/logger";
import { startIntervene } from "./runtime/start-intervene";
import { EvictionPolicyError } from "./runtime/check-eviction-policy";

async function main(): Promise<number> {
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
  let handle;
  try {
    handle = await startIntervene({ settings, inventory, logger });
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

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`intervene: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
