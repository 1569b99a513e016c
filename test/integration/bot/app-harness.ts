import pino from "pino";
import { createSlackApp, type CreateSlackAppOptions, type SlackAppHandle } from "../../../src/bot/create-slack-app";
import type { BotCluster } from "../../../src/bot/commands/resolve-cluster";
import { freePort } from "../../../sim/process/free-port";
import { FakeSlackServer } from "../../../sim/slack/fake-slack-server";
import { RecordingEngine } from "../../helpers/slack/recording-engine";

export const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
export const CLUSTERS: readonly BotCluster[] = [
  { name: "prod", kind: "leofs", channel: "C0LEOFSPROD", userGroups: ["S0SREONCALL"] },
  { name: "lhcb", kind: "dirac", channel: "C0DIRACOPS", diracSetup: "LHCb-Production" },
];

export interface Harness {
  readonly fake: FakeSlackServer;
  readonly engine: RecordingEngine;
  readonly handle: SlackAppHandle;
  readonly baseUrl: string;
  readonly eventsUrl: string;
  close(): Promise<void>;
}

/** A real Bolt app on a free loopback port, its Web API pointed at a fake Slack server. */
export async function startHarness(overrides: Partial<CreateSlackAppOptions> = {}, apiUrl?: string): Promise<Harness> {
  const fake = await FakeSlackServer.start();
  fake.usergroups.set("S0SREONCALL", ["U0APPROVER1"]);
  const engine = new RecordingEngine();
  const port = await freePort();
  const handle = createSlackApp({
    engine,
    inventory: { clusters: CLUSTERS },
    settings: { botToken: "xoxb-fake", signingSecret: SECRET, apiUrl: apiUrl ?? fake.apiUrl, port, host: "127.0.0.1" },
    logger: pino({ level: "silent" }),
    engineTimeoutMs: 800,
    connectRetry: { baseDelayMs: 100, maxDelayMs: 500 },
    notifier: { minPostIntervalMs: 20 },
    ...overrides,
  });
  await handle.start();
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    fake,
    engine,
    handle,
    baseUrl,
    eventsUrl: `${baseUrl}/slack/events`,
    async close() {
      await handle.stop();
      await fake.close();
    },
  };
}
