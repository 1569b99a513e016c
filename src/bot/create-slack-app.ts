import { App, LogLevel, webApi, type CustomRoute } from "@slack/bolt";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Engine } from "../jobs/engine";
import { ackUnhandledRequests } from "./ack-unhandled-requests";
import { boltLogger } from "./bolt-logger";
import type { BotCluster } from "./commands/resolve-cluster";
import { registerActions } from "./listeners/register-actions";
import { registerCommands } from "./listeners/register-commands";
import { registerHome } from "./listeners/register-home";
import { registerViews } from "./listeners/register-views";
import type { BotContext } from "./listeners/bot-context";
import type { Clock } from "./notifier/clock";
import type { NotifierStore } from "./notifier/notifier-store";
import { createHttpSlackApi } from "./notifier/http-slack-api";
import { classifySlackError, type SlackApi, type SlackFailure } from "./notifier/slack-api";
import type { NotifierLease } from "./notifier/notifier-lease";
import { createSlackNotifier, type SlackNotifier } from "./notifier/slack-notifier";
import { MembershipResolver } from "./membership-resolver";
import { refuseForeignRequests, type ExpectedSlackIdentity } from "./refuse-foreign-requests";

export interface SlackSettings {
  /** xoxb- bot token (SLACK_BOT_TOKEN). */
  readonly botToken: string;
  /** Verifies HTTP requests (SLACK_SIGNING_SECRET); required unless Socket Mode. */
  readonly signingSecret?: string;
  /** xapp- app token (SLACK_APP_TOKEN); when set, Socket Mode is used. */
  readonly appToken?: string;
  /** Web API base URL (SLACK_API_URL). @defaultValue "https://slack.com/api/" */
  readonly apiUrl?: string;
  /** HTTP port for /slack/events, /healthz and extra routes (PORT). */
  readonly port: number;
  /** Listen address. @defaultValue all interfaces */
  readonly host?: string;
}

export interface BotInventory {
  readonly clusters: readonly BotCluster[];
}

export interface CreateSlackAppOptions {
  readonly engine: Engine;
  readonly inventory: BotInventory;
  readonly settings: SlackSettings;
  readonly logger: Logger;
  /** More HTTP routes on the same port (e.g. GET /metrics). */
  readonly extraRoutes?: readonly CustomRoute[];
  /** Longest wait on an engine call from a listener. @defaultValue 5000 */
  readonly engineTimeoutMs?: number;
  /** How long a user group's member list is trusted. @defaultValue 60000 */
  readonly userGroupCacheMs?: number;
  /** SLACK_TEAM_ID / SLACK_APP_ID: requests for another workspace or app are refused. */
  readonly expectedIdentity?: ExpectedSlackIdentity;
  /** Back-off of the background Slack connection attempts. @defaultValue { baseDelayMs: 1000, maxDelayMs: 60000 } */
  readonly connectRetry?: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  /** Hears the outcome of every Web API call the notifier and the user-group resolver make (metrics). */
  readonly onSlackApiCall?: (method: string, failure: SlackFailure | undefined) => void;
  /** Run messages: false to leave event consumption to someone else. @defaultValue enabled, in-memory store */
  readonly notifier?: false | { readonly store?: NotifierStore; readonly clock?: Clock; readonly minUpdateIntervalMs?: number; readonly minPostIntervalMs?: number; readonly lease?: NotifierLease; readonly report?: (runId: string, api: SlackApi) => Promise<string | undefined> };
}

export type SlackConnection = "connecting" | "connected" | "unreachable";

export interface SlackHealth {
  readonly http: "up";
  readonly slack: SlackConnection;
  readonly slackError?: string;
  readonly botUserId?: string;
  readonly events: "subscribed" | "subscribing" | "off";
}

export interface SlackAppHandle {
  readonly app: App;
  readonly notifier: SlackNotifier | undefined;
  /** Listens on the port at once; Slack and engine subscription connect in the background, with retries. */
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): SlackHealth;
  /** Resolves once auth.test has succeeded (tests, readiness). */
  whenConnected(): Promise<void>;
}

const DEFAULT_API_URL = "https://slack.com/api/";

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The Slack transport. Bolt is given an `authorize` function rather than the
 * token: with a token, Bolt's `authorize` stays unset until `init()`'s
 * auth.test succeeds, and every request meanwhile is acked silently. Here
 * commands are acked and answered (through response_url) even while the Web
 * API is unreachable; auth.test runs in a retry loop in the background and
 * /healthz says where it stands. `deferInitialization` + `init()` keep the
 * constructor free of network calls.
 */
export function createSlackApp(options: CreateSlackAppOptions): SlackAppHandle {
  const { settings, logger, engine } = options;
  const apiUrl = settings.apiUrl ?? DEFAULT_API_URL;
  const socketMode = settings.appToken !== undefined && settings.appToken !== "";
  if (!socketMode && (settings.signingSecret === undefined || settings.signingSecret === "")) {
    throw new Error("SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)");
  }
  const slackLogger = boltLogger(logger.child({ component: "bolt" }));
  // For auth.test at start. Our own retries (notifier) need the raw failures: no hidden retry loops, 429s surfaced.
  const apiClient = new webApi.WebClient(settings.botToken, {
    slackApiUrl: apiUrl,
    logger: slackLogger,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 15_000,
  });
  const observe = options.onSlackApiCall;
  // The bot's own calls (notifier, look-ups): a leaner client than WebClient, with the same errors (issue 13).
  const httpApi = createHttpSlackApi({ token: settings.botToken, apiUrl, timeoutMs: 15_000 });
  const api: SlackApi = {
    apiCall: async (method, args) => {
      try {
        const result = await httpApi.apiCall(method, args);
        observe?.(method, undefined);
        return result;
      } catch (err) {
        observe?.(method, classifySlackError(err));
        throw err;
      }
    },
    uploadBytes: (url, bytes) => httpApi.uploadBytes(url, bytes),
  };

  let connection: SlackConnection = "connecting";
  let connectionError: string | undefined;
  let identity: { botUserId?: string; botId?: string } = {};
  let events: SlackHealth["events"] = options.notifier === false ? "off" : "subscribing";
  let stopped = false;
  let connectedResolve: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => (connectedResolve = resolve));
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let unsubscribe: (() => Promise<void>) | undefined;
  let healthServer: Server | undefined;

  const health = (): SlackHealth => ({
    http: "up",
    slack: connection,
    ...(connectionError === undefined ? {} : { slackError: connectionError }),
    ...(identity.botUserId === undefined ? {} : { botUserId: identity.botUserId }),
    events,
  });
  const healthRoute: CustomRoute = {
    path: "/healthz",
    method: ["GET"],
    handler: (_req, res: ServerResponse) => {
      // Reachable by Slack and anyone who can reach Slack's endpoint: no bot id, no error text (issue 12 point 9).
      // The detailed health is on the operations port.
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ http: "up", slack: connection }));
    },
  };
  const routes = [healthRoute, ...(options.extraRoutes ?? [])];

  const app = new App({
    authorize: () => Promise.resolve({ botToken: settings.botToken, ...identity }),
    deferInitialization: true,
    logger: slackLogger,
    logLevel: LogLevel.INFO,
    clientOptions: { slackApiUrl: apiUrl, retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 }, timeout: 10_000 },
    ...(socketMode
      ? { socketMode: true, appToken: settings.appToken }
      : { signingSecret: settings.signingSecret, endpoints: "/slack/events", customRoutes: routes, port: settings.port }),
  });
  app.error(async (err) => {
    logger.error({ err: errorText(err) }, "slack: unhandled listener error");
    return Promise.resolve();
  });

  ackUnhandledRequests(app, logger);
  refuseForeignRequests(app, options.expectedIdentity ?? {}, logger);

  const ctx: BotContext = {
    engine,
    clusters: options.inventory.clusters,
    logger,
    engineTimeoutMs: options.engineTimeoutMs ?? 5000,
    api,
    memberships: new MembershipResolver(api, options.inventory.clusters, logger, options.userGroupCacheMs ?? 60_000),
  };
  registerCommands(app, ctx);
  registerActions(app, ctx);
  registerViews(app, ctx);
  registerHome(app, ctx);

  const notifierOptions = options.notifier === false ? undefined : (options.notifier ?? {});
  const channels = new Map(options.inventory.clusters.map((c) => [c.name, c.channel]));
  const notifier =
    notifierOptions === undefined
      ? undefined
      : createSlackNotifier({
          api,
          channelFor: (cluster) => channels.get(cluster),
          logger: logger.child({ component: "notifier" }),
          ...notifierOptions,
        });

  const retry = options.connectRetry ?? { baseDelayMs: 1000, maxDelayMs: 60_000 };
  /** Runs `attempt` until it succeeds or the app stops, backing off; never throws, never blocks start(). */
  const keepTrying = (what: string, attempt: () => Promise<void>, onFailure: (err: unknown, delayMs: number) => void): void => {
    let failures = 0;
    const run = (): void => {
      if (stopped) return;
      attempt().then(
        () => undefined,
        (err: unknown) => {
          const delay = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.min(failures++, 16));
          onFailure(err, delay);
          if (stopped) return;
          const timer = setTimeout(() => {
            timers.delete(timer);
            run();
          }, delay);
          timers.add(timer);
        },
      );
    };
    logger.debug({ what }, "slack: starting background attempts");
    run();
  };

  const connectSlack = async (): Promise<void> => {
    const result = await apiClient.auth.test();
    identity = {
      ...(typeof result.user_id === "string" ? { botUserId: result.user_id } : {}),
      ...(typeof result.bot_id === "string" ? { botId: result.bot_id } : {}),
    };
    connection = "connected";
    connectionError = undefined;
    logger.info({ botUserId: identity.botUserId, apiUrl }, "slack: connected");
    connectedResolve();
    if (socketMode) await app.start();
  };

  const subscribeEvents = async (): Promise<void> => {
    if (notifier === undefined) return;
    unsubscribe = await engine.subscribe((event) => notifier.handle(event));
    events = "subscribed";
    logger.info("slack: run events subscribed");
  };

  const listenHealthOnly = (): Promise<void> =>
    new Promise((resolve, reject) => {
      // Socket Mode has no HTTP receiver: /healthz and extra routes get a small server of their own.
      const byPath = new Map(routes.map((r) => [r.path, r.handler]));
      healthServer = createServer((req, res) => {
        const handler = byPath.get((req.url ?? "").split("?")[0] ?? "");
        if (handler !== undefined && req.method === "GET") handler(req, res);
        else {
          res.writeHead(404);
          res.end();
        }
      });
      healthServer.once("error", reject);
      healthServer.listen({ port: settings.port, host: settings.host }, () => resolve());
    });

  return {
    app,
    notifier,
    health,
    whenConnected: () => connected,
    async start(): Promise<void> {
      await app.init();
      if (socketMode) await listenHealthOnly();
      else await app.start({ port: settings.port, ...(settings.host === undefined ? {} : { host: settings.host }) });
      keepTrying("auth.test", connectSlack, (err, delayMs) => {
        connection = "unreachable";
        connectionError = errorText(err);
        logger.error({ apiUrl, err: connectionError, retryInMs: delayMs }, `slack: cannot reach the Web API at ${apiUrl} (${connectionError}); commands are still acked, retrying in ${Math.round(delayMs / 1000)}s`);
      });
      keepTrying("engine.subscribe", subscribeEvents, (err, delayMs) => {
        logger.error({ err: errorText(err), retryInMs: delayMs }, "slack: cannot subscribe to run events (is Redis up?); retrying");
      });
    },
    async stop(): Promise<void> {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      if (unsubscribe !== undefined) await unsubscribe().catch((err: unknown) => logger.warn({ err: errorText(err) }, "slack: unsubscribe failed"));
      if (notifier !== undefined) await notifier.close();
      if (healthServer !== undefined) await new Promise<void>((resolve) => healthServer?.close(() => resolve()));
      await app.stop().catch((err: unknown) => logger.warn({ err: errorText(err) }, "slack: stop failed"));
    },
  };
}
