import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { SlackHealth } from "../../../src/bot/create-slack-app";
import { readinessRoute } from "../../../src/runtime/readiness";
import { openProbeRedis } from "../../../src/runtime/readiness-redis";
import { freePort } from "../../../sim/process/free-port";
import { getTestbed } from "../../helpers/testbed";

/** GET /readyz served as the bot serves it (a Bolt custom route), on a plain server. */
async function serve(route: ReturnType<typeof readinessRoute>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => route.handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`, server };
}

describe("GET /readyz", () => {
  const closers: Array<() => void> = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  it("answers 503 saying Redis does not answer and Slack is still connecting, promptly, when nothing listens on the Redis port", async () => {
    const redis = openProbeRedis(`redis://127.0.0.1:${await freePort()}`);
    const slack = (): SlackHealth => ({ http: "up", slack: "unreachable", slackError: "connect ECONNREFUSED", events: "subscribing" });
    const { url, server } = await serve(readinessRoute({ redis, slack, timeoutMs: 1500 }));
    closers.push(() => server.close(), () => redis.disconnect());

    const res = await fetch(url);
    const body = (await res.json()) as { ready: boolean; checks: Record<string, string> };
    expect(res.status).toBe(503);
    expect(body.ready).toBe(false);
    expect(body.checks.redis).not.toBe("ok");
    expect(body.checks.redis).toMatch(/PING|answer/);
    expect(body.checks.slack).toBe("unreachable: connect ECONNREFUSED");
  });

  it("answers 200 for a worker (no Slack) whose Redis answers PING", async () => {
    const redis = openProbeRedis(getTestbed().redisUrl);
    const { url, server } = await serve(readinessRoute({ redis }));
    closers.push(() => server.close(), () => redis.disconnect());
    // The probe connection is fail-fast: give it its first connect.
    await new Promise<void>((resolve) => (redis.status === "ready" ? resolve() : redis.once("ready", () => resolve())));

    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ready: true, checks: { redis: "ok" } });
  });
});
