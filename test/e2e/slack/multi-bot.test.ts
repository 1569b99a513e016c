import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import Redis from "ioredis";
import pino from "pino";
import { ACTION } from "../../../src/bot/blocks/action-ids";
import type { Block } from "../../../src/bot/blocks/block-types";
import { renderRunMessage } from "../../../src/bot/blocks/render-run-message";
import { refFromNotifierState } from "../../../src/bot/notifier/notifier-store";
import { loadEnvConfig, loadInventory } from "../../../src/config";
import { createEngine, silentLogger, type EngineHandle, type RunRecord } from "../../../src/jobs";
import { engineOptionsFor } from "../../../src/runtime/engine-options";
import { startIntervene, type InterveneHandle } from "../../../src/runtime/start-intervene";
import { freePort } from "../../../sim/process/free-port";
import { registerChild } from "../../../sim/process/child-process-registry";
import type { LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { FakeSlackServer } from "../../../sim/slack/fake-slack-server";
import { postSlashCommand } from "../../../sim/slack/slack-signer";
import { cleanupPrefix } from "../../helpers/cleanup-prefix";
import { clickButton } from "../../helpers/slack/click-button";
import { getTestbed } from "../../helpers/testbed";
import { compileWorkerEntry } from "../../integration/jobs/helpers/compile-worker-entry";
import { breakManagerMnesia, startE2eLeofsSim } from "./leofs-slack-flow";
import { buttonValue, eventually, isTerminal, SECRET, U_APPROVER, U_REQUESTER } from "./slack-e2e";

jest.setTimeout(180_000);

interface BotProcess {
  readonly pid: number;
  readonly eventsUrl: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

/**
 * Issue 15 point 1: two bot processes (ROLE=bot, the product's own entry)
 * behind one "load balancer" (commands and clicks go to either), one worker,
 * one Redis. Exactly one bot writes a run's messages (a lease in Redis); the
 * test SIGKILLs that bot by pid in the middle of the run, and the other one
 * takes over within 10 s: the run message ends equal to the run's final
 * state, and the run has exactly one message in the channel.
 */
describe("several bot processes: one writer per run, and failover", () => {
  let sim: LeofsSim;
  let fake: FakeSlackServer;
  let worker: InterveneHandle;
  let engine: EngineHandle;
  let redis: Redis;
  const bots: BotProcess[] = [];
  const prefix = `e2e-bots-${randomBytes(4).toString("hex")}`;
  const channel = "C0LEOFSSIM";

  beforeAll(async () => {
    sim = await startE2eLeofsSim();
    fake = await FakeSlackServer.start();
    const { redisUrl } = getTestbed();
    const env: NodeJS.ProcessEnv = {
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      INVENTORY_FILE: sim.inventoryPath,
      SSH_PRIVATE_KEY_FILE: sim.privateKeyPath,
      SSH_KNOWN_HOSTS_FILE: sim.knownHostsPath,
      SLACK_BOT_TOKEN: "xoxb-e2e-bots",
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: fake.apiUrl,
      OPS_PORT: "0",
      LOG_LEVEL: "info",
      SHUTDOWN_GRACE_MS: "2000",
    };
    const settings = loadEnvConfig({ ...env, ROLE: "worker", PORT: String(await freePort()) });
    const inventory = loadInventory(settings);
    worker = await startIntervene({ settings, inventory, logger: pino({ level: "silent" }), prefix, host: "127.0.0.1", operations: false });
    engine = createEngine(engineOptionsFor(settings, inventory, silentLogger, prefix));
    redis = new Redis(redisUrl);
    const compiled = compileWorkerEntry();
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const child = spawn(process.execPath, [path.join(compiled.dir, "src", "main.js")], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...compiled.env, ...env, ROLE: "bot", PORT: String(port) },
        stdio: ["ignore", "pipe", "pipe"],
      });
      registerChild(child);
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      let out = "";
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes('"msg":"bot listening"')) resolve();
        });
        void exited.then(() => reject(new Error(`bot process exited before listening:\n${out}`)));
      });
      bots.push({ pid: child.pid!, eventsUrl: `http://127.0.0.1:${port}/slack/events`, child, exited });
    }
  });
  afterAll(async () => {
    for (const b of bots) if (b.child.exitCode === null && b.child.signalCode === null) process.kill(b.pid, "SIGTERM");
    await Promise.all(bots.map((b) => b.exited));
    await engine?.close();
    await worker?.close();
    redis?.disconnect();
    await cleanupPrefix(getTestbed().redisUrl, prefix);
    await fake?.close();
    await sim?.stop();
  });

  const writerPid = async (runId: string): Promise<number | undefined> => {
    const owner = await redis.get(`${prefix}:notify:${runId}`);
    const pid = /^(?:done:)?bot:[^:]+:(\d+):/.exec(owner ?? "")?.[1];
    return pid === undefined ? undefined : Number(pid);
  };
  const runMessageTs = async (runId: string): Promise<string | undefined> => refFromNotifierState((await engine.get(runId))?.notifierState)?.ts;
  const waitRun = (runId: string, predicate: (r: RunRecord) => boolean): Promise<RunRecord> =>
    eventually(`run ${runId}`, async () => {
      const r = await engine.get(runId);
      return r !== undefined && predicate(r) ? r : undefined;
    }, 90_000);

  it("the writer dies mid-run; the other bot takes over within 10 s; the message ends equal to the run, posted once", async () => {
    await breakManagerMnesia(sim, "manager-slave");
    const [first, second] = bots as [BotProcess, BotProcess];
    // The command reaches one bot, the Start click the other (a load balancer does not care).
    await postSlashCommand(first.eventsUrl, SECRET, { command: "/leofs", text: "recover manager-slave", user_id: U_REQUESTER, channel_id: channel, response_url: fake.responseUrl("preview") });
    await fake.waitFor(() => fake.responsesTo("preview").length > 0, 15_000);
    const preview = fake.responsesTo("preview")[0]!.body as { blocks: Block[] };
    await clickButton({ eventsUrl: second.eventsUrl, secret: SECRET, message: { blocks: preview.blocks }, actionId: ACTION.start, userId: U_REQUESTER, channelId: channel, responseUrl: fake.responseUrl("start"), ephemeral: true });
    const runId = (await eventually("the run", async () => (await engine.list())[0]?.id));

    // At the first gate: the run message exists and one bot writes it.
    const atGate = await waitRun(runId, (r) => r.state === "awaiting_approval" && r.gate?.status === "open");
    const ts = await eventually("the run message", () => runMessageTs(runId));
    const writer = await eventually("the writing bot", () => writerPid(runId));
    const dead = bots.find((b) => b.pid === writer)!;
    const alive = bots.find((b) => b.pid !== writer)!;
    expect(dead).toBeDefined();
    process.kill(dead.pid, "SIGKILL");
    await dead.exited;
    const killedAt = Date.now();
    // Watched from the kill on, alongside the approvals: the moment the survivor holds the run's lease.
    const takeover = eventually("the surviving bot writing", async () => ((await writerPid(runId)) === alive.pid ? Date.now() : undefined), 30_000);

    // Approvals go through the surviving bot; it takes the run's messages over.
    let run = atGate;
    while (run.state === "awaiting_approval") {
      const gate = run.gate!;
      // The message shows this gate's buttons once the writing bot (the survivor, after the kill) updated it.
      const blocks = await eventually(
        `step ${gate.stepIndex}'s Approve on the run message`,
        () => {
          const now = fake.latest(ts)?.blocks;
          const value = buttonValue(now, ACTION.approve);
          return value?.stepIndex === gate.stepIndex && value.attempt === gate.attempt ? now : undefined;
        },
        20_000,
      );
      await clickButton({ eventsUrl: alive.eventsUrl, secret: SECRET, message: { blocks: blocks ?? [], ts }, actionId: ACTION.approve, userId: U_APPROVER, channelId: channel, responseUrl: fake.responseUrl(`approve-${gate.stepIndex}`) });
      run = await waitRun(runId, (r) => isTerminal(r) || r.state === "paused" || (r.state === "awaiting_approval" && r.gate?.status === "open" && (r.gate.stepIndex !== gate.stepIndex || r.gate.attempt !== gate.attempt)));
    }
    const takenOverAt = await takeover;
    expect(takenOverAt - killedAt).toBeLessThanOrEqual(10_000);
    expect(run.state).toBe("succeeded");

    // The message ends equal to the run's final state, and there is exactly one run message.
    const final = await waitRun(runId, (r) => r.snapshots?.after !== undefined);
    const expected = JSON.parse(JSON.stringify(renderRunMessage(final).blocks)) as Block[];
    await fake.waitFor(() => JSON.stringify(fake.latest(ts)?.blocks) === JSON.stringify(expected), 20_000);
    const runMessages = fake.topLevel(channel).filter((m) => (m.metadata as { event_payload?: { run_id?: string } } | undefined)?.event_payload?.run_id === runId);
    expect(runMessages.map((m) => m.ts)).toEqual([ts]);
  });
});
