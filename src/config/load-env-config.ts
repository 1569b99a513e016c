import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { EnvConfigError, type EnvIssue } from "./env-config-error";
import { expandTilde } from "./expand-tilde";
import { LOG_LEVELS, ROLES, type LogLevel, type Role, type Settings, type SlackReceiverSettings } from "./settings";
import { compileSecretPatterns, DEFAULT_SECRET_PATTERNS } from "../util/secret-redactor";
import { parseSentinelList } from "./parse-sentinel-list";

/** The documented defaults of the runtime contract (ARCHITECTURE.md) and engine settings. */
export const ENV_DEFAULTS = {
  SLACK_API_URL: "https://slack.com/api/",
  REDIS_URL: "redis://127.0.0.1:6379",
  PORT: 3000,
  OPS_PORT: 9464,
  REQUESTS_PER_MINUTE: 20,
  REDIS_PREFIX: "intervene",
  OPS_HOST: "127.0.0.1",
  INVENTORY_FILE: "config/inventory.yaml",
  SSH_PRIVATE_KEY_FILE: "~/.ssh/id_ed25519",
  SSH_KNOWN_HOSTS_FILE: "~/.ssh/known_hosts",
  LOG_LEVEL: "info",
  ROLE: "all",
  WORKER_CONCURRENCY: 8,
  SSH_MAX_CHANNELS_PER_HOST: 8,
  OUTPUT_MAX_BYTES: 1024 * 1024,
  OUTPUT_TTL_DAYS: 30,
  SHUTDOWN_GRACE_MS: 30_000,
  CARRY_STEPS: "on",
  EVENT_DELTAS: "on",
} as const;

/** Blank and unset mean the same: `.env` files often carry `NAME=`. */
const setting = z.preprocess(
  (value) => (typeof value === "string" && value.trim() !== "" ? value.trim() : undefined),
  z.string().optional(),
);

function integer(min: number, max: number, fallback: number) {
  return setting.transform((value, ctx) => {
    if (value === undefined) return fallback;
    const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
    ctx.addIssue({ code: "custom", message: `must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})` });
    return z.NEVER;
  });
}

/** Never echoes a secret: only a recognisable Slack prefix is shown. */
function slackToken(prefix: string) {
  return setting.transform((value, ctx) => {
    if (value === undefined || (value.startsWith(prefix) && value.length > prefix.length && !/\s/.test(value))) return value;
    const seen = /^[a-z]{4}-/.exec(value)?.[0];
    const got = seen === undefined ? "a value of another form" : `a value starting with ${JSON.stringify(seen)}`;
    ctx.addIssue({ code: "custom", message: `must start with ${prefix} (got ${got})` });
    return z.NEVER;
  });
}

function oneOf<T extends string>(values: readonly T[], fallback: T) {
  return setting.transform((value, ctx): T => {
    if (value === undefined) return fallback;
    const lower = value.toLowerCase();
    const found = values.find((v) => v === lower);
    if (found !== undefined) return found;
    ctx.addIssue({ code: "custom", message: `must be one of ${values.join(", ")} (got ${JSON.stringify(value)})` });
    return z.NEVER;
  });
}

function trueOrFalse(fallback: boolean) {
  return setting.transform((value, ctx) => {
    if (value === undefined) return fallback;
    if (value === "true" || value === "false") return value === "true";
    ctx.addIssue({ code: "custom", message: `must be true or false (got ${JSON.stringify(value)})` });
    return z.NEVER;
  });
}

function url(protocols: readonly string[], fallback: string, describe: string) {
  return setting.transform((value, ctx) => {
    const text = value ?? fallback;
    let parsed: URL | undefined;
    try {
      parsed = new URL(text);
    } catch {
      parsed = undefined;
    }
    if (parsed !== undefined && protocols.includes(parsed.protocol)) return text;
    // The URL may carry a password (REDIS_URL), so only its scheme is shown.
    const scheme = parsed === undefined ? "text that is not a URL" : `a URL with scheme ${JSON.stringify(parsed.protocol.slice(0, -1))}`;
    ctx.addIssue({ code: "custom", message: `must be ${describe} (got ${scheme})` });
    return z.NEVER;
  });
}

const envSchema = z.object({
  SLACK_BOT_TOKEN: slackToken("xoxb-"),
  SLACK_APP_TOKEN: slackToken("xapp-"),
  SLACK_TEAM_ID: setting.transform((value, ctx) => {
    if (value === undefined || /^[TE][A-Z0-9]{2,}$/.test(value)) return value;
    ctx.addIssue({ code: "custom", message: `must be a Slack team (workspace) id like T0123ABCD (got ${JSON.stringify(value)})` });
    return z.NEVER;
  }),
  SLACK_APP_ID: setting.transform((value, ctx) => {
    if (value === undefined || /^A[A-Z0-9]{2,}$/.test(value)) return value;
    ctx.addIssue({ code: "custom", message: `must be a Slack app id like A0123ABCD (got ${JSON.stringify(value)})` });
    return z.NEVER;
  }),
  SLACK_SIGNING_SECRET: setting,
  // Bolt joins method names onto this base, so it must end with a slash.
  SLACK_API_URL: url(["http:", "https:"], ENV_DEFAULTS.SLACK_API_URL, "an http:// or https:// URL").transform((u) =>
    u.endsWith("/") ? u : `${u}/`,
  ),
  REDIS_URL: url(["redis:", "rediss:"], ENV_DEFAULTS.REDIS_URL, "a redis:// or rediss:// URL"),
  REDIS_SENTINELS: setting.transform((value, ctx) => {
    if (value === undefined) return undefined;
    const parsed = parseSentinelList(value);
    if ("sentinels" in parsed) return parsed.sentinels;
    ctx.addIssue({ code: "custom", message: `must be the sentinels as host:port separated by commas, e.g. 10.0.0.1:26379,10.0.0.2:26379: ${parsed.problems.join("; ")}` });
    return z.NEVER;
  }),
  REDIS_SENTINEL_NAME: setting.transform((value, ctx) => {
    if (value === undefined || /^[A-Za-z0-9_.-]{1,128}$/.test(value)) return value;
    ctx.addIssue({ code: "custom", message: `must be the master group name the sentinels monitor (\`sentinel monitor <name> …\`): letters, digits, "_", "." or "-", e.g. mymaster (got ${JSON.stringify(value)})` });
    return z.NEVER;
  }),
  // Never echoed: it is a password.
  REDIS_SENTINEL_PASSWORD: setting,
  PORT: integer(1, 65535, ENV_DEFAULTS.PORT),
  HOST: setting,
  OPS_PORT: integer(0, 65535, ENV_DEFAULTS.OPS_PORT),
  REQUESTS_PER_MINUTE: integer(0, 100_000, ENV_DEFAULTS.REQUESTS_PER_MINUTE),
  REDIS_PREFIX: setting.transform((value, ctx) => {
    if (value === undefined) return ENV_DEFAULTS.REDIS_PREFIX;
    if (/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(value)) return value;
    ctx.addIssue({ code: "custom", message: `must be letters, digits, "_", "." or "-", up to 64, e.g. intervene-prod (got ${JSON.stringify(value)})` });
    return z.NEVER;
  }),
  REDIS_REQUIRE_NOEVICTION: trueOrFalse(false),
  OPS_HOST: setting.transform((value) => value ?? ENV_DEFAULTS.OPS_HOST),
  QUEUE_BOARD_USER: setting.transform((value, ctx) => {
    if (value === undefined || /^[^:\s]{1,64}$/.test(value)) return value;
    ctx.addIssue({ code: "custom", message: "must be a user name without spaces or \":\" (basic auth puts a colon after it), e.g. ops" });
    return z.NEVER;
  }),
  // Never echoed: it is a password.
  QUEUE_BOARD_PASSWORD: setting.transform((value, ctx) => {
    if (value === undefined || value.length >= 16) return value;
    ctx.addIssue({ code: "custom", message: `must be at least 16 characters (got ${value.length}); generate one with: openssl rand -hex 16` });
    return z.NEVER;
  }),
  INTERVENE_SECRET: setting.transform((value, ctx) => {
    if (value === undefined || value.length >= 32) return value;
    ctx.addIssue({ code: "custom", message: `must be at least 32 characters (got ${value.length}); generate one with: openssl rand -hex 32` });
    return z.NEVER;
  }),
  NODE_ENV: setting,
  INVENTORY_FILE: setting,
  SSH_PRIVATE_KEY_FILE: setting,
  SSH_KNOWN_HOSTS_FILE: setting,
  LOG_LEVEL: oneOf<LogLevel>(LOG_LEVELS, ENV_DEFAULTS.LOG_LEVEL),
  LOG_FORMAT: setting.transform((value, ctx): "json" | "pretty" | undefined => {
    if (value === undefined || value === "json" || value === "pretty") return value;
    ctx.addIssue({ code: "custom", message: `must be json or pretty (got ${JSON.stringify(value)}); unset: pretty on a terminal, JSON otherwise` });
    return z.NEVER;
  }),
  ROLE: oneOf<Role>(ROLES, ENV_DEFAULTS.ROLE),
  WORKER_CONCURRENCY: integer(1, 1000, ENV_DEFAULTS.WORKER_CONCURRENCY),
  SSH_MAX_CHANNELS_PER_HOST: integer(1, 1000, ENV_DEFAULTS.SSH_MAX_CHANNELS_PER_HOST),
  SSH_REMOTE_SHELLS: trueOrFalse(true),
  OUTPUT_MAX_BYTES: integer(1024, 1024 ** 3, ENV_DEFAULTS.OUTPUT_MAX_BYTES),
  OUTPUT_TTL_DAYS: integer(1, 3650, ENV_DEFAULTS.OUTPUT_TTL_DAYS),
  SHUTDOWN_GRACE_MS: integer(0, 3_600_000, ENV_DEFAULTS.SHUTDOWN_GRACE_MS),
  CARRY_STEPS: oneOf<"on" | "off">(["on", "off"], ENV_DEFAULTS.CARRY_STEPS),
  EVENT_DELTAS: oneOf<"on" | "off">(["on", "off"], ENV_DEFAULTS.EVENT_DELTAS),
  OUTPUT_SECRET_PATTERNS: setting.transform((value, ctx) => {
    if (value === undefined) return [];
    try {
      const list: unknown = JSON.parse(value);
      if (!Array.isArray(list) || !list.every((p) => typeof p === "string")) throw new Error("not an array of strings");
      compileSecretPatterns(list);
      return list;
    } catch (error) {
      ctx.addIssue({ code: "custom", message: `must be a JSON array of regular expressions, e.g. ["(db_pass=)\\\\S+"]: ${(error as Error).message}` });
      return z.NEVER;
    }
  }),
  HOME: setting,
});
type ParsedEnv = z.output<typeof envSchema>;

/** Where the inventory is and which SSH key files it falls back to: all `loadInventory` needs. */
export interface InventoryLocation {
  readonly inventoryFile: string;
  readonly ssh: { readonly privateKeyFile: string; readonly knownHostsFile: string };
  readonly homeDir: string;
}

/**
 * Reads and validates the whole runtime contract from `env` (process.env by
 * default; tests pass their own). Collects every problem and throws one
 * EnvConfigError listing them all.
 */
export function loadEnvConfig(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = parseEnv(env);
  const location = locate(parsed);
  const common = {
    redisUrl: parsed.REDIS_URL,
    // parseEnv has already refused REDIS_SENTINELS without REDIS_SENTINEL_NAME.
    ...(parsed.REDIS_SENTINELS !== undefined && parsed.REDIS_SENTINEL_NAME !== undefined
      ? { redisSentinel: { sentinels: parsed.REDIS_SENTINELS, name: parsed.REDIS_SENTINEL_NAME, ...(parsed.REDIS_SENTINEL_PASSWORD !== undefined ? { password: parsed.REDIS_SENTINEL_PASSWORD } : {}) } }
      : {}),
    redisPrefix: parsed.REDIS_PREFIX,
    approvalKey: Buffer.from(parsed.INTERVENE_SECRET ?? DEVELOPMENT_SECRET, "utf8"),
    approvalKeyIsDevelopment: parsed.INTERVENE_SECRET === undefined,
    requestsPerMinute: parsed.REQUESTS_PER_MINUTE,
    ...(parsed.SLACK_TEAM_ID !== undefined ? { slackTeamId: parsed.SLACK_TEAM_ID } : {}),
    ...(parsed.SLACK_APP_ID !== undefined ? { slackAppId: parsed.SLACK_APP_ID } : {}),
    redisRequireNoEviction: parsed.REDIS_REQUIRE_NOEVICTION,
    port: parsed.PORT,
    ...(parsed.HOST !== undefined ? { host: parsed.HOST } : {}),
    ops: { port: parsed.OPS_PORT, host: parsed.OPS_HOST },
    // queueBoardRequirements has already refused one without the other.
    ...(parsed.QUEUE_BOARD_USER !== undefined && parsed.QUEUE_BOARD_PASSWORD !== undefined ? { queueBoard: { user: parsed.QUEUE_BOARD_USER, password: parsed.QUEUE_BOARD_PASSWORD } } : {}),
    inventoryFile: location.inventoryFile,
    ssh: { ...location.ssh, maxChannelsPerHost: parsed.SSH_MAX_CHANNELS_PER_HOST, remoteShells: parsed.SSH_REMOTE_SHELLS },
    logLevel: parsed.LOG_LEVEL,
    ...(parsed.LOG_FORMAT !== undefined ? { logFormat: parsed.LOG_FORMAT } : {}),
    workerConcurrency: parsed.WORKER_CONCURRENCY,
    output: { maxBytes: parsed.OUTPUT_MAX_BYTES, ttlDays: parsed.OUTPUT_TTL_DAYS, secretPatterns: [...DEFAULT_SECRET_PATTERNS, ...parsed.OUTPUT_SECRET_PATTERNS] },
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS,
    carrySteps: parsed.CARRY_STEPS === "on",
    eventDeltas: parsed.EVENT_DELTAS === "on",
  };
  const botToken = parsed.SLACK_BOT_TOKEN;
  const apiUrl = parsed.SLACK_API_URL;
  if (parsed.ROLE === "worker") {
    return { ...common, role: "worker", slack: botToken === undefined ? undefined : { botToken, apiUrl } };
  }
  // parseEnv has already refused a bot role without these.
  if (botToken === undefined) throw new Error("unreachable: bot token checked by parseEnv");
  const appToken = parsed.SLACK_APP_TOKEN;
  const signingSecret = parsed.SLACK_SIGNING_SECRET;
  let receiver: SlackReceiverSettings;
  if (appToken !== undefined) receiver = { mode: "socket", appToken, signingSecret };
  else if (signingSecret !== undefined) receiver = { mode: "http", signingSecret };
  else throw new Error("unreachable: signing secret checked by parseEnv");
  return { ...common, role: parsed.ROLE, slack: { botToken, apiUrl, receiver } };
}

/**
 * Only INVENTORY_FILE, SSH_PRIVATE_KEY_FILE, SSH_KNOWN_HOSTS_FILE and HOME:
 * what `npm run config:check` needs, without requiring Slack credentials.
 */
export function inventoryLocationFromEnv(env: NodeJS.ProcessEnv = process.env): InventoryLocation {
  const pick = {
    INVENTORY_FILE: env.INVENTORY_FILE,
    SSH_PRIVATE_KEY_FILE: env.SSH_PRIVATE_KEY_FILE,
    SSH_KNOWN_HOSTS_FILE: env.SSH_KNOWN_HOSTS_FILE,
    HOME: env.HOME,
    ROLE: "worker",
  };
  return locate(parseEnv(pick));
}

function locate(parsed: ParsedEnv): InventoryLocation {
  const homeDir = parsed.HOME ?? os.homedir();
  const absolute = (file: string) => path.resolve(expandTilde(file, homeDir));
  return {
    inventoryFile: expandTilde(parsed.INVENTORY_FILE ?? ENV_DEFAULTS.INVENTORY_FILE, homeDir),
    ssh: {
      privateKeyFile: absolute(parsed.SSH_PRIVATE_KEY_FILE ?? ENV_DEFAULTS.SSH_PRIVATE_KEY_FILE),
      knownHostsFile: absolute(parsed.SSH_KNOWN_HOSTS_FILE ?? ENV_DEFAULTS.SSH_KNOWN_HOSTS_FILE),
    },
    homeDir,
  };
}

function parseEnv(env: NodeJS.ProcessEnv): ParsedEnv {
  const result = envSchema.safeParse(env);
  const issues: EnvIssue[] = (result.error?.issues ?? []).map((issue) => ({
    variable: String(issue.path[0] ?? "environment"),
    message: issue.message,
  }));
  issues.push(...slackRequirements(env), ...sentinelRequirements(env), ...queueBoardRequirements(env));
  if (issues.length > 0 || !result.success) throw new EnvConfigError(issues);
  return result.data;
}

/**
 * The key every process of a development setup shares when INTERVENE_SECRET
 * is unset. It is public (it is here), so production refuses it.
 */
const DEVELOPMENT_SECRET = "intervene-development-secret-never-use-in-production";

/** REDIS_SENTINELS and REDIS_SENTINEL_NAME go together; the others mean nothing alone. Checked on the raw values, like Slack's. */
function sentinelRequirements(env: NodeJS.ProcessEnv): EnvIssue[] {
  const isSet = (name: string) => (env[name] ?? "").trim() !== "";
  if (isSet("REDIS_SENTINELS")) {
    return isSet("REDIS_SENTINEL_NAME")
      ? []
      : [{ variable: "REDIS_SENTINEL_NAME", message: "required with REDIS_SENTINELS: the master group name the sentinels monitor (`sentinel monitor <name> …` in sentinel.conf), e.g. mymaster" }];
  }
  return ["REDIS_SENTINEL_NAME", "REDIS_SENTINEL_PASSWORD"]
    .filter(isSet)
    .map((variable) => ({ variable, message: "set, but REDIS_SENTINELS is not: set REDIS_SENTINELS (host:port of each sentinel) to connect through Sentinel, or unset this" }));
}

/** The queue board is on only with both a user and a password: a board without auth is never served. */
function queueBoardRequirements(env: NodeJS.ProcessEnv): EnvIssue[] {
  const isSet = (name: string) => (env[name] ?? "").trim() !== "";
  const [user, password] = [isSet("QUEUE_BOARD_USER"), isSet("QUEUE_BOARD_PASSWORD")];
  if (user === password) return [];
  const missing = user ? "QUEUE_BOARD_PASSWORD" : "QUEUE_BOARD_USER";
  return [{ variable: missing, message: `required with ${user ? "QUEUE_BOARD_USER" : "QUEUE_BOARD_PASSWORD"}: Bull Board at /admin/queues on the operations port needs both for its basic auth (or unset both to turn it off)` }];
}

/** Checked on the raw values so they are reported along with any format errors. */
function slackRequirements(env: NodeJS.ProcessEnv): EnvIssue[] {
  const isSet = (name: string) => (env[name] ?? "").trim() !== "";
  const secretIssue: EnvIssue[] =
    (env.NODE_ENV ?? "").trim() === "production" && !isSet("INTERVENE_SECRET")
      ? [
          {
            variable: "INTERVENE_SECRET",
            message:
              "required when NODE_ENV=production: approvals are sealed with it and workers refuse destructive steps without a valid seal. Generate one with `openssl rand -hex 32` and give the same value to every bot and worker (never store it in Redis)",
          },
        ]
      : [];
  const role = (env.ROLE ?? "").trim().toLowerCase() || ENV_DEFAULTS.ROLE;
  if (role !== "all" && role !== "bot") return secretIssue;
  const issues: EnvIssue[] = [...secretIssue];
  if (!isSet("SLACK_BOT_TOKEN")) {
    issues.push({
      variable: "SLACK_BOT_TOKEN",
      message: `required for ROLE=${role} (the bot talks to Slack); set it, or run with ROLE=worker`,
    });
  }
  if (!isSet("SLACK_APP_TOKEN") && !isSet("SLACK_SIGNING_SECRET")) {
    issues.push({
      variable: "SLACK_SIGNING_SECRET",
      message: "required in HTTP mode (SLACK_APP_TOKEN is unset); set it, or set SLACK_APP_TOKEN for Socket Mode",
    });
  }
  return issues;
}
