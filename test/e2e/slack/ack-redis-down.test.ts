import Redis from "ioredis";
import { ACTION } from "../../../src/bot/blocks/action-ids";
import { startRedisServer, type RedisServerHandle } from "../../../sim/process/redis-server";
import type { LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { startE2eLeofsSim } from "./leofs-slack-flow";
import { blockText, eventually, SLACK_ACK_DEADLINE_MS, startSlackE2e, textOf, U_REQUESTER, type CommandAnswer, type SlackE2e } from "./slack-e2e";

/** The names of the clients connected to `url` (each product connection names itself), sorted. */
async function connectedClientNames(url: string): Promise<string[]> {
  const probe = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await probe.connect();
    const list = String(await probe.call("CLIENT", "LIST"));
    return list
      .split("\n")
      .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? "")
      .filter((name) => name !== "")
      .sort();
  } finally {
    probe.disconnect();
  }
}

jest.setTimeout(120_000);

// Slack gives up on a command not acked within 3 s; the bot must ack even while its Redis is gone,
// tell the operator what happened, and recover by itself when Redis is back.
describe("slash commands while Redis is down", () => {
  let sim: LeofsSim;
  let redis: RedisServerHandle;
  let e2e: SlackE2e;

  beforeAll(async () => {
    sim = await startE2eLeofsSim();
    redis = await startRedisServer({ appendonly: false });
    e2e = await startSlackE2e({ inventoryFile: sim.inventoryPath, privateKeyFile: sim.privateKeyPath, knownHostsFile: sim.knownHostsPath, redisUrl: redis.url });
  });
  afterAll(async () => {
    // Closing waits on Redis (queues, subscriptions): make sure it is there whatever the test did.
    if (redis?.pid() === undefined) await redis?.restart().catch(() => undefined);
    await e2e?.close();
    await sim?.stop();
    await redis?.stop();
  });

  it("acks every command in time, answers the ones needing Redis with an ephemeral error, and works again once Redis is back", async () => {
    const before = await e2e.command("runs", { user: U_REQUESTER });
    expect(blockText(before.body.blocks)).toContain("No run yet.");

    const connectedBefore = await connectedClientNames(redis.url);
    expect(connectedBefore.filter((n) => n.includes(`${e2e.prefix}:`))).toHaveLength(3);
    await redis.stop("SIGKILL");
    const texts = ["recover manager-slave", "runs", "help"];
    const asked: CommandAnswer[] = [];
    for (const text of texts) asked.push(await e2e.command(text, { user: U_REQUESTER, wait: false }));
    for (const a of asked) {
      expect(a.ack.status).toBe(200);
      expect(a.ack.elapsedMs).toBeLessThan(SLACK_ACK_DEADLINE_MS);
    }
    // Every command gets its answer, none hangs: the engine's calls give up after the bot's timeout.
    await e2e.fake.waitFor(() => asked.every((a) => e2e.fake.responsesTo(a.responseId).length > 0), 20_000);
    const answer = (i: number): Record<string, unknown> => e2e.fake.responsesTo(asked[i]?.responseId ?? "")[0]?.body ?? {};
    for (const i of [0, 1]) {
      expect(answer(i)).toMatchObject({ response_type: "ephemeral", replace_original: false });
      expect(blockText(answer(i).blocks)).toMatch(/The engine did not answer within \d+s \((plan|list)\); Redis or the workers may be down/);
    }
    expect(answer(2)).toMatchObject({ response_type: "ephemeral" });
    expect(blockText(answer(2).blocks)).toContain("`/leofs recover manager-slave [cluster=");
    expect(e2e.fake.calls.filter((c) => c.method.startsWith("chat."))).toEqual([]);

    // Redis comes back on the same port: every connection of the product comes back by itself (BullMQ's blocking
    // clients back off up to 20 s), and the next commands work.
    await redis.restart();
    await eventually("every connection back", async () => {
      const names = await connectedClientNames(redis.url);
      return JSON.stringify(names) === JSON.stringify(connectedBefore) ? names : undefined;
    }, 45_000);
    const runs = await e2e.command("runs", { user: U_REQUESTER });
    expect(runs.ack.elapsedMs).toBeLessThan(SLACK_ACK_DEADLINE_MS);
    expect(blockText(runs.body.blocks)).toContain("No run yet.");
    const preview = await e2e.command("recover manager-slave", { user: U_REQUESTER });
    expect(preview.body).toMatchObject({ response_type: "ephemeral" });
    expect(textOf(preview.body.blocks)).toContain(ACTION.start);
    expect(await e2e.engine.list()).toEqual([]);
  });
});
