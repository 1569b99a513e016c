import { randomBytes } from "node:crypto";
import Redis from "ioredis";
import pino from "pino";
import type { Block } from "../../../src/bot/blocks/block-types";
import { renderRunMessage } from "../../../src/bot/blocks/render-run-message";
import { refFromNotifierState } from "../../../src/bot/notifier/notifier-store";
import { loadEnvConfig, loadInventory } from "../../../src/config";
import { createEngine, silentLogger, type EngineHandle } from "../../../src/jobs";
import { engineOptionsFor } from "../../../src/runtime/engine-options";
import { startIntervene, type InterveneHandle } from "../../../src/runtime/start-intervene";
import { freePort } from "../../../sim/process/free-port";
import type { LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { FakeSlackServer } from "../../../sim/slack/fake-slack-server";
import { cleanupPrefix } from "../../helpers/cleanup-prefix";
import { spawnProduct, type ProductProcess } from "../../helpers/product-process";
import { getTestbed } from "../../helpers/testbed";
import type { BotFleet } from "./approve-until-done";
import { eventually, isTerminal, SECRET } from "./slack-e2e";

export interface BotProcess extends ProductProcess {
  readonly eventsUrl: string;
}

export interface Fleet extends BotFleet {
  readonly sim: LeofsSim;
  readonly redis: Redis;
  /** Live bot processes, oldest first. */
  readonly bots: BotProcess[];
  /** Starts one more ROLE=bot process (the product's own entry) and waits until it listens. */
  spawnBot(): Promise<BotProcess>;
  /** The pid of the bot holding (or last holding) the run's message lease (issue 15 point 1), if any. */
  writerPid(runId: string): Promise<number | undefined>;
  /** The run message's ts, once posted. */
  runMessageTs(runId: string): Promise<string | undefined>;
  /**
   * Waits (up to 20 s) for the run message's last version to equal the
   * rendering of the run's final state; returns whether it did, and the ts of
   * every top-level message carrying this run's metadata (one when nothing
   * was posted twice).
   */
  finalMessage(runId: string, ts: string): Promise<{ readonly equal: boolean; readonly posts: readonly string[] }>;
}

/**
 * Several bot processes behind one "load balancer" (commands and clicks go
 * to any of them), one in-process worker, one Redis (the test bed's), a fake
 * Slack and a LeoFS simulator, for a describe block.
 */
export function useBotFleet(startSim: () => Promise<LeofsSim>, bots: number): () => Fleet {
  const prefix = `e2e-bots-${randomBytes(4).toString("hex")}`;
  const channel = "C0LEOFSSIM";
  let fleet: Fleet | undefined;
  let worker: InterveneHandle | undefined;
  let engine: EngineHandle | undefined;
  let fake: FakeSlackServer | undefined;
  // Held apart from `fleet`: a start that fails after the simulator is up must still stop it.
  let sim: LeofsSim | undefined;

  beforeAll(async () => {
    sim = await startSim();
    const slack = await FakeSlackServer.start();
    fake = slack;
    const { redisUrl } = getTestbed();
    const env: NodeJS.ProcessEnv = {
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      INVENTORY_FILE: sim.inventoryPath,
      SSH_PRIVATE_KEY_FILE: sim.privateKeyPath,
      SSH_KNOWN_HOSTS_FILE: sim.knownHostsPath,
      SLACK_BOT_TOKEN: "xoxb-e2e-bots",
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      OPS_PORT: "0",
      LOG_LEVEL: "info",
      SHUTDOWN_GRACE_MS: "2000",
      // The chaos row starts two runs a trial as one user: more than the default 20 previews and starts a minute.
      REQUESTS_PER_MINUTE: "0",
    };
    const settings = loadEnvConfig({ ...env, ROLE: "worker", PORT: String(await freePort()) });
    const inventory = loadInventory(settings);
    worker = await startIntervene({ settings, inventory, logger: pino({ level: "silent" }), prefix, host: "127.0.0.1", operations: false });
    const eng = createEngine(engineOptionsFor(settings, inventory, silentLogger, prefix));
    engine = eng;
    const redis = new Redis(redisUrl);
    const live: BotProcess[] = [];
    const spawnBot = async (): Promise<BotProcess> => {
      // A free port can be taken by another test between freePort() and the bot's listen: try another.
      for (let tries = 1; ; tries++) {
        const port = await freePort();
        try {
          return await spawnBotOn(port);
        } catch (error) {
          if (tries >= 5 || !String(error).includes("EADDRINUSE")) throw error;
        }
      }
    };
    const spawnBotOn = async (port: number): Promise<BotProcess> => {
      const product = await spawnProduct({ ...env, ROLE: "bot", PORT: String(port), HOST: "127.0.0.1" }, ['"msg":"bot listening"']);
      const bot = { ...product, eventsUrl: `http://127.0.0.1:${port}/slack/events` };
      live.push(bot);
      void product.exited.then(() => live.splice(live.indexOf(bot), 1));
      return bot;
    };
    for (let i = 0; i < bots; i++) await spawnBot();
    let next = 0;
    fleet = {
      sim,
      redis,
      engine: eng,
      fake: slack,
      channel,
      bots: live,
      spawnBot,
      eventsUrl: () => live[next++ % live.length]!.eventsUrl,
      writerPid: async (runId) => {
        const owner = await redis.get(`${prefix}:notify:${runId}`);
        const pid = /^(?:done:|\d+ )?bot:[^:]+:(\d+):/.exec(owner ?? "")?.[1];
        return pid === undefined ? undefined : Number(pid);
      },
      runMessageTs: async (runId) => refFromNotifierState((await eng.get(runId))?.notifierState)?.ts,
      finalMessage: async (runId, ts) => {
        // The run's end, with its closing cluster snapshot (the message shows it).
        const final = await eventually("the run's end snapshot", async () => {
          const r = await eng.get(runId);
          return r !== undefined && isTerminal(r) && r.snapshots?.after !== undefined ? r : undefined;
        }, 30_000).catch(async () => (await eng.get(runId))!);
        const expected = JSON.stringify(JSON.parse(JSON.stringify(renderRunMessage(final).blocks)) as Block[]);
        const equal = await eventually("the run message equal to the run", () => (JSON.stringify(slack.latest(ts)?.blocks) === expected ? true : undefined), 20_000).catch(() => false);
        const posts = slack.topLevel(channel).filter((m) => (m.metadata as { event_payload?: { run_id?: string } } | undefined)?.event_payload?.run_id === runId).map((m) => m.ts);
        return { equal, posts };
      },
    };
  });
  afterAll(async () => {
    const live = fleet?.bots ?? [];
    const exits = live.map((b) => b.exited);
    for (const b of [...live]) if (b.alive()) process.kill(b.pid, "SIGTERM");
    await Promise.all(exits);
    await engine?.close();
    await worker?.close();
    fleet?.redis.disconnect();
    await cleanupPrefix(getTestbed().redisUrl, prefix);
    await fake?.close();
    await sim?.stop();
  });
  return () => {
    if (fleet === undefined) throw new Error("the bot fleet did not start");
    return fleet;
  };
}
