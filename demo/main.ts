#!/usr/bin/env node
/**
 * `npm run demo`: intervene on a simulated cluster, driven from a local web
 * console that plays Slack. Needs Node and redis-server; no root, no sshd, no
 * Slack workspace. Ctrl-C stops everything it started.
 */
import path from "node:path";
import pino from "pino";
import { ENV_DEFAULTS } from "../src/config";
import { DemoSetupError, startDemo } from "./start-demo";

const LOG_FILE = path.resolve("intervene-demo.log");

async function main(): Promise<number> {
  const port = process.env.PORT === undefined || process.env.PORT === "" ? ENV_DEFAULTS.PORT : Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`demo: PORT must be a port number (got ${JSON.stringify(process.env.PORT)})\n`);
    return 1;
  }
  // Ctrl-C while starting: finish starting (so every pid is known), then stop; a second Ctrl-C exits at once.
  let stopRequested: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  let signals = 0;
  const onSignal = (): void => {
    if (++signals > 1) process.exit(130);
    stopRequested();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let demo;
  try {
    demo = await startDemo({
      port,
      ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
      logLevel: "info",
      logDestination: pino.destination({ dest: LOG_FILE, sync: true }),
      // People read this file: pino-pretty lines (LOG_FORMAT=json for JSON).
      prettyLogs: true,
      onProgress: (line) => process.stdout.write(`  ${line}...\n`),
    });
  } catch (error) {
    if (error instanceof DemoSetupError) {
      process.stderr.write(`demo: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  process.stdout.write(
    [
      "",
      "intervene demo is running",
      `  console    ${demo.consoleUrl}`,
      "  try        as Alice (requester), type: /leofs recover manager-slave",
      "             click Start, switch to Bob (approver), approve each step, open the thread",
      `             ${demo.dirac === undefined ? "(DIRAC setup not started: apt-get install -y runit adds it)" : "the #dirac-demo channel takes /dirac commands, e.g. /dirac help"}`,
      `  metrics    ${demo.opsUrl}/metrics    readiness ${demo.opsUrl}/readyz`,
      `  log        ${LOG_FILE}`,
      "Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
  await stopped;
  process.stdout.write("stopping: bot and workers, simulators, SSH hosts, redis-server...\n");
  await demo.stop();
  process.stdout.write("stopped.\n");
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
