import { randomBytes } from "node:crypto";
import pino from "pino";
import { decodeStep, type StepValue } from "../../../src/bot/blocks/action-ids";
import type { Block } from "../../../src/bot/blocks/block-types";
import { refFromNotifierState } from "../../../src/bot/notifier/notifier-store";
import { loadEnvConfig, loadInventory, type LogLevel } from "../../../src/config";
import { TERMINAL_RUN_STATES, type EngineHandle, type RunRecord } from "../../../src/jobs";
import { startIntervene, type InterveneHandle } from "../../../src/runtime/start-intervene";
import { freePort } from "../../../sim/process/free-port";
import { blockActionsPayload, clickButton, findButton } from "../../helpers/slack/click-button";
import { FakeSlackServer, type FakeMessage } from "../../../sim/slack/fake-slack-server";
import { FakeSocketMode } from "../../../sim/slack/fake-socket-mode";
import { postInteraction, postSlashCommand, slashCommandPayload, type PostResult, type SignOptions } from "../../../sim/slack/slack-signer";
import { eventually as eventuallyPoll } from "../../helpers/eventually";

export const SECRET = "e2e0signing0secret0a1b2c3d4e5f6a7b";
/** The people of the e2e approval policy: one requests; two may approve (either suffices). */
export const U_REQUESTER = "U0REQUESTER";
export const U_APPROVER = "U0APPROVER";
export const U_SECOND = "U0SECOND";
export const E2E_APPROVAL = { requesters: [U_REQUESTER], approvers: [U_APPROVER, U_SECOND] } as const;

/** Slack's contract: a request not acked within 3 s fails for the user. A protocol bound, not a performance target. */
export const SLACK_ACK_DEADLINE_MS = 3000;

export interface InterveneFiles {
  readonly inventoryFile: string;
  readonly privateKeyFile: string;
  readonly knownHostsFile: string;
  readonly redisUrl: string;
}

export interface CommandAnswer {
  /** The HTTP answer to the slash command itself (the ack). */
  readonly ack: PostResult;
  /** What the app posted to this command's response_url (first post), when asked to wait for it. */
  readonly body: Record<string, unknown>;
  readonly responseId: string;
}

export interface ClickAnswer {
  readonly ack: PostResult;
  /** Posts to this click's response_url (after waiting for the first). */
  readonly responses: readonly Record<string, unknown>[];
  readonly responseId: string;
}

/** A message as a user sees it: blocks and ts (run message) or blocks only (ephemeral). */
export interface VisibleMessage {
  readonly blocks: readonly Block[];
  readonly ts?: string;
}

export interface SlackE2e {
  readonly fake: FakeSlackServer;
  /** Set when started with `transport: "socket"`: commands and clicks go through it as Socket Mode envelopes. */
  readonly socket: FakeSocketMode | undefined;
  readonly intervene: InterveneHandle;
  readonly engine: EngineHandle;
  readonly eventsUrl: string;
  readonly prefix: string;
  /** Posts a signed slash command; unless `wait: false`, waits for the first response_url post. */
  command(text: string, options?: { readonly user?: string; readonly channel?: string; readonly wait?: boolean; readonly sign?: SignOptions }): Promise<CommandAnswer>;
  /** Clicks a button of a visible message as `user`, and waits for the first response_url post unless `wait: false`. */
  click(message: VisibleMessage, actionId: string, user: string, options?: { readonly channel?: string; readonly ephemeral?: boolean; readonly wait?: boolean }): Promise<ClickAnswer>;
  /** Submits the reason modal the last `views.open` showed, as Slack would. */
  submitReason(user: string, reason: string): Promise<PostResult>;
  /** Polls the engine until the run satisfies `predicate`. */
  waitForRun(runId: string, predicate: (run: RunRecord) => boolean, timeoutMs?: number): Promise<RunRecord>;
  /** The run's one message in the channel (posted by the notifier); waits until it exists. */
  runMessage(runId: string, timeoutMs?: number): Promise<FakeMessage>;
  close(): Promise<void>;
}

let seq = 0;

/** Polls `check` every 50 ms until it returns a value, or throws `what` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  return eventuallyPoll(what, check, timeoutMs, 50);
}

/** The step/run a button of `blocks` acts on (undefined when the message has no such button). */
export function buttonValue(blocks: readonly Block[] | undefined, actionId: string): StepValue | undefined {
  if (blocks === undefined) return undefined;
  try {
    return decodeStep(findButton(blocks, actionId).button.value);
  } catch {
    return undefined;
  }
}

export function textOf(value: unknown): string {
  return JSON.stringify(value) ?? "";
}

/** Every `text` string of a block tree, joined by newlines: what a reader sees, unescaped from JSON. */
export function blockText(value: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === "object" && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (k === "text" && typeof x === "string") out.push(x);
        else walk(x);
      }
    }
  };
  walk(value);
  return out.join("\n");
}

/**
 * The real product as `npm start` wires it (`loadEnvConfig` -> `loadInventory`
 * -> `startIntervene`, role all) with its Web API pointed at a fake Slack
 * server, on a free loopback port and a unique Redis prefix.
 */
export async function startSlackE2e(files: InterveneFiles, overrides: Readonly<Record<string, string>> = {}, transport: "http" | "socket" = "http"): Promise<SlackE2e> {
  const fake = await FakeSlackServer.start();
  // Socket Mode (issue 15 point 2): the product's real @slack/socket-mode client, against a local server.
  const socket = transport === "socket" ? await FakeSocketMode.start() : undefined;
  if (socket !== undefined) fake.socketModeUrl = socket.url;
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    SLACK_BOT_TOKEN: "xoxb-e2e-token",
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.apiUrl,
    REDIS_URL: files.redisUrl,
    PORT: String(port),
    OPS_PORT: "0",
    INVENTORY_FILE: files.inventoryFile,
    SSH_PRIVATE_KEY_FILE: files.privateKeyFile,
    SSH_KNOWN_HOSTS_FILE: files.knownHostsFile,
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? "silent",
    ROLE: "all",
    SHUTDOWN_GRACE_MS: "2000",
    ...(socket !== undefined ? { SLACK_APP_TOKEN: "xapp-1-A123456-e2e-socket" } : {}),
    ...overrides,
  };
  const settings = loadEnvConfig(env);
  const inventory = loadInventory(settings);
  const prefix = `e2e-slack-${randomBytes(4).toString("hex")}`;
  const logger = pino({ level: settings.logLevel satisfies LogLevel });
  let intervene: InterveneHandle;
  try {
    intervene = await startIntervene({ settings, inventory, logger, prefix, host: "127.0.0.1" });
  } catch (error) {
    await fake.close();
    throw error;
  }
  const engine = intervene.engine;
  const slack = intervene.slack;
  if (engine === undefined || slack === undefined) throw new Error("role all must start the engine and the bot");
  await slack.whenConnected();
  // The notifier subscribes in the background: events published before it listens would be lost to the test.
  await eventually("the run-event subscription", () => (slack.health().events === "subscribed" ? true : undefined), 10_000);
  const eventsUrl = `http://127.0.0.1:${port}/slack/events`;
  const defaultChannel = Object.values(inventory.clusters)[0]?.channel ?? "C0UNKNOWN";

  /** One envelope through Socket Mode; the ack stands for the HTTP answer. */
  const viaSocket = async (s: FakeSocketMode, type: "slash_commands" | "interactive", payload: unknown): Promise<PostResult> => {
    const started = performance.now();
    const ack = await s.deliver(type, payload);
    return { status: 200, body: ack === undefined ? "" : JSON.stringify(ack), elapsedMs: performance.now() - started };
  };

  const e2e: SlackE2e = {
    fake,
    socket,
    intervene,
    engine,
    eventsUrl,
    prefix,
    async command(text, options = {}) {
      const responseId = `cmd-${++seq}`;
      const fields = { command: "/leofs", text, user_id: options.user ?? U_REQUESTER, channel_id: options.channel ?? defaultChannel, response_url: fake.responseUrl(responseId), trigger_id: `trig-${responseId}` };
      const ack = socket !== undefined ? await viaSocket(socket, "slash_commands", slashCommandPayload(fields)) : await postSlashCommand(eventsUrl, SECRET, fields, options.sign);
      if (options.wait !== false) await fake.waitFor(() => fake.responsesTo(responseId).length > 0, 15_000);
      return { ack, body: fake.responsesTo(responseId)[0]?.body ?? {}, responseId };
    },
    async click(message, actionId, user, options = {}) {
      const responseId = `click-${++seq}`;
      const click = {
        message: { blocks: message.blocks, ...(message.ts !== undefined ? { ts: message.ts } : {}) },
        actionId,
        userId: user,
        channelId: options.channel ?? defaultChannel,
        responseUrl: fake.responseUrl(responseId),
        ephemeral: options.ephemeral ?? message.ts === undefined,
      };
      const ack = socket !== undefined ? await viaSocket(socket, "interactive", blockActionsPayload(click)) : await clickButton({ eventsUrl, secret: SECRET, ...click });
      if (options.wait !== false) await fake.waitFor(() => fake.responsesTo(responseId).length > 0, 15_000);
      return { ack, responses: fake.responsesTo(responseId).map((r) => r.body), responseId };
    },
    async submitReason(user, reason) {
      const opened = fake.callsOf("views.open").at(-1);
      const view = opened?.args.view as { private_metadata: string; callback_id: string } | undefined;
      if (view === undefined) throw new Error("no modal was opened");
      const submission = {
        type: "view_submission",
        user: { id: user, team_id: "T0001" },
        team: { id: "T0001" },
        api_app_id: "A123456",
        trigger_id: "111.222.valid",
        view: {
          id: "V1",
          type: "modal",
          callback_id: view.callback_id,
          private_metadata: view.private_metadata,
          state: { values: { reason: { value: { type: "plain_text_input", value: reason } } } },
        },
      };
      return socket !== undefined ? viaSocket(socket, "interactive", submission) : postInteraction(eventsUrl, SECRET, submission);
    },
    waitForRun(runId, predicate, timeoutMs = 60_000) {
      return eventually(`run ${runId} to reach the expected state`, async () => {
        const run = await engine.get(runId);
        return run !== undefined && predicate(run) ? run : undefined;
      }, timeoutMs);
    },
    async runMessage(runId, timeoutMs = 15_000) {
      return eventually(`the run message of ${runId}`, async () => {
        const ts = refFromNotifierState((await engine.get(runId))?.notifierState)?.ts;
        return ts === undefined ? undefined : fake.messages.get(ts);
      }, timeoutMs);
    },
    async close() {
      await intervene.close();
      await socket?.close();
      await fake.close();
    },
  };
  return e2e;
}

export function isTerminal(run: RunRecord): boolean {
  return TERMINAL_RUN_STATES.includes(run.state);
}
