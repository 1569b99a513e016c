import type { SlackApi } from "../../../src/bot/notifier/slack-api";

export interface RecordedCall {
  readonly method: string;
  readonly args: Record<string, unknown>;
  readonly at: number;
  readonly outcome: "ok" | "429" | "500" | "500-committed" | "network";
}

export type Failure = { readonly kind: "429"; readonly retryAfterSeconds: number } | { readonly kind: "500"; readonly commit?: boolean } | { readonly kind: "network" };

export interface StoredMessage {
  readonly channel: string;
  readonly ts: string;
  readonly thread_ts?: string;
  readonly metadata?: unknown;
  versions: Array<Record<string, unknown>>;
}

/**
 * An in-process stand-in for the Web API for unit tests of the notifier: it
 * throws errors shaped like @slack/web-api's (by `code`), records call times
 * on the injected clock, and keeps messages by ts. The HTTP-level fake is
 * `FakeSlackServer`.
 */
export class MemorySlackApi implements SlackApi {
  readonly calls: RecordedCall[] = [];
  readonly messages = new Map<string, StoredMessage>();
  /** Files shared by files.completeUploadExternal, with the bytes POSTed to their upload URL. */
  readonly files: Array<{ readonly id: string; readonly title: string; readonly content: string; readonly channel: string; readonly threadTs?: string }> = [];
  private readonly uploads = new Map<string, string>();
  private readonly failures = new Map<string, Failure[]>();
  private counter = 0;

  constructor(private readonly now: () => number) {}

  failNext(method: string, failure: Failure, times = 1): void {
    const list = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(failure);
    this.failures.set(method, list);
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  latest(ts: string): Record<string, unknown> | undefined {
    const m = this.messages.get(ts);
    return m?.versions[m.versions.length - 1];
  }

  /** The POST of an upload's bytes, recorded as the call "upload" (its failures injected by `failNext("upload", …)`). */
  uploadBytes(url: string, bytes: Buffer): Promise<void> {
    return this.apiCall("upload", { url, content: bytes.toString("utf8") }).then(() => undefined);
  }

  apiCall(method: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const failure = this.failures.get(method)?.shift();
    const record = (outcome: RecordedCall["outcome"]): void => {
      this.calls.push({ method, args, at: this.now(), outcome });
    };
    if (failure?.kind === "429") {
      record("429");
      return Promise.reject(Object.assign(new Error("rate limited"), { code: "slack_webapi_rate_limited_error", retryAfter: failure.retryAfterSeconds }));
    }
    if (failure?.kind === "network") {
      record("network");
      return Promise.reject(Object.assign(new Error("socket hang up"), { code: "slack_webapi_request_error" }));
    }
    if (failure?.kind === "500" && failure.commit !== true) {
      record("500");
      return Promise.reject(Object.assign(new Error("An HTTP protocol error occurred: statusCode = 500"), { code: "slack_webapi_http_error", statusCode: 500 }));
    }
    const result = this.apply(method, args);
    if (failure?.kind === "500") {
      record("500-committed");
      return Promise.reject(Object.assign(new Error("An HTTP protocol error occurred: statusCode = 500"), { code: "slack_webapi_http_error", statusCode: 500 }));
    }
    record("ok");
    return Promise.resolve(result);
  }

  private apply(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const channel = typeof args.channel === "string" ? args.channel : "";
    switch (method) {
      case "chat.postMessage": {
        const ts = `1700000000.${String(++this.counter).padStart(6, "0")}`;
        this.messages.set(ts, {
          channel,
          ts,
          ...(typeof args.thread_ts === "string" ? { thread_ts: args.thread_ts } : {}),
          metadata: args.metadata,
          versions: [args],
        });
        return { ok: true, channel, ts };
      }
      case "chat.update": {
        const m = this.messages.get(String(args.ts));
        if (m === undefined) throw Object.assign(new Error("message_not_found"), { code: "slack_webapi_platform_error", data: { ok: false, error: "message_not_found" } });
        m.versions.push(args);
        return { ok: true, channel, ts: m.ts };
      }
      case "conversations.history":
      case "conversations.replies": {
        const list = [...this.messages.values()].filter(
          (m) => m.channel === channel && (method === "conversations.history" ? m.thread_ts === undefined : m.thread_ts === args.ts || m.ts === args.ts),
        );
        return { ok: true, messages: list.map((m) => ({ ts: m.ts, metadata: m.metadata })) };
      }
      case "files.getUploadURLExternal": {
        const id = `F${++this.counter}`;
        this.uploads.set(id, "");
        return { ok: true, upload_url: `https://files.example/upload/${id}`, file_id: id };
      }
      case "upload": {
        const id = String(args.url).split("/").pop() ?? "";
        if (!this.uploads.has(id)) throw Object.assign(new Error("An HTTP protocol error occurred: statusCode = 404"), { code: "slack_webapi_http_error", statusCode: 404 });
        this.uploads.set(id, String(args.content));
        return {};
      }
      case "files.completeUploadExternal": {
        const list = JSON.parse(String(args.files)) as Array<{ id: string; title: string }>;
        for (const f of list) {
          this.files.push({ id: f.id, title: f.title, content: this.uploads.get(f.id) ?? "", channel: String(args.channel_id), ...(typeof args.thread_ts === "string" ? { threadTs: args.thread_ts } : {}) });
        }
        return { ok: true, files: list };
      }
      default:
        return { ok: true };
    }
  }
}
