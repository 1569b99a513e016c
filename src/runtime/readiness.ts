import type { ServerResponse } from "node:http";
import type { CustomRoute } from "@slack/bolt";
import type Redis from "ioredis";
import type { SlackHealth } from "../bot/create-slack-app";

export interface ReadinessReport {
  readonly ready: boolean;
  /** Each check: "ok", or what is wrong. */
  readonly checks: Readonly<Record<string, string>>;
}

export interface ReadinessOptions {
  /** A fail-fast connection (openProbeRedis). */
  readonly redis: Pick<Redis, "ping">;
  /** The bot's Slack state; absent in a worker-only process, which needs no Slack. */
  readonly slack?: () => SlackHealth;
  /** @defaultValue 2000 */
  readonly timeoutMs?: number;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function pingRedis(redis: Pick<Redis, "ping">, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no PING answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([redis.ping().then((answer) => (answer === "PONG" ? "ok" : `PING answered ${String(answer)}`), (err: unknown) => `PING failed: ${errorText(err)}`), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Readiness, as opposed to liveness (/healthz): ready to take work means Redis
 * answers PING and, for a bot, Slack's auth.test has succeeded.
 */
export async function checkReadiness(options: ReadinessOptions): Promise<ReadinessReport> {
  const checks: Record<string, string> = { redis: await pingRedis(options.redis, options.timeoutMs ?? 2000) };
  if (options.slack !== undefined) {
    const health = options.slack();
    checks.slack = health.slack === "connected" ? "ok" : `${health.slack}${health.slackError === undefined ? "" : `: ${health.slackError}`}`;
  }
  return { ready: Object.values(checks).every((c) => c === "ok"), checks };
}

/** `GET /readyz`: 200 when ready, 503 with the report saying what is not. */
export function readinessRoute(options: ReadinessOptions): CustomRoute {
  return {
    path: "/readyz",
    method: ["GET"],
    handler: (_req, res: ServerResponse) => {
      void checkReadiness(options).then((report) => {
        res.writeHead(report.ready ? 200 : 503, { "Content-Type": "application/json", "Cache-Control": "no-store" });
        res.end(JSON.stringify(report));
      });
    },
  };
}
