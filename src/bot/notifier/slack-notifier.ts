import type { Logger } from "pino";
import type { ApproverSet, RunEvent, RunRecord } from "../../jobs/run-types";
import type { MessagePayload } from "../blocks/block-types";
import { renderRunMessage, type RunMessageContext } from "../blocks/render-run-message";
import { renderStepOutput } from "../blocks/render-step-output";
import { renderApprovalRequest, renderFinalReply } from "../blocks/render-thread-notices";
import { BotError } from "../bot-errors";
import { systemClock, type Clock } from "./clock";
import { ChannelLines } from "./channel-lines";
import { MemoryNotifierStore, refFromNotifierState, type MessageRef, type NotifierStore } from "./notifier-store";
import type { NotifierLease } from "./notifier-lease";
import type { SlackApi } from "./slack-api";
import { uploadTextFile } from "./upload-file";
import { DEFAULT_RETRY, SlackCaller, type RetryPolicy } from "./slack-caller";
import { UpdateThrottle } from "./update-throttle";

export interface SlackNotifierOptions {
  readonly api: SlackApi;
  /** Channel id for a cluster's run messages; undefined means the run is not announced. */
  readonly channelFor: (cluster: string) => string | undefined;
  readonly logger: Logger;
  /** @defaultValue in memory */
  readonly store?: NotifierStore;
  /** @defaultValue the system clock */
  readonly clock?: Clock;
  /** Slack asks for no more than about one update per second per message. @defaultValue 1000 */
  readonly minUpdateIntervalMs?: number;
  /** Spacing of new messages in one channel (Slack allows about one per second, with bursts). @defaultValue 1000 */
  readonly minPostIntervalMs?: number;
  readonly retry?: RetryPolicy;
  /**
   * Several bot processes: only the lease holder of a run writes for it, and
   * a bot whose peer died takes its runs over (issue 15 point 1). Unset: this
   * process writes for every run.
   */
  readonly lease?: NotifierLease;
  /** How often leases are renewed and lapsed ones taken over. @defaultValue lease.ttlMs / 4 */
  readonly leaseCheckMs?: number;
  /** The run's incident report (issue 16 point 1), shared as a file in its thread when it ends. */
  readonly report?: (runId: string, api: SlackApi) => Promise<string | undefined>;
}

/** The metadata event type that marks our messages, so an ambiguous post can be found instead of repeated. */
export const MESSAGE_EVENT_TYPE = "intervene_message";
const LIVE_TAIL_CHARS = 2000;
const MAX_SLOTS = 500;
/**
 * A queued post whose Slack calls were given up on (a retryable failure
 * outlasting the caller's back-off, e.g. a 30 s outage) is tried again this
 * many times, this long apart, before it is dropped: an outage must not cost
 * a run its message or its approval mention. Found by `npm run chaos`.
 */
const OUTAGE_ROUNDS = 20;
const OUTAGE_ROUND_DELAY_MS = 15_000;

/** Marks a post result that is an earlier attempt found in Slack, not this call's answer. */
const FOUND = "intervene_found_earlier";

/** Where a post went, and whether it is an earlier attempt found landed (its content is that attempt's). */
interface PostedRef extends MessageRef {
  readonly earlier: boolean;
}

/** A piece of a run's Slack work, kept as data until its turn (see ChannelLines). */
interface QueuedWork {
  readonly run: () => Promise<void>;
  /** Whether it posts, and so waits for its turn in the channel's line. */
  readonly paced: boolean;
  /** Attempts made, for the outage bound. */
  round: number;
}

interface RunSlot {
  readonly runId: string;
  run?: RunRecord;
  approvers?: ApproverSet;
  live?: { stepIndex: number; host: string; tail: string };
  ref?: MessageRef;
  refPromise?: Promise<MessageRef | undefined>;
  /** This run's Slack work not yet done, in order: the run message first, then its thread replies. */
  readonly work: QueuedWork[];
  /** Its first piece of work is in its channel's line, running, or waiting out an outage. */
  busy: boolean;
  readonly posted: Set<string>;
  /** Posts (by key) whose last attempt failed without saying whether it landed, and since when: look before posting again. */
  readonly uncertain: Map<string, number>;
  lastSentJson?: string;
  /** Until when this process holds the run's lease (0: not known to hold it). */
  heldUntil: number;
  /** The last answer of the lease was `held`: a renewal is not a takeover. */
  holder?: boolean;
  /**
   * This process took the run's lease when no process had held it, and has
   * held it since: no other bot can have posted the run message, so it is
   * posted without looking for one first.
   */
  firstHolder?: boolean;
  /** The run message this process posted, kept until its ref is saved: a failed save is retried, not the post. */
  landed?: MessageRef;
  /** The final state was written by this process: nothing more to do. */
  settled?: boolean;
  /** A post of the run message is in this run's line and has not begun. */
  postQueued?: boolean;
  /** The channel line the running piece of work holds, until its first post is answered. */
  line?: { readonly channel: string | undefined; readonly release: () => void };
}

/**
 * Turns run events into Slack messages: one run message per run (posted once,
 * then updated in place, throttled), one thread reply per finished step with
 * its output tail, a mention when approval is needed, a final summary.
 */
export class SlackNotifier {
  private readonly slots = new Map<string, RunSlot>();
  private readonly caller: SlackCaller;
  private readonly throttle: UpdateThrottle;
  private readonly clock: Clock;
  private readonly store: NotifierStore;
  private readonly lines: ChannelLines;
  /** Pieces of work queued and not yet done, for `flush`. */
  private outstanding = 0;
  private idleWaiters: Array<() => void> = [];

  private leaseTimer: unknown;

  constructor(private readonly options: SlackNotifierOptions) {
    this.clock = options.clock ?? systemClock;
    this.store = options.store ?? new MemoryNotifierStore();
    this.caller = new SlackCaller(options.api, this.clock, options.logger, options.retry ?? DEFAULT_RETRY);
    this.throttle = new UpdateThrottle(this.clock, options.minUpdateIntervalMs ?? 1000, options.logger);
    this.lines = new ChannelLines(this.clock, options.minPostIntervalMs ?? 1000);
    const lease = options.lease;
    if (lease !== undefined) {
      // Renew the runs this process writes for, and take over those whose writer stopped renewing.
      // On the notifier's clock (tests move it), and never what keeps the process alive.
      const every = options.leaseCheckMs ?? Math.max(250, Math.floor(lease.ttlMs / 4));
      const tick = (): void => {
        this.tendLeases();
        this.leaseTimer = this.clock.setTimeout(tick, every);
        (this.leaseTimer as { unref?: () => void }).unref?.();
      };
      this.leaseTimer = this.clock.setTimeout(tick, every);
      (this.leaseTimer as { unref?: () => void }).unref?.();
    }
  }

  /** Whether this process may write for the run now: always without a lease; else it holds (or just took) the lease. */
  private async mayWrite(slot: RunSlot): Promise<boolean> {
    if (this.options.lease === undefined) return true;
    if (slot.heldUntil > this.clock.now()) return true;
    return (await this.holdLease(slot)) === "held";
  }

  /** Asks Redis for the run's lease (take if free or ours, renew) and records the answer on the slot. */
  private async holdLease(slot: RunSlot): Promise<"held" | "busy" | "done"> {
    const lease = this.options.lease!;
    const now = this.clock.now();
    const answer = await lease.hold(slot.runId).catch((err: unknown) => {
      this.options.logger.warn({ runId: slot.runId, err: err instanceof Error ? err.message : String(err) }, "slack notifier: lease check failed; not writing");
      return "busy" as const;
    });
    const state = answer === "first" ? "held" : answer;
    if (state === "done") slot.settled = true;
    // Half the TTL: a hold is re-checked well before it could lapse in Redis.
    slot.heldUntil = state === "held" ? now + lease.ttlMs / 2 : 0;
    // A renewal keeps the first holder first; a hold taken after a gap may follow another bot's.
    slot.firstHolder = answer === "first" || (answer === "held" && slot.holder === true && slot.firstHolder === true);
    slot.holder = state === "held";
    return state;
  }

  /**
   * Renews the leases of the runs this process writes for, and takes over
   * those whose writer stopped renewing. Outside the runs' write queues: a
   * queue stuck retrying Slack through an outage must not let the lease
   * lapse to another bot meanwhile. Only a takeover (not a renewal) logs
   * and brings the message up to date.
   */
  private tendLeases(): void {
    for (const slot of this.slots.values()) {
      if (slot.run === undefined || slot.settled === true) continue;
      const wasHolder = slot.holder === true;
      void this.holdLease(slot).then((state) => {
        if (state !== "held" || wasHolder) return;
        this.options.logger.info({ runId: slot.runId }, "slack notifier: writing for this run (lease taken)");
        this.markStale(slot);
      });
    }
  }

  /** Never throws and never blocks the engine: Slack trouble is logged and retried here. */
  handle(event: RunEvent): void {
    const runId = event.type === "step.output" ? event.runId : event.run.id;
    const slot = this.slot(runId);
    if (event.type !== "step.output" && (slot.run === undefined || event.run.version >= slot.run.version)) slot.run = event.run;
    switch (event.type) {
      case "run.created":
      case "run.updated":
        break;
      case "approval.requested": {
        slot.approvers = event.approvers;
        const attempt = event.stepIndex === null ? 1 : (event.run.steps[event.stepIndex]?.attempt ?? 1);
        this.reply(slot, `gate:${event.stepIndex ?? "run"}:${attempt}`, later(renderApprovalRequest, event.run, event.stepIndex, event.approvers));
        break;
      }
      case "step.output": {
        const same = slot.live !== undefined && slot.live.stepIndex === event.stepIndex && slot.live.host === event.host;
        slot.live = { stepIndex: event.stepIndex, host: event.host, tail: ((same ? slot.live?.tail : "") + event.chunk).slice(-LIVE_TAIL_CHARS) };
        break;
      }
      case "step.finished": {
        if (slot.live?.stepIndex === event.stepIndex) slot.live = undefined;
        const step = event.run.plan.steps[event.stepIndex];
        const record = event.run.steps[event.stepIndex];
        if (step !== undefined && record !== undefined) this.reply(slot, `step:${event.stepIndex}:${record.attempt}`, later(renderStepOutput, step, record));
        break;
      }
      case "run.finished":
        slot.live = undefined;
        this.reply(slot, "final", later(renderFinalReply, event.run), true);
        this.shareReport(slot);
        break;
    }
    this.markStale(slot);
  }

  /** Resolves when every post and update caused by the events so far has gone out (or failed for good). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.outstanding > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      await this.throttle.idle();
      if (this.outstanding === 0) return;
    }
  }

  async close(): Promise<void> {
    if (this.leaseTimer !== undefined) this.clock.clearTimeout(this.leaseTimer);
    this.leaseTimer = undefined;
    await this.flush();
  }

  /** The run message's (channel, ts), once posted. */
  messageRef(runId: string): MessageRef | undefined {
    return this.slots.get(runId)?.ref;
  }

  private slot(runId: string): RunSlot {
    let slot = this.slots.get(runId);
    if (slot === undefined) {
      slot = { runId, work: [], busy: false, posted: new Set(), uncertain: new Map(), heldUntil: 0 };
      this.slots.set(runId, slot);
      if (this.slots.size > MAX_SLOTS) this.evictOne();
    }
    return slot;
  }

  /**
   * Finished runs go first; their message refs stay in the store. Never one
   * with Slack work left: its lease would go unrenewed (another bot would
   * take the run over and this one's queued posts be dropped), and a late
   * event would make a fresh slot that posts a second run message.
   */
  private evictOne(): void {
    for (const [id, s] of this.slots) {
      if (s.run?.finishedAt !== undefined && s.work.length === 0 && !s.busy && s.refPromise === undefined) {
        this.slots.delete(id);
        return;
      }
    }
  }

  /** Queues `run` after the run's earlier work; `paced`: it posts, so it waits for its turn in the channel. */
  private enqueue(slot: RunSlot, run: () => Promise<void>, paced = true): void {
    slot.work.push({ run, paced, round: 1 });
    this.outstanding++;
    this.next(slot);
  }

  /** Starts the run's first piece of work unless one is under way: a run's posts go out in order. */
  private next(slot: RunSlot): void {
    const item = slot.work[0];
    if (slot.busy || item === undefined) return;
    slot.busy = true;
    const attempt = async (release: () => void): Promise<void> => {
      if (item.paced) slot.line = { channel: this.channelOf(slot), release };
      try {
        await item.run();
      } catch (err) {
        if (err instanceof BotError && err.retryable && item.round < OUTAGE_ROUNDS) {
          // Slack down (or failing for a reason that may pass): try again later, out of the channel's
          // line meanwhile; the run's later posts wait, so their order holds.
          this.options.logger.warn({ runId: slot.runId, round: item.round, err: err.message }, "slack notifier: Slack still failing; trying again later");
          slot.line = undefined;
          item.round++;
          this.clock.setTimeout(() => {
            slot.busy = false;
            this.next(slot);
          }, OUTAGE_ROUND_DELAY_MS);
          return;
        }
        this.options.logger.error({ runId: slot.runId, err: err instanceof Error ? err.message : String(err) }, "slack notifier: giving up on a message");
      }
      slot.line = undefined;
      slot.work.shift();
      slot.busy = false;
      if (--this.outstanding === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
      this.next(slot);
    };
    if (item.paced) this.lines.join(this.channelOf(slot), attempt);
    else void attempt(() => undefined);
  }

  /** The channel the run's posts go to: where its message is, else its cluster's. */
  private channelOf(slot: RunSlot): string | undefined {
    return slot.ref?.channel ?? (slot.run === undefined ? undefined : this.options.channelFor(slot.run.plan.cluster));
  }

  private ensureMessage(slot: RunSlot): Promise<MessageRef | undefined> {
    slot.refPromise ??= this.findOrPostRunMessage(slot).then(
      (ref) => {
        if (ref === undefined) slot.refPromise = undefined;
        else {
          slot.ref = ref;
          // Events that came while the post was out saw no ref and marked nothing: bring the message to the state now.
          this.markStale(slot);
        }
        return ref;
      },
      (err: unknown) => {
        // A later event tries again rather than leaving the run without a message for good.
        slot.refPromise = undefined;
        throw err;
      },
    );
    return slot.refPromise;
  }

  private async findOrPostRunMessage(slot: RunSlot): Promise<MessageRef | undefined> {
    const run = slot.run;
    if (run === undefined) return undefined;
    const known = refFromNotifierState(run.notifierState) ?? (await this.store.load(run.id));
    if (known !== undefined) return known;
    if (slot.landed !== undefined) {
      // This process posted it and could not save where it is: save again, never post a second.
      await this.store.save(run.id, slot.landed);
      return slot.landed;
    }
    const channel = this.options.channelFor(run.plan.cluster);
    if (channel === undefined) {
      this.options.logger.warn({ runId: run.id, cluster: run.plan.cluster }, "slack notifier: cluster has no channel; run not announced");
      return undefined;
    }
    if (this.options.lease !== undefined && slot.firstHolder !== true) {
      // A bot that died between its post and saving the ref left a message behind: find it instead of posting a second.
      // Not when this process was the run's first holder and still is: no other bot can have posted.
      // A look that fails is no answer: this attempt fails (and is tried again) rather than risk a second message.
      const found = await this.findPosted(channel, run.id, "run", Date.parse(run.requestedAt), undefined, true);
      if (typeof found?.ts === "string") {
        const ref = { channel, ts: found.ts };
        await this.store.save(run.id, ref);
        return ref;
      }
    }
    // Rendered when its turn in the channel comes, from the run's state then: a post waiting behind
    // Slack's pace holds no rendered message (a backlog of thousands did: `npm run bench -- --soak`).
    let payload: MessagePayload | undefined;
    const { earlier, ...ref } = await this.post(slot, channel, () => (payload = renderRunMessage(slot.run ?? run, this.context(slot))), "run");
    // A post found landed from an earlier attempt shows that attempt's state, not this payload: the next update must go out.
    slot.lastSentJson = earlier || payload === undefined ? undefined : JSON.stringify(payload);
    // The post is the message's first write: its first update waits a full interval after it.
    this.throttle.wrote(`${ref.channel}:${ref.ts}`);
    slot.landed = ref;
    await this.store.save(run.id, ref);
    return ref;
  }

  private reply(slot: RunSlot, key: string, render: () => MessagePayload, broadcast = false): void {
    if (slot.posted.has(key)) return;
    slot.posted.add(key);
    this.enqueue(slot, async () => {
      // Another bot holds the run: it posts this reply (keys are marked here too, so a takeover does not repeat it).
      if (!(await this.mayWrite(slot))) return;
      const ref = await this.ensureMessage(slot);
      if (ref !== undefined) await this.post(slot, ref.channel, render, key, ref.ts, broadcast);
    });
  }

  /** After the final reply: the incident report as a Markdown file in the run's thread, once. */
  private shareReport(slot: RunSlot): void {
    const report = this.options.report;
    if (report === undefined || slot.posted.has("report")) return;
    slot.posted.add("report");
    // Written outside the channel's line: the report may wait for the run's end snapshot (up to 25 s),
    // and must not hold other runs' posts meanwhile. Its upload is then next in the run's work.
    const upload = async (text: string): Promise<void> => {
      const ref = await this.ensureMessage(slot);
      if (ref === undefined) return;
      await this.inTurn(slot, ref.channel, () => uploadTextFile(this.caller, { filename: `intervene-${slot.runId}-report.md`, title: `Incident report: run ${slot.runId}`, content: text, channel: ref.channel, threadTs: ref.ts }));
    };
    this.enqueue(
      slot,
      async () => {
        if (this.channelOf(slot) === undefined || !(await this.mayWrite(slot))) return;
        const text = await report(slot.runId, this.options.api);
        if (text === undefined) return;
        slot.work.splice(1, 0, { run: () => upload(text), paced: true, round: 1 });
        this.outstanding++;
      },
      false,
    );
  }

  private markStale(slot: RunSlot): void {
    if (slot.run === undefined) return;
    if (slot.ref === undefined) {
      // The post renders the state current when it goes out; mark again once it is known. One such
      // post in line per run: each event used to queue another while the first waited behind
      // Slack's pace (eight closures and promises a run in the soak's backlog).
      if (slot.refPromise === undefined && slot.postQueued !== true) {
        slot.postQueued = true;
        this.enqueue(slot, async () => {
          slot.postQueued = false;
          if (!(await this.mayWrite(slot))) return;
          if ((await this.ensureMessage(slot)) !== undefined) this.markStale(slot);
        });
      }
      return;
    }
    const ref = slot.ref;
    this.throttle.mark(`${ref.channel}:${ref.ts}`, () => this.sendUpdate(slot, ref));
  }

  private async sendUpdate(slot: RunSlot, ref: MessageRef): Promise<void> {
    if (slot.run === undefined) return;
    if (!(await this.mayWrite(slot))) return;
    const payload = renderRunMessage(slot.run, this.context(slot));
    const json = JSON.stringify(payload);
    if (json !== slot.lastSentJson) {
      await this.caller.call("chat.update", { channel: ref.channel, ts: ref.ts, text: payload.text, blocks: payload.blocks }, { onRateLimit: "throw" });
      slot.lastSentJson = json;
    }
    if (slot.run.finishedAt !== undefined && slot.settled !== true) {
      slot.settled = true;
      await this.options.lease?.finish(slot.runId);
    }
  }

  private context(slot: RunSlot): RunMessageContext {
    return { ...(slot.approvers === undefined ? {} : { approvers: slot.approvers }), ...(slot.live === undefined ? {} : { live: slot.live }) };
  }

  /** A new message (or thread reply), at the run's turn in the channel's line (see ChannelLines). */
  private post(slot: RunSlot, channel: string, render: () => MessagePayload, key: string, threadTs?: string, broadcast = false): Promise<PostedRef> {
    return this.inTurn(slot, channel, () => this.postNow(slot, channel, render, key, threadTs, broadcast));
  }

  /**
   * One post in `channel`'s line. The piece of work that holds the line (it
   * waited its turn as data) uses it for its first post and frees it once that
   * post is answered, so what it does next (saving the message's ref in Redis)
   * holds no other run's post. A second post in the same piece (the run
   * message, then the reply that needed it), or one to another channel than
   * the line's, waits a turn of its own.
   */
  private async inTurn<T>(slot: RunSlot, channel: string, send: () => Promise<T>): Promise<T> {
    const line = slot.line;
    slot.line = undefined;
    // A line of another channel is of no use here: free it now (waiting on our own line would never end).
    if (line !== undefined && line.channel !== channel) line.release();
    const held = line?.channel === channel ? line.release : undefined;
    const release = held ?? (await this.lines.turn(channel));
    try {
      return await send();
    } finally {
      this.lines.posted(channel);
      release();
    }
  }

  private async postNow(slot: RunSlot, channel: string, render: () => MessagePayload, key: string, threadTs: string | undefined, broadcast: boolean): Promise<PostedRef> {
    const runId = slot.runId;
    const since = slot.uncertain.get(key) ?? this.clock.now();
    if (slot.uncertain.has(key)) {
      // An earlier attempt was given up on without knowing whether it landed: look (with retries) before posting again.
      const found = await this.findPosted(channel, runId, key, since, threadTs, true);
      if (typeof found?.ts === "string") {
        slot.uncertain.delete(key);
        return { channel, ts: found.ts, earlier: true };
      }
    }
    const payload = render();
    const args: Record<string, unknown> = {
      channel,
      text: payload.text,
      blocks: payload.blocks,
      unfurl_links: false,
      unfurl_media: false,
      metadata: { event_type: MESSAGE_EVENT_TYPE, event_payload: { run_id: runId, key } },
      ...(threadTs === undefined ? {} : { thread_ts: threadTs, ...(broadcast ? { reply_broadcast: true } : {}) }),
    };
    let result: Record<string, unknown>;
    try {
      result = await this.caller.call("chat.postMessage", args, { findExisting: () => this.findPosted(channel, runId, key, since, threadTs) });
    } catch (err) {
      if (err instanceof BotError && err.retryable) slot.uncertain.set(key, since);
      throw err;
    }
    slot.uncertain.delete(key);
    const ts = result.ts;
    if (typeof ts !== "string") throw new Error("chat.postMessage answered without a ts");
    return { channel: typeof result.channel === "string" ? result.channel : channel, ts, earlier: result[FOUND] === true };
  }

  /**
   * After an ambiguous failure: did that post land? Looks for our metadata key
   * in the channel or thread. `retried`: through the caller (back-off,
   * Retry-After); else one call, for the caller's own look-ups which it retries.
   */
  private async findPosted(channel: string, runId: string, key: string, since: number, threadTs?: string, retried = false): Promise<Record<string, unknown> | undefined> {
    const call = (method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> => (retried ? this.caller.call(method, args) : this.options.api.apiCall(method, args));
    const result =
      threadTs === undefined
        ? await call("conversations.history", { channel, oldest: ((since - 60_000) / 1000).toFixed(6), include_all_metadata: true, limit: 100 })
        : await call("conversations.replies", { channel, ts: threadTs, include_all_metadata: true, limit: 200 });
    const messages = Array.isArray(result.messages) ? (result.messages as Array<Record<string, unknown>>) : [];
    const found = messages.find((m) => {
      const metadata = m.metadata as { event_type?: unknown; event_payload?: { run_id?: unknown; key?: unknown } } | undefined;
      return metadata?.event_type === MESSAGE_EVENT_TYPE && metadata.event_payload?.run_id === runId && metadata.event_payload.key === key;
    });
    return found === undefined ? undefined : { ok: true, channel, ts: found.ts, [FOUND]: true };
  }
}

/**
 * A render put off until the post's turn, holding only its arguments. A
 * closure written inside `handle` would share that call's scope, and so keep
 * the whole event and its run alive while the post waits behind Slack's pace
 * (thousands of them in a backlog: found by `npm run bench -- --soak`).
 */
function later<A extends unknown[]>(render: (...args: A) => MessagePayload, ...args: A): () => MessagePayload {
  return () => render(...args);
}

export function createSlackNotifier(options: SlackNotifierOptions): SlackNotifier {
  return new SlackNotifier(options);
}
