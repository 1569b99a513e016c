import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Block, ModalView } from "../../src/bot/blocks/block-types";
import { validateBlocks, validateModal } from "../../src/bot/blocks/validate-blocks";
import { slackReferencePath } from "./slack-reference";

const METHODS_DIR = slackReferencePath("methods");
const AUTH_TEST = JSON.parse(readFileSync(slackReferencePath("payloads", "auth.test.responses.json"), "utf8")) as { bot_token_success: Record<string, unknown> };

export interface FakeCall {
  readonly method: string;
  readonly args: Record<string, unknown>;
  readonly token: string | undefined;
  readonly at: number;
  readonly status: number;
  readonly response: Record<string, unknown>;
}

export interface FakeMessage {
  readonly channel: string;
  readonly ts: string;
  readonly thread_ts?: string;
  metadata?: unknown;
  /** Every version, oldest first: the post, then each chat.update. */
  readonly versions: Array<{ readonly text?: unknown; readonly blocks?: Block[]; readonly at: number }>;
}

export type Injected = { readonly status: 429; readonly retryAfter: number } | { readonly status: 500; readonly commit?: boolean };

/** A time-based outage of every Web API method (chaos: Slack 429 and 5xx storms). */
export type StormOptions =
  | { readonly status: 429; readonly ms: number; /** Retry-After, seconds. @defaultValue 1 */ readonly retryAfter?: number }
  | {
      readonly status: 500;
      readonly ms: number;
      /** Share of the failed calls that take effect anyway (0..1, spread evenly): Slack may apply a post and still answer 5xx. @defaultValue 0 */
      readonly commitRatio?: number;
    };

/** Methods that change nothing: a 500 on them "taking effect" means nothing, so the tally leaves them out. */
const READ_METHODS = new Set(["auth.test", "conversations.history", "conversations.replies", "conversations.members", "users.info", "usergroups.users.list", "chat.getPermalink"]);

/** What a storm did so far: calls refused, and of the 500s on writes how many had taken effect. */
export interface StormTally {
  limited: number;
  failed: number;
  committed: number;
}

export interface ResponseUrlPost {
  readonly id: string;
  readonly body: Record<string, unknown>;
  readonly at: number;
}

/** Arguments that are JSON text on the wire (form-encoded by @slack/web-api) are stored parsed. */
const JSON_ARGS = new Set(["blocks", "metadata", "view", "attachments"]);

function parseArgs(raw: string, contentType: string | undefined): Record<string, unknown> {
  if ((contentType ?? "").includes("application/json")) return raw === "" ? {} : (JSON.parse(raw) as Record<string, unknown>);
  const args: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if (JSON_ARGS.has(k)) {
      try {
        args[k] = JSON.parse(v);
        continue;
      } catch {
        // keep the raw text: the validation below reports it
      }
    }
    args[k] = v;
  }
  return args;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/**
 * The Slack Web API at its HTTP boundary, for tests: records every call,
 * checks required arguments against test/fixtures/slack/methods/*.json
 * and every Block Kit payload against the limits, answers like Slack, can
 * inject 429 (with Retry-After) and 500 (optionally after applying the call,
 * the ambiguous case), or a time-based storm of either on every method,
 * keeps messages by ts, and takes response_url posts at /response/<id>.
 */
export class FakeSlackServer {
  readonly calls: FakeCall[] = [];
  readonly messages = new Map<string, FakeMessage>();
  readonly ephemerals: Array<Record<string, unknown>> = [];
  readonly views: Array<{ readonly method: string; readonly view: Record<string, unknown>; readonly at: number }> = [];
  readonly responses: ResponseUrlPost[] = [];
  /** Block Kit violations seen in any payload (posts are refused with invalid_blocks as Slack would). */
  readonly violations: string[] = [];
  readonly usergroups = new Map<string, string[]>();
  /** Files shared by the external upload flow (files.getUploadURLExternal, POST to the URL, files.completeUploadExternal). */
  readonly files: { id: string; title: string; channel?: string; threadTs?: string; content: string }[] = [];
  private readonly uploads = new Map<string, string>();
  /** What apps.connections.open hands out (a FakeSocketMode's url); unset: Socket Mode is not offered. */
  socketModeUrl: string | undefined;
  /** conversations.members by channel id; a channel not set here answers channel_not_found. */
  readonly channelMembers = new Map<string, string[]>();
  private readonly injected = new Map<string, Injected[]>();
  private stormy: (StormOptions & { readonly until: number }) | undefined;
  /** Counts of the current (or last) storm. */
  readonly stormTally: StormTally = { limited: 0, failed: 0, committed: 0 };
  private readonly stormCalls = new Map<string, number>();
  private readonly required = new Map<string, string[]>();
  private counter = 0;
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(host = "127.0.0.1"): Promise<FakeSlackServer> {
    const holder: { self?: FakeSlackServer } = {};
    const server = createServer((req, res) => {
      void holder.self?.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen({ host, port: 0 }, resolve));
    const { port } = server.address() as AddressInfo;
    const self = new FakeSlackServer(server, `http://${host}:${port}`);
    holder.self = self;
    return self;
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  responseUrl(id: string): string {
    return `${this.url}/response/${id}`;
  }

  inject(method: string, failure: Injected, times = 1): void {
    const list = this.injected.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(failure);
    this.injected.set(method, list);
  }

  /**
   * Every /api/ call answers `status` until `ms` from now (response_url posts
   * are not the Web API and go through). One-shot `inject`s still come first.
   * Returns when the storm ends (epoch ms).
   */
  storm(options: StormOptions): number {
    const until = Date.now() + options.ms;
    this.stormy = { ...options, until };
    Object.assign(this.stormTally, { limited: 0, failed: 0, committed: 0 });
    this.stormCalls.clear();
    return until;
  }

  /** The failure the storm gives this call, if one is blowing. */
  private stormFailure(method: string): Injected | undefined {
    const s = this.stormy;
    if (s === undefined || Date.now() >= s.until) return undefined;
    if (s.status === 429) {
      this.stormTally.limited++;
      return { status: 429, retryAfter: s.retryAfter ?? 1 };
    }
    // Evenly spread per method (so that look-ups in between do not take a post's turn): the method's call n
    // commits when floor(n * ratio) steps up, so the share is exact and the sequence fixed.
    this.stormTally.failed++;
    const n = this.stormCalls.get(method) ?? 0;
    this.stormCalls.set(method, n + 1);
    const ratio = s.commitRatio ?? 0;
    const commit = Math.floor((n + 1) * ratio) > Math.floor(n * ratio);
    if (commit && !READ_METHODS.has(method)) this.stormTally.committed++;
    return { status: 500, commit };
  }

  callsOf(method: string): FakeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  responsesTo(id: string): ResponseUrlPost[] {
    return this.responses.filter((r) => r.id === id);
  }

  latest(ts: string): FakeMessage["versions"][number] | undefined {
    const m = this.messages.get(ts);
    return m?.versions[m.versions.length - 1];
  }

  topLevel(channel?: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.thread_ts === undefined && (channel === undefined || m.channel === channel));
  }

  replies(ts: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.thread_ts === ts);
  }

  /** Resolves when `predicate` holds (checked after every request), or rejects after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("fake Slack: condition not met in time");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private requiredArgs(method: string): string[] {
    let req = this.required.get(method);
    if (req === undefined) {
      const file = `${METHODS_DIR}/${method}.json`;
      req = existsSync(file) ? ((JSON.parse(readFileSync(file, "utf8")) as { args?: { required?: string[] } }).args?.required ?? []) : [];
      this.required.set(method, req);
    }
    return req;
  }

  private nextTs(): string {
    return `${Math.floor(Date.now() / 1000)}.${String(++this.counter).padStart(6, "0")}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? "").split("?")[0] ?? "";
    const send = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers });
      res.end(JSON.stringify(body));
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    };
    if (path.startsWith("/response/")) {
      this.responses.push({ id: decodeURIComponent(path.slice("/response/".length)), body: JSON.parse(raw || "{}") as Record<string, unknown>, at: Date.now() });
      send(200, { ok: true });
      return;
    }
    if (path.startsWith("/upload/")) {
      this.uploads.set(decodeURIComponent(path.slice("/upload/".length)), raw);
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("OK");
      return;
    }
    if (!path.startsWith("/api/")) {
      send(404, { ok: false, error: "unknown_path" });
      return;
    }
    const method = path.slice("/api/".length);
    const args = parseArgs(raw, req.headers["content-type"]);
    const auth = req.headers.authorization;
    const token = auth?.startsWith("Bearer ") === true ? auth.slice(7) : typeof args.token === "string" ? args.token : undefined;
    const record = (status: number, response: Record<string, unknown>): void => {
      this.calls.push({ method, args, token, at: Date.now(), status, response });
    };

    const failure = this.injected.get(method)?.shift() ?? this.stormFailure(method);
    if (failure?.status === 429) {
      const body = { ok: false, error: "ratelimited" };
      record(429, body);
      send(429, body, { "Retry-After": String(failure.retryAfter) });
      return;
    }
    if (failure?.status === 500) {
      // commit: the call took effect, only the answer was lost (the case that creates duplicates);
      // without it the call is not applied at all (an update must not show either).
      if (failure.commit === true) this.apply(method, args, token);
      const body = { ok: false, error: "internal_error" };
      record(500, body);
      send(500, body);
      return;
    }
    const response = this.apply(method, args, token);
    record(200, response);
    send(200, response);
  }

  private apply(method: string, args: Record<string, unknown>, token: string | undefined): Record<string, unknown> {
    if (token === undefined || token === "") return { ok: false, error: "not_authed" };
    const missing = this.requiredArgs(method).filter((a) => a !== "token" && (args[a] === undefined || args[a] === ""));
    if (missing.length > 0) return { ok: false, error: "invalid_arguments", response_metadata: { messages: missing.map((m) => `[ERROR] missing required field: ${m}`) } };
    if (Array.isArray(args.blocks)) {
      const problems = validateBlocks(args.blocks as Block[], "message");
      if (problems.length > 0) {
        this.violations.push(...problems.map((p) => `${method}: ${p}`));
        return { ok: false, error: "invalid_blocks" };
      }
    }
    const channel = typeof args.channel === "string" ? args.channel : "";
    switch (method) {
      case "auth.test":
        return { ...AUTH_TEST.bot_token_success };
      case "chat.postMessage": {
        const ts = this.nextTs();
        const thread = typeof args.thread_ts === "string" ? args.thread_ts : undefined;
        if (thread !== undefined && !this.messages.has(thread)) return { ok: false, error: "thread_not_found" };
        this.messages.set(ts, {
          channel,
          ts,
          ...(thread === undefined ? {} : { thread_ts: thread }),
          metadata: args.metadata,
          versions: [{ text: args.text, blocks: args.blocks as Block[] | undefined, at: Date.now() }],
        });
        return { ok: true, channel, ts, message: { type: "message", ts, text: args.text, blocks: args.blocks, bot_id: AUTH_TEST.bot_token_success.bot_id } };
      }
      case "chat.update": {
        const m = this.messages.get(String(args.ts));
        if (m === undefined || m.channel !== channel) return { ok: false, error: "message_not_found" };
        m.versions.push({ text: args.text, blocks: args.blocks as Block[] | undefined, at: Date.now() });
        if (args.metadata !== undefined) m.metadata = args.metadata;
        return { ok: true, channel, ts: m.ts, text: args.text };
      }
      case "chat.getPermalink": {
        const m = this.messages.get(String(args.message_ts));
        if (m === undefined || m.channel !== channel) return { ok: false, error: "message_not_found" };
        return { ok: true, channel, permalink: `${this.url}/archives/${channel}/p${m.ts.replace(".", "")}` };
      }
      case "chat.postEphemeral":
        this.ephemerals.push(args);
        return { ok: true, message_ts: this.nextTs() };
      case "conversations.history":
      case "conversations.replies": {
        const list = [...this.messages.values()].filter((m) =>
          m.channel === channel && (method === "conversations.history" ? m.thread_ts === undefined : m.ts === args.ts || m.thread_ts === args.ts),
        );
        const withMeta = args.include_all_metadata === true || args.include_all_metadata === "true";
        return { ok: true, messages: list.map((m) => ({ type: "message", ts: m.ts, ...(withMeta && m.metadata !== undefined ? { metadata: m.metadata } : {}) })), has_more: false };
      }
      case "files.getUploadURLExternal": {
        const id = `F${++this.counter}`;
        this.uploads.set(id, "");
        return { ok: true, upload_url: `${this.url}/upload/${id}`, file_id: id };
      }
      case "files.completeUploadExternal": {
        const list = (typeof args.files === "string" ? JSON.parse(args.files) : args.files) as { id: string; title?: string }[] | undefined;
        if (!Array.isArray(list) || list.length === 0) return { ok: false, error: "invalid_arguments" };
        for (const f of list) {
          const content = this.uploads.get(f.id);
          if (content === undefined) return { ok: false, error: "file_not_found" };
          this.files.push({
            id: f.id,
            title: f.title ?? f.id,
            content,
            ...(typeof args.channel_id === "string" ? { channel: args.channel_id } : {}),
            ...(typeof args.thread_ts === "string" ? { threadTs: args.thread_ts } : {}),
          });
        }
        return { ok: true, files: list.map((f) => ({ id: f.id, title: f.title ?? f.id })) };
      }
      case "apps.connections.open":
        // Called with the app-level token (xapp-…); every call is a new connection.
        return this.socketModeUrl === undefined ? { ok: false, error: "not_allowed_token_type" } : { ok: true, url: this.socketModeUrl };
      case "conversations.members": {
        // Pages of 2 whatever `limit` says, so that callers must follow next_cursor.
        const members = this.channelMembers.get(channel);
        if (members === undefined) return { ok: false, error: "channel_not_found" };
        const from = Number(args.cursor ?? 0);
        const next = from + 2 < members.length ? String(from + 2) : "";
        return { ok: true, members: members.slice(from, from + 2), response_metadata: { next_cursor: next } };
      }
      case "usergroups.users.list": {
        const users = this.usergroups.get(String(args.usergroup));
        return users === undefined ? { ok: false, error: "no_such_subteam" } : { ok: true, users };
      }
      case "views.open":
      case "views.push":
      case "views.update":
      case "views.publish": {
        const view = args.view as Record<string, unknown>;
        const problems = view.type === "modal" ? validateModal(view as unknown as ModalView) : validateBlocks((view.blocks ?? []) as Block[], "home");
        if (problems.length > 0) {
          this.violations.push(...problems.map((p) => `${method}: ${p}`));
          return { ok: false, error: "invalid_arguments" };
        }
        this.views.push({ method, view, at: Date.now() });
        return { ok: true, view: { id: `V${++this.counter}`, ...view } };
      }
      case "users.info":
        // Every fake user lives in Paris: reports show times in UTC and in the requester's zone.
        return { ok: true, user: { id: args.user, name: String(args.user).toLowerCase(), tz: "Europe/Paris" } };
      default:
        return { ok: true };
    }
  }
}
