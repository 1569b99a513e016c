import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isValidSlackRequest, webApi } from "@slack/bolt";
import { createConsole, serveRoutes, type LocalConsole } from "../../../sim/console";
import { freePort } from "../../../sim/process/free-port";

const ALICE = { id: "U0ALICE", name: "Alice" };
const BOB = { id: "U0BOB", name: "Bob" };
const CHANNEL = { id: "C0LEOFSSIM", name: "leofs-demo" };
const TOKEN = "xoxb-console";
const SECRET = "console-test-signing-secret";
/** The client logs refused calls' messages at error level; the refusals are what these tests assert. */
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, setLevel: () => undefined, getLevel: () => webApi.LogLevel.ERROR, setName: () => undefined };

interface Received {
  readonly body: string;
  readonly contentType: string | undefined;
  readonly signed: boolean;
}

/** Stands where the bot's /slack/events is: records what the console sends and checks Slack's signature with Bolt's own verifier. */
async function startReceiver(answer: (r: Received) => string = () => ""): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const signed = isValidSlackRequest({
        signingSecret: SECRET,
        body,
        headers: { "x-slack-signature": String(req.headers["x-slack-signature"]), "x-slack-request-timestamp": Number(req.headers["x-slack-request-timestamp"]) },
      });
      const r = { body, contentType: req.headers["content-type"], signed };
      received.push(r);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(answer(r));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`, received, server };
}

describe("the local console at its HTTP boundary, as the bot's Slack client and Bolt see it", () => {
  let slackConsole: LocalConsole;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let served: Awaited<ReturnType<typeof serveRoutes>>;
  let client: webApi.WebClient;

  beforeEach(async () => {
    receiver = await startReceiver();
    const port = await freePort();
    slackConsole = createConsole({ botToken: TOKEN, signingSecret: SECRET, baseUrl: `http://127.0.0.1:${port}`, eventsUrl: receiver.url, users: [ALICE, BOB], channels: [CHANNEL] });
    served = await serveRoutes(slackConsole.routes, { port });
    client = new webApi.WebClient(TOKEN, { slackApiUrl: slackConsole.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logger: quiet });
  });
  afterEach(async () => {
    slackConsole.close();
    await served.close();
    await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
  });

  it("refuses a wrong bot token as Slack does, and answers auth.test for the right one", async () => {
    const stranger = new webApi.WebClient("xoxb-stranger", { slackApiUrl: slackConsole.apiUrl, retryConfig: { retries: 0 }, logger: quiet });
    await expect(stranger.auth.test()).rejects.toMatchObject({ code: "slack_webapi_platform_error", data: { error: "invalid_auth" } });
    expect(await client.auth.test()).toMatchObject({ ok: true, user_id: "U0INTERVENE", bot_id: "B0INTERVENE" });
  });

  it("keeps a message and its thread: post, update in place, replies with metadata, history newest first", async () => {
    const posted = await client.chat.postMessage({ channel: CHANNEL.id, text: "run r1: running", blocks: [{ type: "section", text: { type: "mrkdwn", text: "*running*" } }], metadata: { event_type: "intervene_message", event_payload: { run_id: "r1", key: "run" } } });
    const ts = posted.ts!;
    await client.chat.postMessage({ channel: CHANNEL.id, thread_ts: ts, text: "1. check: succeeded" });
    await client.chat.update({ channel: CHANNEL.id, ts, text: "run r1: succeeded", blocks: [{ type: "section", text: { type: "mrkdwn", text: "*succeeded*" } }] });
    await expect(client.chat.postMessage({ channel: CHANNEL.id, thread_ts: "1.000001", text: "orphan" })).rejects.toMatchObject({ data: { error: "thread_not_found" } });
    await expect(client.chat.postMessage({ channel: "C0NOWHERE", text: "x" })).rejects.toMatchObject({ data: { error: "channel_not_found" } });

    const message = slackConsole.store.get(ts)!;
    expect(message).toMatchObject({ text: "run r1: succeeded", edits: 1, user: "U0INTERVENE" });
    const replies = await client.conversations.replies({ channel: CHANNEL.id, ts, include_all_metadata: true });
    expect(replies.messages?.map((m) => m.text)).toEqual(["run r1: succeeded", "1. check: succeeded"]);
    expect(replies.messages?.[0]?.metadata).toEqual({ event_type: "intervene_message", event_payload: { run_id: "r1", key: "run" } });
    const history = await client.conversations.history({ channel: CHANNEL.id, include_all_metadata: true });
    expect(history.messages?.map((m) => m.ts)).toEqual([ts]);
  });

  it("refuses blocks beyond Slack's limits (invalid_blocks) and says so on the page", async () => {
    const tooLong = "x".repeat(3001);
    await expect(client.chat.postMessage({ channel: CHANNEL.id, text: "t", blocks: [{ type: "section", text: { type: "mrkdwn", text: tooLong } }] })).rejects.toMatchObject({ data: { error: "invalid_blocks" } });
    expect(slackConsole.store.snapshotFor(ALICE.id).notices.join("\n")).toMatch(/chat\.postMessage refused \(invalid_blocks\)/);
    expect(slackConsole.store.allMessages()).toEqual([]);
  });

  it("sends a slash command as Slack does: signed, form-encoded, with a response_url whose ephemeral answers only the typist sees", async () => {
    await slackConsole.command(ALICE.id, CHANNEL.id, "/leofs recover manager-slave");
    const sent = receiver.received[0]!;
    expect(sent.signed).toBe(true);
    expect(sent.contentType).toBe("application/x-www-form-urlencoded");
    const form = new URLSearchParams(sent.body);
    expect(Object.fromEntries(["command", "text", "user_id", "channel_id"].map((k) => [k, form.get(k)]))).toEqual({ command: "/leofs", text: "recover manager-slave", user_id: ALICE.id, channel_id: CHANNEL.id });

    const answer = await fetch(form.get("response_url")!, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ response_type: "ephemeral", text: "Plan: …", blocks: [{ type: "actions", elements: [{ type: "button", action_id: "intervene.start", text: { type: "plain_text", text: "Start" }, value: "v1" }] }] }) });
    expect(answer.status).toBe(200);
    const preview = slackConsole.store.snapshotFor(ALICE.id).messages.find((m) => m.text === "Plan: …")!;
    expect(preview.ephemeralFor).toBe(ALICE.id);
    expect(slackConsole.store.snapshotFor(BOB.id).messages).toEqual([]);

    // A click: block_actions with the clicked button; respond(replace_original) changes that very message.
    await slackConsole.click(ALICE.id, preview.id, "intervene.start");
    const click = JSON.parse(new URLSearchParams(receiver.received[1]!.body).get("payload")!) as { type: string; user: { id: string }; actions: Array<{ action_id: string; value: string }>; container: { is_ephemeral: boolean }; response_url: string; trigger_id: string };
    expect(receiver.received[1]!.signed).toBe(true);
    expect(click).toMatchObject({ type: "block_actions", user: { id: ALICE.id }, actions: [{ action_id: "intervene.start", value: "v1" }], container: { is_ephemeral: true } });
    await fetch(click.response_url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ replace_original: true, text: "Run r1 started" }) });
    expect(slackConsole.store.get(preview.id)).toMatchObject({ text: "Run r1 started", ephemeralFor: ALICE.id, edits: 1 });
    await expect(slackConsole.click(BOB.id, preview.id, "intervene.start")).rejects.toThrow(/no message/);
  });

  it("opens a modal only with a fresh trigger_id, and keeps it open with the field errors a submission is answered with", async () => {
    receiver.received.length = 0;
    const withErrors = await startReceiver(() => JSON.stringify({ response_action: "errors", errors: { reason: "say why" } }));
    const port = await freePort();
    const modalConsole = createConsole({ botToken: TOKEN, signingSecret: SECRET, baseUrl: `http://127.0.0.1:${port}`, eventsUrl: withErrors.url, users: [ALICE, BOB], channels: [CHANNEL] });
    const modalServer = await serveRoutes(modalConsole.routes, { port });
    try {
      const bot = new webApi.WebClient(TOKEN, { slackApiUrl: modalConsole.apiUrl, retryConfig: { retries: 0 }, logger: quiet });
      await modalConsole.command(BOB.id, CHANNEL.id, "/leofs help");
      const triggerId = new URLSearchParams(withErrors.received[0]!.body).get("trigger_id")!;
      const view = { type: "modal" as const, callback_id: "intervene.reason", title: { type: "plain_text" as const, text: "Reject step 4" }, submit: { type: "plain_text" as const, text: "Reject" }, blocks: [{ type: "input", block_id: "reason", label: { type: "plain_text", text: "Why?" }, element: { type: "plain_text_input", action_id: "value" } }] };
      await expect(bot.views.open({ trigger_id: "made-up", view })).rejects.toMatchObject({ data: { error: "invalid_trigger_id" } });
      await bot.views.open({ trigger_id: triggerId, view });
      await expect(bot.views.open({ trigger_id: triggerId, view })).rejects.toMatchObject({ data: { error: "invalid_trigger_id" } });
      const opened = modalConsole.store.snapshotFor(BOB.id).views[0]!;
      expect(modalConsole.store.snapshotFor(ALICE.id).views).toEqual([]);

      await modalConsole.submitView(BOB.id, opened.id, { reason: "" });
      const submission = JSON.parse(new URLSearchParams(withErrors.received[1]!.body).get("payload")!) as { type: string; view: { state: { values: unknown } } };
      expect(submission).toMatchObject({ type: "view_submission", view: { state: { values: { reason: { value: { type: "plain_text_input", value: null } } } } } });
      expect(modalConsole.store.snapshotFor(BOB.id).views[0]).toMatchObject({ id: opened.id, errors: { reason: "say why" } });
    } finally {
      modalConsole.close();
      await modalServer.close();
      await new Promise<void>((resolve) => withErrors.server.close(() => resolve()));
    }
  });
});
