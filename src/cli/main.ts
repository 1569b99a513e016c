#!/usr/bin/env node
/**
 * `intervene`: the run engine from a terminal. Same engine, same Redis, same
 * approvals and audit as the Slack bot. It acts as the Slack user the
 * inventory maps to the OS user running it (`cli.users`), never as someone
 * named on the command line (issue 12 point 5).
 */
import os from "node:os";
import readline from "node:readline/promises";
import pino from "pino";
import { loadDotenv, loadEnvConfig, loadInventory, type Inventory, type Settings } from "../config";
import {
  createEngine,
  EngineError,
  silentLogger,
  startWorker,
  TERMINAL_RUN_STATES,
  type Actor,
  type EngineHandle,
  type RunEvent,
  type RunRecord,
} from "../jobs";
import { destructiveCommands } from "../jobs/run-machine/new-run";
import { cliActor, CliIdentityError, type CliIdentitySource } from "./cli-identity";
import { incidentReportFor } from "../report/incident-report-for";
import { renderPlanText } from "../procedures";
import { SshPool } from "../ssh";
import { engineOptionsFor } from "../runtime/engine-options";
import { workerOptionsFor } from "../runtime/worker-options-for";
import { formatAudit, formatEvent, formatRun, formatRunLine } from "./format-run";
import { CliUsageError, parseCliArgs, USAGE, type CliCommand } from "./parse-cli-args";
import { createLogger } from "../util/logger";

interface Context {
  readonly settings: Settings;
  readonly inventory: Inventory;
  readonly prefix: string;
  readonly io: CliIo;
}

/** What the CLI takes from the machine and the terminal; tests pass their own. */
export interface CliIo extends CliIdentitySource {
  /** Asks a yes/no question on the terminal; false when nobody can answer. */
  readonly confirm: (question: string) => Promise<boolean>;
}

const terminalIo: CliIo = {
  osUser: () => os.userInfo().username,
  host: () => os.hostname(),
  async confirm(question) {
    if (!process.stdin.isTTY) return false;
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    try {
      return (await rl.question(`${question} Type yes to go on: `)).trim() === "yes";
    } finally {
      rl.close();
    }
  },
};

/** The commands an approval lets run: the step's resolved commands, or every destructive command for a per-run gate. */
function gateCommands(run: RunRecord, stepIndex: number | null): { host: string; command: string }[] {
  if (stepIndex === null) return destructiveCommands(run.plan).map((c) => ({ host: c.host, command: c.command }));
  const step = run.plan.steps[stepIndex];
  return run.steps[stepIndex]?.resolvedCommands?.slice() ?? step?.targets.flatMap((t) => (t.command !== undefined ? [{ host: t.host, command: t.command }] : [])) ?? [];
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

function openEngine(ctx: Context): EngineHandle {
  return createEngine(engineOptionsFor(ctx.settings, ctx.inventory, silentLogger, ctx.prefix));
}

/** Prints this run's events until it finishes or waits for a human. */
async function follow(engine: EngineHandle, runId: string): Promise<void> {
  await new Promise<void>((resolve) => {
    void engine
      .subscribe((event: RunEvent) => {
        const id = event.type === "step.output" ? event.runId : event.run.id;
        if (id !== runId) return;
        const line = formatEvent(event);
        if (line !== undefined) print(line);
        if (event.type !== "step.output" && (TERMINAL_RUN_STATES.includes(event.run.state) || ["paused", "awaiting_approval", "awaiting_confirmation"].includes(event.run.state))) resolve();
      })
      .then(async () => {
        const run = await engine.get(runId);
        if (run !== undefined && run.state !== "running") resolve();
      });
  });
}

async function runWorker(ctx: Context): Promise<void> {
  const { settings } = ctx;
  // The same redaction as the main process's logger (issue 12 point 11), on stderr.
  const logger = createLogger({ logLevel: settings.logLevel, role: "worker" }, pino.destination(2));
  const pool = new SshPool({ channelsPerHost: settings.ssh.maxChannelsPerHost, remoteShells: settings.ssh.remoteShells });
  const worker = await startWorker(workerOptionsFor(settings, ctx.inventory, pool, logger, ctx.prefix));
  logger.info({ worker: worker.id }, "worker started");
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      logger.info({ worker: worker.id }, "stopping: the running steps may finish within the grace period");
      // A close that gave up on Redis still ends the command; it says what it left.
      void worker.close().then(resolve, (err: unknown) => {
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, "worker close did not finish cleanly; exiting");
        resolve();
      });
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  // A step still running past the grace is left to the stalled-job path; do not wait for it.
  void pool.close();
}

async function execute(command: CliCommand, ctx: Context): Promise<void> {
  if (command.kind === "worker") return runWorker(ctx);
  const engine = openEngine(ctx);
  const actor = (): Promise<Actor> => cliActor(ctx.inventory, ctx.settings, ctx.io, pino({ level: "silent" }), (text) => process.stderr.write(`${text}\n`));
  try {
    switch (command.kind) {
      case "run": {
        const who = await actor();
        const plan = await engine.plan({ procedureId: command.procedureId, cluster: command.cluster, params: command.params }, who);
        print(renderPlanText(plan));
        if (command.dryRun) return;
        const run = await engine.start(plan, who);
        print(`\nstarted run ${run.id}`);
        if (command.follow) await follow(engine, run.id);
        print(formatRun((await engine.get(run.id)) ?? run));
        return;
      }
      case "approve":
      case "reject": {
        const who = await actor();
        const run = await engine.get(command.runId);
        if (run === undefined) throw new EngineError("NOT_FOUND", `no run ${command.runId}`, { runId: command.runId });
        const ref = { runId: run.id, stepIndex: command.stepIndex, attempt: command.attempt, planHash: run.plan.planHash };
        if (command.kind === "reject") {
          print(formatRun(await engine.reject(ref, who, command.reason)));
          return;
        }
        // What the approval lets run, in full, before it is given.
        const commands = gateCommands(run, command.stepIndex);
        const gateName = command.stepIndex === null ? "the whole run" : `step ${command.stepIndex} (${run.plan.steps[command.stepIndex]?.id ?? "?"})`;
        print(`Approving ${gateName}, attempt ${command.attempt}, of run ${run.id} (${run.plan.procedureId} on ${run.plan.cluster}, plan ${run.plan.planHash.slice(0, 12)}) as ${who.userId}. It runs:`);
        print(commands.map((c) => `  ${c.host}$ ${c.command}`).join("\n") || "  (no commands)");
        if (!command.yes && !(await ctx.io.confirm(`Approve these ${commands.length} command(s)?`))) {
          throw new CliUsageError("not approved: answer yes at the prompt, or add --yes when no terminal can answer");
        }
        print(formatRun(await engine.approve(ref, who)));
        return;
      }
      case "confirm":
        print(formatRun(await engine.confirm(command.runId, command.stepIndex, await actor())));
        return;
      case "retry":
        print(formatRun(await engine.retry(command.runId, command.stepIndex, await actor())));
        return;
      case "skip":
        print(formatRun(await engine.skip(command.runId, command.stepIndex, await actor(), command.reason)));
        return;
      case "abort":
        print(formatRun(await engine.abort(command.runId, await actor(), command.mode)));
        return;
      case "show": {
        const run = await engine.get(command.runId);
        if (run === undefined) throw new EngineError("NOT_FOUND", `no run ${command.runId}`, { runId: command.runId });
        print(formatRun(run));
        print(`\naudit:\n${formatAudit(await engine.audit(run.id))}`);
        return;
      }
      case "report": {
        // Times in UTC and in this terminal's zone, as the operator reads them.
        const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
        const report = await incidentReportFor(engine, command.runId, { timeZone: () => Promise.resolve(zone), secretPatterns: ctx.settings.output.secretPatterns });
        if (report === undefined) throw new EngineError("NOT_FOUND", `no run ${command.runId}`, { runId: command.runId });
        print(report);
        return;
      }
      case "runs": {
        const runs = await engine.list({ ...(command.cluster !== undefined ? { cluster: command.cluster } : {}), active: command.active, limit: command.limit });
        print(runs.length === 0 ? "no runs" : runs.map(formatRunLine).join("\n"));
        return;
      }
      case "help":
        print(USAGE);
        return;
    }
  } finally {
    // The command's outcome is already printed; a close that gave up on Redis must not replace it.
    await engine.close().catch((err: unknown) => process.stderr.write(`warning: ${err instanceof Error ? err.message : String(err)}\n`));
  }
}

export async function main(argv: readonly string[], io: CliIo = terminalIo): Promise<number> {
  try {
    const { command, prefix } = parseCliArgs(argv);
    if (command.kind === "help") {
      print(USAGE);
      return 0;
    }
    loadDotenv();
    // The CLI never receives Slack events: read the contract as a worker does (no Slack credentials needed).
    const settings = loadEnvConfig({ ...process.env, ROLE: "worker" });
    const inventory = loadInventory(settings);
    await execute(command, { settings, inventory, prefix: prefix ?? settings.redisPrefix, io });
    return 0;
  } catch (error) {
    if (error instanceof CliUsageError) {
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      return 64;
    }
    if (error instanceof CliIdentityError) {
      process.stderr.write(`refused: ${error.message}\n`);
      return 77; // EX_NOPERM
    }
    if (error instanceof EngineError) {
      process.stderr.write(`refused (${error.code}): ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
