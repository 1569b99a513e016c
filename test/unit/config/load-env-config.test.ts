import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { EnvConfigError, ENV_DEFAULTS, inventoryLocationFromEnv, loadDotenv, loadEnvConfig, type Settings } from "../../../src/config";
import { DEFAULT_SECRET_PATTERNS } from "../../../src/util/secret-redactor";

// Short fake tokens: long xoxb-/xapp- strings look like real credentials to the repo's scanners.
const BOT_TOKEN = "xoxb-test";
const APP_TOKEN = "xapp-test";
const HOME = "/home/operator";

/** The smallest environment a bot in HTTP mode starts with. */
const httpBot = { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: "signing-secret", HOME };

function envError(env: NodeJS.ProcessEnv): EnvConfigError {
  try {
    loadEnvConfig(env);
  } catch (error) {
    if (error instanceof EnvConfigError) return error;
    throw error;
  }
  throw new Error("expected loadEnvConfig to throw");
}

describe("loadEnvConfig: the runtime contract", () => {
  it("applies every documented default when only the Slack credentials are set", () => {
    const expected: Settings = {
      role: "all",
      slack: {
        botToken: BOT_TOKEN,
        apiUrl: "https://slack.com/api/",
        receiver: { mode: "http", signingSecret: "signing-secret" },
      },
      redisUrl: "redis://127.0.0.1:6379",
      redisPrefix: "intervene",
      // Outside production an unset INTERVENE_SECRET falls back to a public development key, flagged.
      approvalKey: Buffer.from("intervene-development-secret-never-use-in-production"),
      approvalKeyIsDevelopment: true,
      redisRequireNoEviction: false,
      requestsPerMinute: 20,
      port: 3000,
      ops: { port: 9464, host: "127.0.0.1" },
      inventoryFile: "config/inventory.yaml",
      ssh: {
        privateKeyFile: "/home/operator/.ssh/id_ed25519",
        knownHostsFile: "/home/operator/.ssh/known_hosts",
        maxChannelsPerHost: 8,
        remoteShells: true,
      },
      logLevel: "info",
      workerConcurrency: 8,
      output: { maxBytes: 1024 * 1024, ttlDays: 30, secretPatterns: DEFAULT_SECRET_PATTERNS },
      shutdownGraceMs: 30_000,
      carrySteps: true,
      eventDeltas: true,
    };
    expect(loadEnvConfig(httpBot)).toEqual(expected);
  });

  it("adds OUTPUT_SECRET_PATTERNS (a JSON array of regular expressions) to the default secret patterns, and refuses a bad one saying how to write it", () => {
    const withExtra = loadEnvConfig({ ...httpBot, OUTPUT_SECRET_PATTERNS: '["(db_pass=)\\\\S+"]' });
    expect(withExtra.output.secretPatterns).toEqual([...DEFAULT_SECRET_PATTERNS, "(db_pass=)\\S+"]);
    expect(() => loadEnvConfig({ ...httpBot, OUTPUT_SECRET_PATTERNS: '["(unclosed"]' })).toThrow(/OUTPUT_SECRET_PATTERNS: must be a JSON array of regular expressions/);
    expect(() => loadEnvConfig({ ...httpBot, OUTPUT_SECRET_PATTERNS: "password" })).toThrow(/OUTPUT_SECRET_PATTERNS/);
  });

  it("REDIS_PREFIX lets two deployments share a Redis; REDIS_REQUIRE_NOEVICTION is true or false (issue 12 point 4)", () => {
    expect(loadEnvConfig({ ...httpBot, REDIS_PREFIX: "intervene-prod", REDIS_REQUIRE_NOEVICTION: "true" })).toMatchObject({ redisPrefix: "intervene-prod", redisRequireNoEviction: true });
    expect(() => loadEnvConfig({ ...httpBot, REDIS_PREFIX: "a b" })).toThrow(/REDIS_PREFIX: must be letters, digits/);
    expect(() => loadEnvConfig({ ...httpBot, REDIS_REQUIRE_NOEVICTION: "yes" })).toThrow(/REDIS_REQUIRE_NOEVICTION: must be true or false/);
  });

  it("SLACK_TEAM_ID and SLACK_APP_ID are checked for shape (issue 12 point 10)", () => {
    expect(loadEnvConfig({ ...httpBot, SLACK_TEAM_ID: "T0123ABCD", SLACK_APP_ID: "A0123ABCD" })).toMatchObject({ slackTeamId: "T0123ABCD", slackAppId: "A0123ABCD" });
    expect(loadEnvConfig(httpBot).slackTeamId).toBeUndefined();
    expect(() => loadEnvConfig({ ...httpBot, SLACK_TEAM_ID: "workspace" })).toThrow(/SLACK_TEAM_ID: must be a Slack team \(workspace\) id like T0123ABCD/);
    expect(() => loadEnvConfig({ ...httpBot, SLACK_APP_ID: "T0123" })).toThrow(/SLACK_APP_ID: must be a Slack app id/);
  });

  it("INTERVENE_SECRET is required in production, at least 32 characters, and never echoed (issue 12 point 3)", () => {
    const secret = "0123456789abcdef0123456789abcdef";
    expect(loadEnvConfig({ ...httpBot, INTERVENE_SECRET: secret })).toMatchObject({ approvalKey: Buffer.from(secret), approvalKeyIsDevelopment: false });
    expect(() => loadEnvConfig({ ...httpBot, NODE_ENV: "production" })).toThrow(/INTERVENE_SECRET: required when NODE_ENV=production: .*openssl rand -hex 32/);
    expect(() => loadEnvConfig({ ROLE: "worker", NODE_ENV: "production" })).toThrow(/INTERVENE_SECRET: required when NODE_ENV=production/);
    expect(loadEnvConfig({ ...httpBot, NODE_ENV: "production", INTERVENE_SECRET: secret }).approvalKeyIsDevelopment).toBe(false);
    const short = envError({ ...httpBot, INTERVENE_SECRET: "tooshort-secret" });
    expect(short.message).toMatch(/INTERVENE_SECRET: must be at least 32 characters \(got 15\); generate one with: openssl rand -hex 32/);
    expect(short.message).not.toContain("tooshort-secret");
  });

  it("documents the same defaults it applies", () => {
    expect(ENV_DEFAULTS).toMatchObject({ PORT: 3000, LOG_LEVEL: "info", ROLE: "all", OUTPUT_MAX_BYTES: 1048576 });
  });

  it("reads every variable when set", () => {
    const settings = loadEnvConfig({
      ...httpBot,
      ROLE: "bot",
      SLACK_API_URL: "http://127.0.0.1:4567/api",
      REDIS_URL: "rediss://:pw@redis.internal:6380/2",
      PORT: "8080",
      INVENTORY_FILE: "~/intervene/inventory.yaml",
      SSH_PRIVATE_KEY_FILE: "/etc/intervene/id_ed25519",
      SSH_KNOWN_HOSTS_FILE: "~/pinned_hosts",
      LOG_LEVEL: "DEBUG",
      WORKER_CONCURRENCY: "2",
      SSH_MAX_CHANNELS_PER_HOST: "4",
      SSH_REMOTE_SHELLS: "false",
      OUTPUT_MAX_BYTES: "65536",
      OUTPUT_TTL_DAYS: "7",
      SHUTDOWN_GRACE_MS: "0",
    });
    expect(settings).toMatchObject({
      role: "bot",
      // Bolt appends method names to the base URL, so the slash is added.
      slack: { apiUrl: "http://127.0.0.1:4567/api/" },
      redisUrl: "rediss://:pw@redis.internal:6380/2",
      port: 8080,
      inventoryFile: "/home/operator/intervene/inventory.yaml",
      ssh: { privateKeyFile: "/etc/intervene/id_ed25519", knownHostsFile: "/home/operator/pinned_hosts", maxChannelsPerHost: 4, remoteShells: false },
      logLevel: "debug",
      workerConcurrency: 2,
      output: { maxBytes: 65536, ttlDays: 7 },
      shutdownGraceMs: 0,
    });
  });

  it("uses Socket Mode when SLACK_APP_TOKEN is set, without needing a signing secret", () => {
    const settings = loadEnvConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: APP_TOKEN, HOME });
    expect(settings.slack?.botToken).toBe(BOT_TOKEN);
    if (settings.role === "worker") throw new Error("expected the default role");
    expect(settings.slack.receiver).toEqual({ mode: "socket", appToken: APP_TOKEN, signingSecret: undefined });
  });

  it("lets a worker start without Slack credentials, and gives it Web API settings when the bot token is set", () => {
    expect(loadEnvConfig({ ROLE: "worker", HOME })).toMatchObject({ role: "worker", slack: undefined });
    expect(loadEnvConfig({ ROLE: "worker", SLACK_BOT_TOKEN: BOT_TOKEN, HOME }).slack).toEqual({
      botToken: BOT_TOKEN,
      apiUrl: "https://slack.com/api/",
    });
  });

  it("treats blank values as unset, as `.env` files write them", () => {
    const settings = loadEnvConfig({ ...httpBot, PORT: "", LOG_LEVEL: "  ", SLACK_APP_TOKEN: "", REDIS_URL: "" });
    expect(settings).toMatchObject({ port: 3000, logLevel: "info", redisUrl: "redis://127.0.0.1:6379" });
    expect(settings.slack?.botToken).toBe(BOT_TOKEN);
  });

  it.each([
    [{ SLACK_BOT_TOKEN: "xoxp-user" }, "SLACK_BOT_TOKEN", 'must start with xoxb- (got a value starting with "xoxp-")'],
    [{ SLACK_BOT_TOKEN: "not-a-token" }, "SLACK_BOT_TOKEN", "must start with xoxb- (got a value of another form)"],
    [{ SLACK_APP_TOKEN: "xoxb-wrong" }, "SLACK_APP_TOKEN", 'must start with xapp- (got a value starting with "xoxb-")'],
    [{ SLACK_API_URL: "slack.com/api" }, "SLACK_API_URL", "must be an http:// or https:// URL (got text that is not a URL)"],
    [{ REDIS_URL: "http://127.0.0.1:6379" }, "REDIS_URL", 'must be a redis:// or rediss:// URL (got a URL with scheme "http")'],
    [{ PORT: "0" }, "PORT", 'must be an integer from 1 to 65535 (got "0")'],
    [{ PORT: "65536" }, "PORT", 'must be an integer from 1 to 65535 (got "65536")'],
    [{ PORT: "80a" }, "PORT", 'must be an integer from 1 to 65535 (got "80a")'],
    [{ PORT: "3000.5" }, "PORT", 'must be an integer from 1 to 65535 (got "3000.5")'],
    [{ LOG_LEVEL: "verbose" }, "LOG_LEVEL", 'must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")'],
    [{ ROLE: "scheduler" }, "ROLE", 'must be one of all, bot, worker (got "scheduler")'],
    [{ WORKER_CONCURRENCY: "0" }, "WORKER_CONCURRENCY", 'must be an integer from 1 to 1000 (got "0")'],
    [{ SSH_MAX_CHANNELS_PER_HOST: "-1" }, "SSH_MAX_CHANNELS_PER_HOST", 'must be an integer from 1 to 1000 (got "-1")'],
    [{ SSH_REMOTE_SHELLS: "yes" }, "SSH_REMOTE_SHELLS", 'must be true or false (got "yes")'],
    [{ OUTPUT_MAX_BYTES: "1MiB" }, "OUTPUT_MAX_BYTES", 'must be an integer from 1024 to 1073741824 (got "1MiB")'],
    [{ OUTPUT_TTL_DAYS: "0" }, "OUTPUT_TTL_DAYS", 'must be an integer from 1 to 3650 (got "0")'],
    [{ SHUTDOWN_GRACE_MS: "soon" }, "SHUTDOWN_GRACE_MS", 'must be an integer from 0 to 3600000 (got "soon")'],
  ])("refuses %o: %s %s", (override, variable, message) => {
    const error = envError({ ...httpBot, ...override });
    expect(error.issues).toEqual([{ variable, message }]);
    expect(error.message).toBe(`invalid environment:\n  ${variable}: ${message}`);
    expect(error.code).toBe("ENV_INVALID");
    expect(error.retryable).toBe(false);
  });

  it("requires the bot token and, in HTTP mode, the signing secret for the bot roles", () => {
    expect(envError({ HOME }).issues).toEqual([
      { variable: "SLACK_BOT_TOKEN", message: "required for ROLE=all (the bot talks to Slack); set it, or run with ROLE=worker" },
      {
        variable: "SLACK_SIGNING_SECRET",
        message: "required in HTTP mode (SLACK_APP_TOKEN is unset); set it, or set SLACK_APP_TOKEN for Socket Mode",
      },
    ]);
    expect(envError({ ROLE: "bot", SLACK_APP_TOKEN: APP_TOKEN, HOME }).issues.map((i) => i.variable)).toEqual(["SLACK_BOT_TOKEN"]);
  });

  it("reports every problem at once, format errors and missing credentials together", () => {
    const error = envError({ PORT: "x", LOG_LEVEL: "loud", SLACK_APP_TOKEN: "bad" });
    expect(error.issues.map((i) => i.variable).sort()).toEqual(["LOG_LEVEL", "PORT", "SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"]);
  });

  it("never echoes a secret or a Redis password in its messages", () => {
    const error = envError({
      ...httpBot,
      SLACK_BOT_TOKEN: "sekret-bot-value",
      SLACK_APP_TOKEN: "sekret-app-value",
      REDIS_URL: "http://:sekret-redis-pw@127.0.0.1:6379",
    });
    expect(error.issues).toHaveLength(3);
    expect(error.message).not.toContain("sekret");
  });

  it("inventoryLocationFromEnv reads only the inventory and SSH fallbacks, so config checks need no Slack credentials", () => {
    expect(inventoryLocationFromEnv({ INVENTORY_FILE: "/srv/inv.yaml", HOME })).toEqual({
      inventoryFile: "/srv/inv.yaml",
      ssh: { privateKeyFile: "/home/operator/.ssh/id_ed25519", knownHostsFile: "/home/operator/.ssh/known_hosts" },
      homeDir: HOME,
    });
  });
});

describe("loadDotenv", () => {
  const NAME = "INTERVENE_DOTENV_TEST_VALUE";
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "intervene-dotenv-"));
  });
  afterEach(() => {
    delete process.env[NAME];
    rmSync(dir, { recursive: true, force: true });
  });

  it("loads a .env file into process.env without overriding what is already set", () => {
    const file = path.join(dir, ".env");
    writeFileSync(file, `${NAME}=from-file\nPATH=/nowhere\n`);
    const pathBefore = process.env.PATH;
    loadDotenv(file);
    expect(process.env[NAME]).toBe("from-file");
    expect(process.env.PATH).toBe(pathBefore);
  });
});
