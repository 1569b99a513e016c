import type { Block, ModalView } from "../../src/bot/blocks/block-types";
import { validateBlocks, validateModal } from "../../src/bot/blocks/validate-blocks";
import type { ConsoleStore } from "./console-store";
import type { ConsoleMessage } from "./console-types";
import type { TriggerBook } from "./trigger-book";

export interface WebApiAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ConsoleWebApiOptions {
  readonly store: ConsoleStore;
  readonly triggers: TriggerBook;
  readonly botToken: string;
  readonly team: { readonly id: string; readonly name: string };
  readonly botId: string;
  /** Base URL shown by auth.test. */
  readonly url: string;
  /** User group id -> member user ids (usergroups.users.list). */
  readonly userGroups?: Readonly<Record<string, readonly string[]>>;
}

type Args = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");
const truthy = (v: unknown): boolean => v === true || v === "true" || v === "1";

function ok(body: Record<string, unknown> = {}): WebApiAnswer {
  return { status: 200, body: { ok: true, ...body } };
}

function fail(error: string, extra: Record<string, unknown> = {}): WebApiAnswer {
  return { status: 200, body: { ok: false, error, ...extra } };
}

function slackMessage(m: ConsoleMessage, withMetadata: boolean, botId: string, botUserId: string): Record<string, unknown> {
  return {
    type: "message",
    ts: m.ts,
    user: m.user,
    ...(m.user === botUserId ? { bot_id: botId } : {}),
    text: m.text,
    blocks: m.blocks,
    ...(m.threadTs === undefined ? {} : { thread_ts: m.threadTs }),
    ...(withMetadata && m.metadata !== undefined ? { metadata: m.metadata } : {}),
  };
}

/**
 * The Web API methods the bot calls, answered from the console's store the
 * way Slack answers them: the bot token is required, Block Kit is checked
 * against Slack's limits (invalid_blocks), unknown channels and messages are
 * refused with Slack's error names.
 */
export class ConsoleWebApi {
  private readonly failures = new Map<string, Array<{ readonly status: 429 | 500; readonly retryAfterSeconds: number }>>();

  constructor(private readonly options: ConsoleWebApiOptions) {}

  /** The next `times` calls of `method` answer 429 (with Retry-After) or 500: to see the bot's back-off and the metrics move. */
  failNext(method: string, failure: { readonly status: 429 | 500; readonly retryAfterSeconds?: number }, times = 1): void {
    const list = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push({ status: failure.status, retryAfterSeconds: failure.retryAfterSeconds ?? 1 });
    this.failures.set(method, list);
  }

  call(method: string, args: Args, token: string | undefined): WebApiAnswer {
    if (token === undefined || token === "") return fail("not_authed");
    if (token !== this.options.botToken) return fail("invalid_auth");
    const failure = this.failures.get(method)?.shift();
    if (failure?.status === 429) return { status: 429, body: { ok: false, error: "ratelimited" }, headers: { "Retry-After": String(failure.retryAfterSeconds) } };
    if (failure?.status === 500) return { status: 500, body: { ok: false, error: "internal_error" } };
    const blocksProblem = this.checkBlocks(method, args);
    if (blocksProblem !== undefined) return blocksProblem;
    switch (method) {
      case "auth.test":
        return ok({ url: this.options.url, team: this.options.team.name, user: "intervene", team_id: this.options.team.id, user_id: this.options.store.botUserId, bot_id: this.options.botId, is_enterprise_install: false });
      case "chat.postMessage":
        return this.postMessage(args);
      case "chat.update":
        return this.update(args);
      case "chat.postEphemeral":
        return this.postEphemeral(args);
      case "chat.delete": {
        const m = this.options.store.byTs(str(args.channel), str(args.ts));
        if (m === undefined) return fail("message_not_found");
        this.options.store.delete(m.id);
        return ok({ channel: m.channel, ts: m.ts });
      }
      case "chat.getPermalink": {
        const m = this.options.store.byTs(str(args.channel), str(args.message_ts));
        if (m === undefined) return fail("message_not_found");
        return ok({ channel: m.channel, permalink: `${this.options.url}/console#${m.channel}/${m.ts}` });
      }
      case "conversations.history":
      case "conversations.replies":
        return this.history(method, args);
      case "usergroups.users.list": {
        const users = this.options.userGroups?.[str(args.usergroup)];
        return users === undefined ? fail("no_such_subteam") : ok({ users: [...users] });
      }
      case "users.info": {
        const user = this.options.store.users.find((u) => u.id === str(args.user));
        return user === undefined ? fail("user_not_found") : ok({ user: { id: user.id, name: user.name.toLowerCase(), real_name: user.name, team_id: this.options.team.id, is_bot: false } });
      }
      case "views.open":
      case "views.push":
        return this.openView(method, args);
      case "views.update":
        return this.updateView(args);
      case "views.publish": {
        const user = str(args.user_id);
        if (!this.options.store.hasUser(user)) return fail("user_not_found");
        this.options.store.publishHome(user, args.view as Record<string, unknown>);
        return ok({ view: { id: `VHOME${user}`, ...(args.view as Record<string, unknown>) } });
      }
      default:
        return fail("unknown_method");
    }
  }

  private checkBlocks(method: string, args: Args): WebApiAnswer | undefined {
    let problems: string[] = [];
    if (Array.isArray(args.blocks)) problems = validateBlocks(args.blocks as Block[], "message");
    const view = args.view as Record<string, unknown> | undefined;
    if (method.startsWith("views.") && (typeof view !== "object" || view === null)) return fail("invalid_arguments");
    if (view !== undefined && view !== null) problems = view.type === "modal" ? validateModal(view as unknown as ModalView) : validateBlocks((view.blocks ?? []) as Block[], "home");
    if (problems.length === 0) return undefined;
    this.options.store.notice(`${method} refused (invalid_blocks): ${problems.slice(0, 3).join("; ")}`);
    return fail(method.startsWith("views.") ? "invalid_arguments" : "invalid_blocks", { response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } });
  }

  private postMessage(args: Args): WebApiAnswer {
    const { store } = this.options;
    const channel = str(args.channel);
    if (!store.hasChannel(channel)) return fail("channel_not_found");
    if (str(args.text) === "" && !Array.isArray(args.blocks)) return fail("no_text");
    const threadTs = str(args.thread_ts);
    if (threadTs !== "" && store.byTs(channel, threadTs) === undefined) return fail("thread_not_found");
    const m = store.post({
      channel,
      user: store.botUserId,
      text: str(args.text),
      blocks: Array.isArray(args.blocks) ? (args.blocks as unknown[]) : [],
      ...(threadTs === "" ? {} : { threadTs }),
      ...(args.metadata === undefined ? {} : { metadata: args.metadata }),
    });
    return ok({ channel, ts: m.ts, message: slackMessage(m, false, this.options.botId, store.botUserId) });
  }

  private update(args: Args): WebApiAnswer {
    const { store } = this.options;
    const channel = str(args.channel);
    const m = store.byTs(channel, str(args.ts));
    if (m === undefined) return fail("message_not_found");
    if (m.user !== store.botUserId) return fail("cant_update_message");
    const next = store.replace(m.id, {
      text: args.text === undefined ? m.text : str(args.text),
      blocks: Array.isArray(args.blocks) ? (args.blocks as unknown[]) : m.blocks,
      ...(args.metadata === undefined ? {} : { metadata: args.metadata }),
    });
    return ok({ channel, ts: m.ts, text: next?.text ?? "" });
  }

  private postEphemeral(args: Args): WebApiAnswer {
    const { store } = this.options;
    const channel = str(args.channel);
    const user = str(args.user);
    if (!store.hasChannel(channel)) return fail("channel_not_found");
    if (!store.hasUser(user)) return fail("user_not_found");
    const threadTs = str(args.thread_ts);
    const m = store.post({
      channel,
      user: store.botUserId,
      text: str(args.text),
      blocks: Array.isArray(args.blocks) ? (args.blocks as unknown[]) : [],
      ephemeralFor: user,
      ...(threadTs === "" ? {} : { threadTs }),
    });
    return ok({ message_ts: m.ts });
  }

  private history(method: string, args: Args): WebApiAnswer {
    const { store } = this.options;
    const channel = str(args.channel);
    if (!store.hasChannel(channel)) return fail("channel_not_found");
    const withMetadata = truthy(args.include_all_metadata);
    const oldest = Number(str(args.oldest) || "0");
    const limit = Math.max(1, Math.min(1000, Number(str(args.limit) || "100")));
    if (method === "conversations.history") {
      // Newest first, as Slack returns history.
      const list = store.channelMessages(channel, (m) => m.threadTs === undefined && Number(m.ts) >= oldest).reverse();
      return ok({ messages: list.slice(0, limit).map((m) => slackMessage(m, withMetadata, this.options.botId, store.botUserId)), has_more: list.length > limit });
    }
    const parent = store.byTs(channel, str(args.ts));
    if (parent === undefined) return fail("thread_not_found");
    const list = [parent, ...store.channelMessages(channel, (m) => m.threadTs === parent.ts)];
    return ok({ messages: list.slice(0, limit).map((m) => slackMessage(m, withMetadata, this.options.botId, store.botUserId)), has_more: list.length > limit });
  }

  private openView(method: string, args: Args): WebApiAnswer {
    const trigger = this.options.triggers.use(str(args.trigger_id));
    if (trigger === undefined) return fail("invalid_trigger_id");
    const opened = this.options.store.openView(trigger.user, args.view as Record<string, unknown>, method === "views.push" ? "push" : "open");
    return ok({ view: { id: opened.id, hash: opened.hash, ...opened.view } });
  }

  private updateView(args: Args): WebApiAnswer {
    const id = str(args.view_id);
    const current = this.options.store.view(id);
    if (current === undefined) return fail("not_found");
    if (str(args.hash) !== "" && str(args.hash) !== current.hash) return fail("hash_conflict");
    const updated = this.options.store.updateView(id, args.view as Record<string, unknown>);
    return ok({ view: { id, hash: updated?.hash, ...(args.view as Record<string, unknown>) } });
  }
}
