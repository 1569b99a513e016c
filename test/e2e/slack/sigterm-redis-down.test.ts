import { randomBytes } from "node:crypto";
import { freePort } from "../../../sim/process/free-port";
import { startRedisServer, type RedisServerHandle } from "../../../sim/process/redis-server";
import { startLeofsSim, type LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { FakeSlackServer } from "../../../sim/slack/fake-slack-server";
import { spawnProduct } from "../../helpers/product-process";
import { SECRET } from "./slack-e2e";

jest.setTimeout(120_000);

/**
 * A SIGTERM (or the demo's Ctrl-C) while Redis is gone must still end the
 * process. It did not: every shutdown step that talks to Redis (UNSUBSCRIBE,
 * BullMQ's queue and worker close) waited on reconnects forever. That was the
 * cause of the demo-ctrl-c timeout seen once in CI: Ctrl-C also reached the
 * demo's redis-server, which could exit first. Each step is now bounded and
 * then cuts its connections (src/util/settle-within.ts). The product's own
 * entry (ROLE=all), its own private Redis, killed by pid.
 */
describe("SIGTERM while Redis is down", () => {
  let redis: RedisServerHandle;
  let sim: LeofsSim;
  let fake: FakeSlackServer;

  beforeAll(async () => {
    redis = await startRedisServer({ appendonly: false });
    sim = await startLeofsSim({ storage: 1, gateways: 0 });
    fake = await FakeSlackServer.start();
  });
  afterAll(async () => {
    await fake?.close();
    await sim?.stop();
    await redis?.stop();
  });

  it("the process ends with exit code 0 after bounded waits on Redis, saying what it gave up on", async () => {
    const port = await freePort();
    // Ready: the bot holds its run-event subscription and its Slack identity, the state the demo is in.
    const product = await spawnProduct(
      {
        ROLE: "all",
        PORT: String(port),
        HOST: "127.0.0.1",
        OPS_PORT: "0",
        REDIS_URL: redis.url,
        REDIS_PREFIX: `e2e-sigterm-${randomBytes(4).toString("hex")}`,
        INVENTORY_FILE: sim.inventoryPath,
        SSH_PRIVATE_KEY_FILE: sim.privateKeyPath,
        SSH_KNOWN_HOSTS_FILE: sim.knownHostsPath,
        SLACK_BOT_TOKEN: "xoxb-e2e-sigterm",
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: fake.apiUrl,
        LOG_LEVEL: "info",
        SHUTDOWN_GRACE_MS: "1000",
      },
      ['"msg":"slack: run events subscribed"', '"msg":"slack: connected"'],
    );

    await redis.stop("SIGKILL");
    process.kill(product.pid, "SIGTERM");
    // jest's timeout is the bound: before the fix this await never returned.
    expect(await product.exited).toBe(0);
    expect(product.output()).toMatch(/shutdown grace elapsed|did not finish/);
  });
});
