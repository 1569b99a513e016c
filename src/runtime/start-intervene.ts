import { randomBytes } from "node:crypto";
import http from "node:http";
import os from "node:os";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { CustomRoute } from "@slack/bolt";
import type { Inventory, Settings } from "../config";
import { createSlackApp, type SlackAppHandle, type SlackHealth } from "../bot/create-slack-app";
import type { SlackFailure } from "../bot/notifier/slack-api";
// The API side's modules; the worker side (and with it the SSH client) is loaded on demand below.
import { createEngine, type EngineHandle } from "../jobs/create-engine";
import type { ProcedureLookup } from "../jobs/adapters/catalog-step-authority";
import { redisKeys } from "../jobs/store/redis-keys";
import type { WorkerHandle } from "../jobs/worker/start-worker";
import type { SshPool } from "../ssh";
import { botInventoryFrom } from "./bot-inventory-from";
import { engineNotifierStore } from "./engine-notifier-store";
import { redisNotifierLease } from "./redis-notifier-lease";
import { incidentReportFor } from "../report/incident-report-for";
import { timeZonesFor } from "../report/slack-time-zones";
import { openRedis } from "../jobs/store/redis-connection";
import { CloseGaveUpError, settleWithin } from "../util/settle-within";
import { engineOptionsFor } from "./engine-options";
import { InterveneMetrics } from "./metrics";
import { queueDepthReader } from "./metrics-queue-depth";
import { readinessRoute } from "./readiness";
import { openProbeRedis } from "./readiness-redis";
import { checkEvictionPolicy } from "./check-eviction-policy";
import type { QueueBoard } from "./queue-board";
import { isQueueBoardUrl } from "./queue-board-path";
import { redisConnectionFor } from "./redis-connection-for";

export interface InterveneOptions {
  readonly settings: Settings;
  readonly inventory: Inventory;
  readonly logger: Logger;
  /** Key prefix in Redis (several deployments or tests on one Redis). */
  readonly prefix?: string;
  /** More routes on the bot's HTTP port (metrics, console). */
  readonly extraRoutes?: readonly CustomRoute[];
  /** Listen address of the HTTP port (tests bind loopback only). @defaultValue settings.host (HOST), else all interfaces */
  readonly host?: string;
  /** The operations server (GET /metrics, /readyz, detailed /healthz) on settings.ops. @defaultValue true */
  readonly operations?: boolean;
  /** Where this process's worker finds the procedures it re-derives steps from. @defaultValue the catalog */
  readonly procedure?: ProcedureLookup;
  /** How long a bot's hold on a run's messages lasts without renewal; a dead bot's runs are taken over after it. @defaultValue 5000 */
  readonly notifierLeaseTtlMs?: number;
}

/**
 * Parts only some processes use, loaded when they are: a bot does not load
 * the SSH stack, and no process loads Bull Board (Express and its UI) unless
 * it is configured. Measured on 2026-12-06: requiring them added about 13 MB
 * (SSH) and 30 MB (Bull Board) to a process's RSS, and the bot's peak in the
 * bench is held against 200 MB (issue 13).
 */
const loadOnDemand = {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a require in place, so that the module loads only here
  workerRole: () => require("./start-worker-role") as typeof import("./start-worker-role"),
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
  queueBoard: () => require("./queue-board") as typeof import("./queue-board"),
};

/** How long one shutdown step may wait on Redis before it is given up (the worker's gets the grace period on top). */
const CLOSE_STEP_MS = 10_000;

export interface InterveneHandle {
  readonly engine: EngineHandle | undefined;
  readonly worker: WorkerHandle | undefined;
  readonly slack: SlackAppHandle | undefined;
  readonly pool: SshPool | undefined;
  /** What GET /metrics serves (undefined when `operations` is false). */
  readonly metrics: InterveneMetrics | undefined;
  /** `http://<OPS_HOST>:<port>` of the operations server once listening (undefined when `operations` is false). */
  readonly opsUrl: string | undefined;
  /** Stops taking work, lets running steps finish within the grace period, closes everything. */
  close(): Promise<void>;
}

/**
 * GET-only routes on their own server: a worker-only process's /healthz on
 * PORT (container health checks), and the operations server on OPS_HOST:
 * OPS_PORT (issue 12 point 9: /metrics and /readyz say what runs where, so
 * they stay off the port Slack reaches). Resolves once listening.
 */
async function startGetServer(port: number, host: string | undefined, logger: Logger, routes: readonly CustomRoute[], what: string, board?: QueueBoard): Promise<http.Server> {
  const byPath = new Map(routes.map((r) => [r.path, r.handler]));
  const server = http.createServer((req, res) => {
    // Bull Board has its own methods (its read-only API) and checks its own auth.
    const url = req.url ?? "";
    if (board !== undefined && isQueueBoardUrl(url)) return board.handle(req, res);
    const handler = req.method === "GET" ? byPath.get((req.url ?? "").split("?")[0] ?? "") : undefined;
    if (handler !== undefined) return handler(req, res);
    res.writeHead(404, { "content-type": "application/json" });
    res.end("{}");
  });
  server.on("error", (err) => logger.error({ err }, `${what} failed`));
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
    server.listen({ port, ...(host !== undefined ? { host } : {}) });
  });
  return server;
}

function jsonRoute(path: string, body: () => unknown): CustomRoute {
  return {
    path,
    method: ["GET"],
    handler: (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body()));
    },
  };
}

/** What /readyz reports for Slack before the bot has started. */
const STARTING: SlackHealth = { http: "up", slack: "connecting", events: "off" };

/**
 * Composition root: config -> engine -> workers -> bot, by role (ARCHITECTURE.md
 * "Scale-out"): `all` runs both in one process, `bot` and `worker` run apart
 * and share only Redis.
 */
export async function startIntervene(options: InterveneOptions): Promise<InterveneHandle> {
  const { settings, inventory, logger } = options;
  const prefix = options.prefix ?? settings.redisPrefix;
  const host = options.host ?? settings.host;
  await checkEvictionPolicy(settings, logger);
  const runsWorker = settings.role === "all" || settings.role === "worker";
  const engineLogger = logger.child({ component: "engine" });
  const operations = options.operations !== false;
  const metrics = operations ? new InterveneMetrics() : undefined;
  const probeRedis = operations ? openProbeRedis(redisConnectionFor(settings)) : undefined;
  const queues = probeRedis === undefined ? undefined : queueDepthReader(probeRedis, prefix);
  if (metrics !== undefined && queues !== undefined) metrics.setSources({ queues: () => queues.read() });
  const runsBot = settings.role === "all" || settings.role === "bot";
  let slackHealth: (() => SlackHealth) | undefined;
  const operationRoutes = (): CustomRoute[] =>
    metrics === undefined || probeRedis === undefined
      ? []
      : [
          metrics.route(),
          readinessRoute({ redis: probeRedis, ...(runsBot ? { slack: () => slackHealth?.() ?? STARTING } : {}) }),
          // The detailed health (bot id, Slack error text) is for operators: here, not on the Slack port.
          jsonRoute("/healthz", () => ({ role: settings.role, ...(slackHealth === undefined ? { http: "up" } : slackHealth()) })),
        ];
  let board: QueueBoard | undefined;
  let opsServer: http.Server | undefined;
  let pool: SshPool | undefined;
  let worker: WorkerHandle | undefined;
  let engine: EngineHandle | undefined;
  let slack: SlackAppHandle | undefined;
  let healthServer: http.Server | undefined;
  let unsubscribeMetrics: (() => Promise<void>) | undefined;
  let leaseRedis: Redis | undefined;

  const close = async (): Promise<void> => {
    // Order matters: stop taking Slack input, then let workers finish their steps, then drop connections.
    // Every step that talks to Redis is bounded: with Redis gone its calls wait on reconnects forever,
    // and a Ctrl-C or SIGTERM must still end the process (the demo's Ctrl-C hung on this).
    // settleWithin, not a bare race: a step given up on may still reject later, and must not do so unhandled.
    const bounded = async (what: string, ms: number, work: () => Promise<unknown>): Promise<void> => {
      const done = work().catch((err: unknown) => {
        // An inner bound gave up within this step's own: say so, as for this step's bound below.
        if (err instanceof CloseGaveUpError) logger.warn({ waitedMs: err.waitedMs, gaveUp: err.gaveUp }, `shutdown: ${what} did not finish; going on (is Redis reachable?)`);
        else logger.warn({ err: err instanceof Error ? err.message : String(err) }, `shutdown: ${what} failed`);
      });
      if (!(await settleWithin(ms, [done]))) logger.warn({ waitedMs: ms }, `shutdown: ${what} did not finish; going on (is Redis reachable?)`);
    };
    // The bot's stop flushes the notifier's last updates (spaced for Slack's rate limits): a longer bound.
    await bounded("bot stop", 3 * CLOSE_STEP_MS, async () => slack?.stop());
    await bounded("metrics unsubscribe", CLOSE_STEP_MS, async () => unsubscribeMetrics?.());
    await bounded("worker close", settings.shutdownGraceMs + CLOSE_STEP_MS, async () => worker?.close());
    await bounded("engine close", CLOSE_STEP_MS, async () => engine?.close());
    await bounded("ssh pool close", CLOSE_STEP_MS, async () => pool?.close());
    await new Promise<void>((resolve) => (healthServer ? healthServer.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (opsServer ? opsServer.close(() => resolve()) : resolve()));
    await bounded("queue close", CLOSE_STEP_MS, async () => queues?.close());
    await bounded("queue board close", CLOSE_STEP_MS, async () => board?.close());
    probeRedis?.disconnect();
    leaseRedis?.disconnect();
  };

  try {
    board = operations && settings.queueBoard !== undefined ? loadOnDemand.queueBoard().startQueueBoard(redisConnectionFor(settings), redisKeys(prefix).bullPrefix, settings.queueBoard) : undefined;
    opsServer = operations ? await startGetServer(settings.ops.port, settings.ops.host, logger, operationRoutes(), "operations server", board) : undefined;
    // A worker-only process takes its ports before it takes any step: a port in use then fails the start with no step begun.
    if (settings.role === "worker") healthServer = await startGetServer(settings.port, host, logger, [jsonRoute("/healthz", () => ({ http: "up", role: "worker" }))], "health server");
    if (runsWorker) {
      ({ pool, worker } = await loadOnDemand.workerRole().startWorkerRole(settings, inventory, engineLogger.child({ component: "worker" }), prefix, options.procedure));
      logger.info({ worker: worker.id, concurrency: settings.workerConcurrency }, "worker started");
      metrics?.setSources({ pool });
    }

    if (settings.role === "all" || settings.role === "bot") {
      engine = createEngine(engineOptionsFor(settings, inventory, engineLogger, prefix));
      // Several bot processes may run (issue 15 point 1): each run's messages are written by the lease holder only.
      leaseRedis = openRedis(redisConnectionFor(settings), `intervene-bot-lease-${process.pid}`);
      leaseRedis.on("error", (err) => logger.debug({ err }, "notifier lease redis error"));
      const botId = `bot:${os.hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
      const api = engine;
      metrics?.setSources({ activeRuns: () => api.list({ active: true, limit: 10_000 }) });
      const receiver = settings.slack.receiver;
      slack = createSlackApp({
        engine,
        inventory: botInventoryFrom(inventory),
        settings: {
          botToken: settings.slack.botToken,
          apiUrl: settings.slack.apiUrl,
          port: settings.port,
          ...(host !== undefined ? { host } : {}),
          ...(receiver.mode === "socket" ? { appToken: receiver.appToken } : {}),
          ...(receiver.signingSecret !== undefined ? { signingSecret: receiver.signingSecret } : {}),
        },
        logger: logger.child({ component: "bot" }),
        expectedIdentity: { ...(settings.slackTeamId !== undefined ? { teamId: settings.slackTeamId } : {}), ...(settings.slackAppId !== undefined ? { appId: settings.slackAppId } : {}) },
        extraRoutes: [...(options.extraRoutes ?? [])],
        notifier: {
          store: engineNotifierStore(engine),
          lease: redisNotifierLease(leaseRedis, prefix, botId, options.notifierLeaseTtlMs),
          // Issue 16 point 1: every run that ends leaves its incident report in its thread.
          // The status query behind the end snapshot waits up to 20 s for a worker.
          report: (runId, slackApi) => incidentReportFor(api, runId, { timeZone: (user) => timeZonesFor(slackApi).of(user), secretPatterns: settings.output.secretPatterns, waitForEndSnapshotMs: 25_000 }),
        },
        ...(metrics === undefined ? {} : { onSlackApiCall: (method: string, failure: SlackFailure | undefined) => metrics.slackCall(method, failure) }),
      });
      const app = slack;
      slackHealth = () => app.health();
      if (metrics !== undefined) {
        // In the background like the notifier's subscription: a Redis outage at start must not block the bot.
        api.subscribe((event) => metrics.observe(event)).then(
          (unsubscribe) => (unsubscribeMetrics = unsubscribe),
          (err: unknown) => logger.warn({ err }, "metrics: cannot subscribe to run events"),
        );
      }
      await slack.start();
      logger.info({ port: settings.port, mode: receiver.mode }, "bot listening");
    }
  } catch (err) {
    // A start that fails half-way (a port taken, Redis refusing) closes what it had opened:
    // a worker left consuming jobs, or a server left listening, would outlive the failed start.
    await close();
    throw err;
  }

  const opsAddress = opsServer?.address();
  const opsUrl = opsAddress !== undefined && opsAddress !== null && typeof opsAddress === "object" ? `http://${settings.ops.host}:${opsAddress.port}` : undefined;
  return {
    engine,
    worker,
    slack,
    pool,
    metrics,
    opsUrl,
    /** Stops taking work, lets running steps finish within the grace period, closes everything. */
    close,
  };
}
