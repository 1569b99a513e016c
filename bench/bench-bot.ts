import { cpuProfileArgs } from "./cpu-profile-args";
import path from "node:path";
import pino from "pino";
import { loadEnvConfig, type Inventory } from "../src/config";
import { createEngine, type EngineHandle } from "../src/jobs";
import { engineOptionsFor } from "../src/runtime/engine-options";
import { createLogger } from "../src/util/logger";
import { freePort } from "../sim/process/free-port";
import { benchPlanner } from "./bench-procedure";
import { startChild, type Child } from "./child-process";
import { EventProbe } from "./event-probe";
import { startFakeSlack, type FakeSlack } from "./fake-slack-client";

export const SIGNING_SECRET = "bench-signing-secret-0123456789abcdef";

/**
 * The bot role as production runs it (`node dist/src/main.js`, ROLE=bot, its
 * Web API pointed at the fake Slack process), plus the bench's own engine on
 * the same Redis: the bench plans and starts runs through it (a Start button
 * would do the same from the bot) and hears run events on the same pub/sub
 * channel as the bot's notifier.
 */
export interface BenchBot {
  readonly pid: number;
  readonly eventsUrl: string;
  /** The bench's engine: the bench procedure's planner, run starts, reads. */
  readonly engine: EngineHandle;
  readonly probe: EventProbe;
  readonly fake: FakeSlack;
  /** Resolves once the bot has made no Slack call for a while (its posts and updates are paced at one a second), with the time (Date.now) the last call was seen. */
  slackSettled(quietMs?: number): Promise<number>;
  close(): Promise<void>;
}

export interface BenchBotOptions {
  /** The product's entry point as JavaScript (the transpiled src/main.ts). */
  readonly entry: string;
  readonly nodePath: string;
  readonly redisUrl: string;
  readonly inventory: Inventory;
  readonly inventoryFile: string;
  readonly privateKeyFile: string;
  readonly knownHostsFile: string;
  readonly logDir: string;
  /** Node flags of the bot process, e.g. `--trace-gc`. */
  readonly nodeArgs?: readonly string[];
}

async function waitHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const health = (await (await fetch(url)).json()) as { slack?: string; events?: string };
      if (health.slack === "connected" && health.events === "subscribed") return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`bench: the bot is not connected and subscribed after ${timeoutMs} ms (${url})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startBenchBot(options: BenchBotOptions): Promise<BenchBot> {
  const fake = await startFakeSlack();
  const port = await freePort();
  // The detailed /healthz (Slack connection, event subscription) is on the operations port.
  const opsPort = await freePort();
  let bot: Child | undefined;
  try {
    bot = await startChild({
      args: [...(options.nodeArgs ?? []), ...cpuProfileArgs(), options.entry],
      cwd: options.logDir,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? "/root",
        NODE_PATH: options.nodePath,
        ROLE: "bot",
        SLACK_BOT_TOKEN: "xoxb-bench",
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: fake.apiUrl,
        REDIS_URL: options.redisUrl,
        PORT: String(port),
        HOST: "127.0.0.1",
        OPS_PORT: String(opsPort),
        // The bench sends hundreds of commands as one user: no per-user limit here.
        REQUESTS_PER_MINUTE: "0",
        INVENTORY_FILE: options.inventoryFile,
        SSH_PRIVATE_KEY_FILE: options.privateKeyFile,
        SSH_KNOWN_HOSTS_FILE: options.knownHostsFile,
        LOG_LEVEL: "info",
      },
      logFile: path.join(options.logDir, "bot.log"),
      ready: /"msg":"bot listening"/,
    });
    await waitHealthy(`http://127.0.0.1:${opsPort}/healthz`, 30_000);
  } catch (err) {
    await bot?.stop();
    await fake.stop();
    throw err;
  }

  const settings = loadEnvConfig({
    ROLE: "worker",
    REQUESTS_PER_MINUTE: "0",
    REDIS_URL: options.redisUrl,
    INVENTORY_FILE: options.inventoryFile,
    SSH_PRIVATE_KEY_FILE: options.privateKeyFile,
    SSH_KNOWN_HOSTS_FILE: options.knownHostsFile,
    LOG_LEVEL: "info",
  });
  const logger = createLogger(settings, pino.destination({ dest: path.join(options.logDir, "bench-engine.log"), sync: false }));
  const engine = createEngine({ ...engineOptionsFor(settings, options.inventory, logger), planner: benchPlanner(options.inventory) });
  const probe = new EventProbe();
  const unsubscribe = await engine.subscribe((event) => probe.see(event));
  const child = bot;
  return {
    pid: child.pid,
    eventsUrl: `http://127.0.0.1:${port}/slack/events`,
    engine,
    probe,
    fake,
    async slackSettled(quietMs = 2500) {
      const deadline = Date.now() + 180_000;
      let count = await fake.callCount();
      let quietSince = Date.now();
      let lastCallAt = Date.now();
      while (Date.now() - quietSince < quietMs) {
        if (Date.now() > deadline) throw new Error("bench: the bot kept calling Slack for 3 minutes");
        await new Promise((r) => setTimeout(r, 100));
        const now = await fake.callCount();
        if (now !== count) {
          count = now;
          quietSince = Date.now();
          lastCallAt = quietSince;
        }
      }
      return lastCallAt;
    },
    async close() {
      // The bot and the fake Slack go whatever the engine's close says (it may have given up on Redis).
      try {
        await unsubscribe();
        await engine.close();
      } finally {
        await child.stop();
        await fake.stop();
        logger.flush();
      }
    },
  };
}
