/**
 * The process settings read from the environment by `loadEnvConfig`.
 * Everything is validated and defaulted; paths are tilde-expanded, and the
 * SSH key paths are absolute (the inventory path stays as given, for messages).
 */

/** pino's levels, plus `silent`. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `all`: bot and workers in one process (`npm start`); `bot` and `worker` run them apart. */
export const ROLES = ["all", "bot", "worker"] as const;
export type Role = (typeof ROLES)[number];

/** What any process needs to call the Slack Web API (post and update messages). */
export interface SlackApiSettings {
  /** Bot token, `xoxb-…`. */
  readonly botToken: string;
  /** Web API base URL with a trailing slash (Bolt `clientOptions.slackApiUrl`). @defaultValue `https://slack.com/api/` */
  readonly apiUrl: string;
}

/** How the bot receives events: Socket Mode when SLACK_APP_TOKEN is set, else HTTP. */
export type SlackReceiverSettings =
  | { readonly mode: "socket"; readonly appToken: string; readonly signingSecret: string | undefined }
  | { readonly mode: "http"; readonly signingSecret: string };

/** What the bot needs: Web API access and a way to receive events. */
export interface SlackSettings extends SlackApiSettings {
  readonly receiver: SlackReceiverSettings;
}

/**
 * Redis behind Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME,
 * REDIS_SENTINEL_PASSWORD): every connection asks the sentinels for the
 * current primary, and follows it after a failover. REDIS_URL then gives only
 * the primary's user, password, database and TLS (rediss://), not its address.
 */
export interface RedisSentinelSettings {
  readonly sentinels: readonly { readonly host: string; readonly port: number }[];
  /** The master group name the sentinels monitor (`sentinel monitor <name> …`). */
  readonly name: string;
  /** The sentinels' own password (`requirepass` in sentinel.conf), if they have one. */
  readonly password?: string;
}

interface SettingsCommon {
  /** @defaultValue `redis://127.0.0.1:6379` */
  readonly redisUrl: string;
  /** Set when REDIS_SENTINELS is: connect through Sentinel (see RedisSentinelSettings). */
  readonly redisSentinel?: RedisSentinelSettings;
  /** SLACK_TEAM_ID / SLACK_APP_ID: requests for another workspace or app are refused (and logged). Unset: not checked. */
  readonly slackTeamId?: string;
  readonly slackAppId?: string;
  /** Previews and starts per user per minute, across every bot process (REQUESTS_PER_MINUTE; 0: no limit). @defaultValue 20 */
  readonly requestsPerMinute: number;
  /**
   * INTERVENE_SECRET, as bytes: approvals are sealed (HMAC) with it and
   * workers check the seals, so a record written into Redis cannot approve
   * anything. Never stored in Redis. Required when NODE_ENV=production.
   */
  readonly approvalKey: Buffer;
  /** True when INTERVENE_SECRET is unset outside production and a fixed, public development key is used. */
  readonly approvalKeyIsDevelopment: boolean;
  /** Prefix of every key, so that two deployments can share one Redis (REDIS_PREFIX). @defaultValue intervene */
  readonly redisPrefix: string;
  /**
   * REDIS_REQUIRE_NOEVICTION=true: refuse to start when Redis's
   * maxmemory-policy is not noeviction (an evicted lock lets two runs take one
   * cluster). Otherwise a loud warning. @defaultValue false
   */
  readonly redisRequireNoEviction: boolean;
  /** HTTP port for `/slack/events`, `/healthz`, `/metrics`. @defaultValue 3000 */
  readonly port: number;
  /** HOST: the address that port listens on. Unset: every interface (Slack must reach it, usually through a load balancer). */
  readonly host?: string;
  /**
   * The operations port: GET /metrics, /readyz and a detailed /healthz, kept
   * off the Slack port (OPS_PORT, OPS_HOST; 0 picks a free port).
   * @defaultValue 9464 on 127.0.0.1
   */
  readonly ops: { readonly port: number; readonly host: string };
  /**
   * Bull Board (read-only) at /admin/queues on the operations port, behind
   * basic auth (QUEUE_BOARD_USER, QUEUE_BOARD_PASSWORD). Unset: not served.
   */
  readonly queueBoard?: { readonly user: string; readonly password: string };
  /** Inventory path as configured (relative to the working directory, tilde-expanded). @defaultValue `config/inventory.yaml` */
  readonly inventoryFile: string;
  readonly ssh: {
    /** Fallback identity when the inventory sets none. @defaultValue `~/.ssh/id_ed25519` */
    readonly privateKeyFile: string;
    /** Fallback pinned host keys when the inventory sets none. @defaultValue `~/.ssh/known_hosts` */
    readonly knownHostsFile: string;
    /** Concurrent exec channels per host, across processes; sshd's MaxSessions is 10. @defaultValue 8 */
    readonly maxChannelsPerHost: number;
    /**
     * SSH_REMOTE_SHELLS: run commands in long-lived bash shells, one per
     * channel slot, rather than an SSH exec channel each (src/ssh/remote-shell-script.ts).
     * @defaultValue true
     */
    readonly remoteShells: boolean;
  };
  /** @defaultValue `info` */
  readonly logLevel: LogLevel;
  /** LOG_FORMAT: `json` lines, or `pretty` (pino-pretty) for people. Unset: pretty when stdout is a terminal, else JSON. */
  readonly logFormat?: "json" | "pretty";
  /** Step jobs one worker process runs at once. @defaultValue 8 */
  readonly workerConcurrency: number;
  readonly output: {
    /** Bytes of output stored per step (output beyond is capped). @defaultValue 1048576 (1 MiB) */
    readonly maxBytes: number;
    /** Days run records and outputs are kept in Redis. @defaultValue 30 */
    readonly ttlDays: number;
    /** Step output matching these is shown as `[redacted]`: the defaults plus `OUTPUT_SECRET_PATTERNS`. */
    readonly secretPatterns: readonly string[];
  };
  /** On SIGTERM, how long running steps may finish before the process exits. @defaultValue 30000 */
  readonly shutdownGraceMs: number;
  /**
   * CARRY_STEPS: a step's job goes on to the next step when no gate, wait or
   * backoff comes between. `off` while workers of a version before this
   * setting still run (a rolling upgrade): they would take a carried step for
   * a lost one. @defaultValue true
   */
  readonly carrySteps: boolean;
  /**
   * EVENT_DELTAS: run events carry a transition's change, not the whole run.
   * `off` while bots (or CLIs watching runs) of a version before this setting
   * still listen: they expect whole runs. @defaultValue true
   */
  readonly eventDeltas: boolean;
}

/**
 * The `all` and `bot` roles always have full Slack settings (validated at
 * load). A `worker` receives no events, so it gets only Web API settings,
 * and only when SLACK_BOT_TOKEN is set. Narrow on `role` to reach
 * `slack.receiver` without a check; `settings.slack?.botToken` works for any role.
 */
export type Settings =
  | (SettingsCommon & { readonly role: "all" | "bot"; readonly slack: SlackSettings })
  | (SettingsCommon & { readonly role: "worker"; readonly slack: SlackApiSettings | undefined });
