import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { CustomRoute } from "@slack/bolt";
import { consoleAsset } from "./console-assets";
import { ConsoleStore } from "./console-store";
import type { ConsoleChannel, ConsoleMessage, ConsoleUser } from "./console-types";
import { ConsoleWebApi } from "./console-web-api";
import { findButton } from "./find-button";
import { parseWebApiArgs } from "./parse-web-api-args";
import { readBody } from "./read-body";
import { appHomeOpenedEvent, blockActionsPayload, slashCommandForm, viewSubmissionPayload, type PayloadContext } from "./slack-payloads";
import { slackSignatureHeaders } from "./slack-signature";
import { TriggerBook } from "./trigger-book";

export interface ConsoleOptions {
  /** The bot token the bot calls the Web API with; any other is refused (invalid_auth). */
  readonly botToken: string;
  /** The bot's signing secret: the console signs what it sends as Slack would. */
  readonly signingSecret: string;
  /** Where the console is reached, e.g. `http://127.0.0.1:3000` (response URLs and the Web API live under `<baseUrl>/console/`). */
  readonly baseUrl: string;
  /** The bot's request URL, e.g. `http://127.0.0.1:3000/slack/events`. */
  readonly eventsUrl: string;
  readonly users: readonly ConsoleUser[];
  readonly channels: readonly ConsoleChannel[];
  /** User group id -> members, for usergroups.users.list. @defaultValue none */
  readonly userGroups?: Readonly<Record<string, readonly string[]>>;
  /** @defaultValue "U0INTERVENE" */
  readonly botUserId?: string;
}

/** What the bot answered when the console forwarded something to it. */
export interface BotReply {
  readonly status: number;
  readonly body: string;
}

export interface LocalConsole {
  readonly store: ConsoleStore;
  readonly webApi: ConsoleWebApi;
  /** The Web API base URL to give the bot (SLACK_API_URL). */
  readonly apiUrl: string;
  /** Routes for the bot's HTTP server (Bolt `customRoutes`): the page, its API, the Web API and response URLs. */
  readonly routes: readonly CustomRoute[];
  /** A user types a slash command in a channel, e.g. `/leofs recover manager-slave`. */
  command(userId: string, channelId: string, line: string): Promise<BotReply>;
  /** A user clicks a button of a message they see. */
  click(userId: string, messageId: string, actionId: string, blockId?: string): Promise<BotReply>;
  /** A user submits one of their open modals with these input values (block_id -> value). */
  submitView(userId: string, viewId: string, values: Readonly<Record<string, string>>): Promise<BotReply>;
  closeView(userId: string, viewId: string): void;
  /** A user opens the app's Home tab (app_home_opened). */
  openHome(userId: string): Promise<BotReply>;
  /** Ends pending long-polls. */
  close(): void;
}

/** The request Bolt hands a custom route (with path parameters). */
type ParamsIncomingMessage = Parameters<CustomRoute["handler"]>[0];

const TEAM = { id: "T0CONSOLE", name: "intervene-console" };
const APP_ID = "A0CONSOLE";
const BOT_ID = "B0INTERVENE";
const RESPONSE_URL_TTL_MS = 30 * 60_000;
const LONG_POLL_MS = 20_000;

interface ResponseTarget {
  readonly user: string;
  readonly channel: string;
  /** The message whose button was clicked: what `replace_original` replaces. */
  readonly sourceId?: string;
  readonly expiresAt: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...headers });
  res.end(JSON.stringify(body));
}

function objectOf(text: string): Record<string, unknown> {
  const parsed: unknown = text.trim() === "" ? {} : JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new HttpError(400, "expected a JSON object");
  return parsed as Record<string, unknown>;
}

/** A path parameter of a Bolt custom route (express types allow arrays; these routes have none). */
function param(req: ParamsIncomingMessage, name: string): string {
  const v = req.params?.[name];
  return typeof v === "string" ? v : "";
}

const field = (o: Record<string, unknown>, name: string): string => {
  const v = o[name];
  if (typeof v !== "string" || v === "") throw new HttpError(400, `missing ${name}`);
  return v;
};

/**
 * A Slack workspace in a web page, for `npm run demo`: it answers the bot's
 * Web API calls and response_url posts from an in-memory store, and sends
 * what people do on the page (slash commands, clicks, modal submissions) to
 * the bot's /slack/events as Slack does: signed, form-encoded requests.
 */
export function createConsole(options: ConsoleOptions): LocalConsole {
  const botUserId = options.botUserId ?? "U0INTERVENE";
  const store = new ConsoleStore(options.users, options.channels, botUserId);
  const triggers = new TriggerBook();
  const base = options.baseUrl.replace(/\/+$/, "");
  const apiUrl = `${base}/console/api/`;
  const webApi = new ConsoleWebApi({ store, triggers, botToken: options.botToken, team: TEAM, botId: BOT_ID, url: `${base}/console/`, ...(options.userGroups === undefined ? {} : { userGroups: options.userGroups }) });
  const responseTargets = new Map<string, ResponseTarget>();

  const user = (id: string): ConsoleUser => {
    const found = options.users.find((u) => u.id === id);
    if (found === undefined) throw new HttpError(400, `no user ${id} in this console`);
    return found;
  };
  const channel = (id: string): ConsoleChannel => {
    const found = options.channels.find((c) => c.id === id);
    if (found === undefined) throw new HttpError(400, `no channel ${id} in this console`);
    return found;
  };
  const responseUrl = (target: Omit<ResponseTarget, "expiresAt">): string => {
    const now = Date.now();
    for (const [id, t] of responseTargets) if (t.expiresAt < now) responseTargets.delete(id);
    const id = randomBytes(12).toString("hex");
    responseTargets.set(id, { ...target, expiresAt: now + RESPONSE_URL_TTL_MS });
    return `${base}/console/response/${id}`;
  };
  const context = (u: ConsoleUser, c: ConsoleChannel, sourceId?: string): PayloadContext => ({
    team: TEAM,
    appId: APP_ID,
    user: u,
    channel: c,
    triggerId: triggers.issue({ user: u.id, channel: c.id }),
    responseUrl: responseUrl({ user: u.id, channel: c.id, ...(sourceId === undefined ? {} : { sourceId }) }),
  });

  const toBot = async (body: string, contentType: string, userId: string): Promise<BotReply> => {
    let reply: BotReply;
    try {
      const res = await fetch(options.eventsUrl, { method: "POST", headers: { "Content-Type": contentType, ...slackSignatureHeaders(options.signingSecret, body) }, body });
      reply = { status: res.status, body: await res.text() };
    } catch (err) {
      reply = { status: 0, body: err instanceof Error ? err.message : String(err) };
    }
    // Slack shows "dispatch_failed" / "operation_timeout" when the app does not ack: so does the console.
    if (reply.status !== 200) store.notice(`The app did not acknowledge the request (HTTP ${reply.status || "unreachable"}): dispatch_failed`, userId);
    return reply;
  };
  const interaction = (payload: Record<string, unknown>, userId: string): Promise<BotReply> =>
    toBot(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), "application/x-www-form-urlencoded", userId);

  /** An ack with a body (`ack({ text })`) shows as an ephemeral message, as in Slack. */
  const showAckBody = (reply: BotReply, userId: string, channelId: string): void => {
    if (reply.status !== 200 || reply.body.trim() === "") return;
    let body: Record<string, unknown>;
    try {
      body = objectOf(reply.body);
    } catch {
      return;
    }
    if (typeof body.text !== "string" && !Array.isArray(body.blocks)) return;
    store.post({ channel: channelId, user: botUserId, text: typeof body.text === "string" ? body.text : "", blocks: Array.isArray(body.blocks) ? (body.blocks as unknown[]) : [], ephemeralFor: userId });
  };

  const command = async (userId: string, channelId: string, line: string): Promise<BotReply> => {
    const u = user(userId);
    const c = channel(channelId);
    const m = /^\s*(\/\S+)\s*([\s\S]*)$/.exec(line);
    if (m === null) throw new HttpError(400, "a slash command starts with /, e.g. /leofs help");
    const [, name = "", text = ""] = m;
    store.post({ channel: c.id, user: u.id, text: line.trim(), blocks: [], ephemeralFor: u.id, kind: "command-echo" });
    const reply = await toBot(slashCommandForm(context(u, c), name, text.trim()), "application/x-www-form-urlencoded", u.id);
    showAckBody(reply, u.id, c.id);
    return reply;
  };

  const visibleMessage = (userId: string, messageId: string): ConsoleMessage => {
    const message = store.get(messageId);
    if (message === undefined || (message.ephemeralFor !== undefined && message.ephemeralFor !== userId)) throw new HttpError(404, `no message ${messageId} for ${userId}`);
    return message;
  };

  const click = async (userId: string, messageId: string, actionId: string, blockId?: string): Promise<BotReply> => {
    const u = user(userId);
    const message = visibleMessage(userId, messageId);
    const button = findButton(message.blocks, actionId, blockId);
    if (button === undefined) throw new HttpError(404, `message ${messageId} has no button ${actionId}`);
    return interaction(blockActionsPayload(context(u, channel(message.channel), message.id), message, button), u.id);
  };

  const submitView = async (userId: string, viewId: string, values: Readonly<Record<string, string>>): Promise<BotReply> => {
    const u = user(userId);
    const opened = store.view(viewId);
    if (opened === undefined || opened.user !== userId) throw new HttpError(404, `no open view ${viewId} for ${userId}`);
    const triggerId = triggers.issue({ user: u.id, channel: "" });
    const reply = await interaction(viewSubmissionPayload({ team: TEAM, appId: APP_ID, user: u, triggerId }, opened, values), u.id);
    if (reply.status !== 200) return reply;
    let answer: Record<string, unknown> = {};
    try {
      answer = objectOf(reply.body);
    } catch {
      answer = {};
    }
    switch (answer.response_action) {
      case "errors":
        store.updateView(viewId, opened.view, (answer.errors ?? {}) as Record<string, string>);
        break;
      case "update":
        store.updateView(viewId, answer.view as Record<string, unknown>, {});
        break;
      case "push":
        store.openView(userId, answer.view as Record<string, unknown>, "push");
        break;
      case "clear":
        store.clearViews(userId);
        break;
      default:
        store.closeView(viewId);
    }
    return reply;
  };

  const openHome = (userId: string): Promise<BotReply> => {
    const body = JSON.stringify(appHomeOpenedEvent(TEAM, APP_ID, user(userId).id));
    return toBot(body, "application/json", userId);
  };

  /** What Bolt's respond() posts: replace or delete the clicked message, or post a new (ephemeral by default) one. */
  const respond = (id: string, body: Record<string, unknown>): void => {
    const target = responseTargets.get(id);
    if (target === undefined || target.expiresAt < Date.now()) throw new HttpError(404, "expired_url");
    const text = typeof body.text === "string" ? body.text : "";
    const blocks = Array.isArray(body.blocks) ? (body.blocks as unknown[]) : [];
    const source = target.sourceId === undefined ? undefined : store.get(target.sourceId);
    if (body.delete_original === true || body.delete_original === "true") {
      if (source !== undefined) store.delete(source.id);
      return;
    }
    if ((body.replace_original === true || body.replace_original === "true") && source !== undefined) {
      store.replace(source.id, { text, blocks });
      return;
    }
    const threadTs = typeof body.thread_ts === "string" ? body.thread_ts : undefined;
    store.post({
      channel: target.channel,
      user: botUserId,
      text,
      blocks,
      ...(body.response_type === "in_channel" ? {} : { ephemeralFor: target.user }),
      ...(threadTs === undefined ? {} : { threadTs }),
    });
  };

  type Handler = (req: ParamsIncomingMessage, res: ServerResponse) => Promise<void>;
  const guarded =
    (handler: Handler) =>
    (req: ParamsIncomingMessage, res: ServerResponse): void => {
      handler(req, res).catch((err: unknown) => {
        const status = err instanceof HttpError ? err.status : err instanceof SyntaxError ? 400 : 500;
        if (!res.headersSent) sendJson(res, status, { ok: false, error: err instanceof Error ? err.message : String(err) });
        else res.end();
      });
    };

  const webApiRoute: Handler = async (req, res) => {
    const method = param(req, "method");
    const raw = await readBody(req);
    const args = parseWebApiArgs(raw, req.headers["content-type"]);
    const auth = req.headers.authorization;
    const token = auth?.startsWith("Bearer ") === true ? auth.slice(7) : typeof args.token === "string" ? args.token : undefined;
    const answer = webApi.call(method, args, token);
    sendJson(res, answer.status, answer.body, answer.headers);
  };

  const responseRoute: Handler = async (req, res) => {
    respond(param(req, "id"), objectOf(await readBody(req)));
    sendJson(res, 200, { ok: true });
  };

  const stateRoute: Handler = async (req, res) => {
    const url = new URL(req.url ?? "/", "http://console");
    // A page opened without ?user= acts as the first user (the requester).
    const asked = url.searchParams.get("user") ?? "";
    const who = options.users.some((u) => u.id === asked) ? asked : user(options.users[0]?.id ?? "").id;
    const after = Number(url.searchParams.get("after") ?? "-1");
    await store.waitForChange(Number.isFinite(after) ? after : -1, LONG_POLL_MS);
    sendJson(res, 200, store.snapshotFor(who));
  };

  const uiRoute: Handler = async (req, res) => {
    const body = objectOf(await readBody(req));
    const who = field(body, "user");
    let reply: BotReply | undefined;
    switch (param(req, "op")) {
      case "command":
        reply = await command(who, field(body, "channel"), field(body, "text"));
        break;
      case "action":
        reply = await click(who, field(body, "message"), field(body, "action"), typeof body.block === "string" ? body.block : undefined);
        break;
      case "submit":
        reply = await submitView(who, field(body, "view"), (body.values ?? {}) as Record<string, string>);
        break;
      case "close":
        store.closeView(field(body, "view"));
        break;
      case "home":
        reply = await openHome(who);
        break;
      default:
        throw new HttpError(404, "unknown console operation");
    }
    sendJson(res, 200, { ok: reply === undefined || reply.status === 200, ...(reply === undefined ? {} : { botStatus: reply.status }) });
  };

  const assetRoute: Handler = async (req, res) => {
    const name = param(req, "file") || "console.html";
    const asset = await consoleAsset(name);
    if (asset === undefined) throw new HttpError(404, `no asset ${name}`);
    res.writeHead(200, { "Content-Type": asset.contentType, "Cache-Control": "no-store" });
    res.end(asset.body);
  };
  const pageRoute: Handler = (req, res) => assetRoute(Object.assign(req, { params: { file: "console.html" } }), res);

  const routes: CustomRoute[] = [
    { path: "/console", method: ["GET"], handler: guarded(pageRoute) },
    { path: "/console/", method: ["GET"], handler: guarded(pageRoute) },
    { path: "/console/assets/:file", method: ["GET"], handler: guarded(assetRoute) },
    { path: "/console/api/:method", method: ["POST", "GET"], handler: guarded(webApiRoute) },
    { path: "/console/response/:id", method: ["POST"], handler: guarded(responseRoute) },
    { path: "/console/ui/state", method: ["GET"], handler: guarded(stateRoute) },
    { path: "/console/ui/:op", method: ["POST"], handler: guarded(uiRoute) },
  ];

  return {
    store,
    webApi,
    apiUrl,
    routes,
    command,
    click,
    submitView,
    closeView: (userId, viewId) => {
      const opened = store.view(viewId);
      if (opened?.user === userId) store.closeView(viewId);
    },
    openHome,
    close: () => store.wakeAll(),
  };
}
