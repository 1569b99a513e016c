import type { Logger } from "pino";
import type { ApproverSet, RunEvent, RunRecord } from "../../jobs/run-types";
import type { MessagePayload } from "../blocks/block-types";
import { renderRunMessage, type RunMessageContext } from "../blocks/render-run-message";
import { renderStepOutput } from "../blocks/render-step-output";
import { renderApprovalRequest, renderFinalReply } from "../blocks/render-thread-notices";
import { BotError } from "../bot-errors";
import { sleep, systemClock, type Clock } from "./clock";
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

interface RunSlot {
  readonly runId: string;
  run?: RunRecord;
  approvers?: ApproverSet;
  live?: { stepIndex: number; host: string; tail: string };
  ref?: MessageRef;
  refPromise?: Promise<MessageRef | undefined>;
  /** Posts for this run, in order: the run message first, then its thread replies. */
  queue: Promise<void>;
  readonly posted: Set<string>;
  /** Posts (by key) whose last attempt failed without saying whether it landed, and since when: look before posting again. */
  readonly uncertain: Map<string, number>;
  lastSentJson?: string;
  /** Until when this process holds the run's lease (0: not known to hold it). */
  heldUntil: number;
  /** The last answer of the lease was `held`: a renewal is not a takeover. */
  holder?: boolean;
  /** The final state was written by this process: nothing more to do. */
  settled?: boolean;
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
  /** Per channel: the last post in line (posts to one channel go one at a time) and when the last one was answered. */
  private readonly channelTail = new Map<string, Promise<void>>();
  private readonly lastPostDone = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();

  private leaseTimer: unknown;

  constructor(private readonly options: SlackNotifierOptions) {
    this.clock = options.clock ?? systemClock;
    this.store = options.store ?? new MemoryNotifierStore();
    this.caller = new SlackCaller(options.api, this.clock, options.logger, options.retry ?? DEFAULT_RETRY);
    this.throttle = new UpdateThrottle(this.clock, options.minUpdateIntervalMs ?? 1000, options.logger);
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
    const state = await lease.hold(slot.runId).catch((err: unknown) => {
      this.options.logger.warn({ runId: slot.runId, err: err instanceof Error ? err.message : String(err) }, "slack notifier: lease check failed; not writing");
      return "busy" as const;
    });
    if (state === "done") slot.settled = true;
    // Half the TTL: a hold is re-checked well before it could lapse in Redis.
    slot.heldUntil = state === "held" ? now + lease.ttlMs / 2 : 0;
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
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    await this.throttle.idle();
    while (this.pending.size > 0) await Promise.all([...this.pending]);
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
      slot = { runId, queue: Promise.resolve(), posted: new Set(), uncertain: new Map(), heldUntil: 0 };
      this.slots.set(runId, slot);
      if (this.slots.size > MAX_SLOTS) this.evictOne();
    }
    return slot;
  }

  /** Finished runs go first; their message refs stay in the store. */
  private evictOne(): void {
    for (const [id, s] of this.slots) {
      if (s.run?.finishedAt !== undefined) {
        this.slots.delete(id);
        return;
      }
    }
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private enqueue(slot: RunSlot, work: () => Promise<void>): void {
    const next = slot.queue.then(() => this.outlastOutage(slot, work)).catch((err: unknown) => {
      this.options.logger.error({ runId: slot.runId, err: err instanceof Error ? err.message : String(err) }, "slack notifier: giving up on a message");
    });
    slot.queue = next;
    this.track(next);
  }

  /** Runs `work`, again after a pause while it fails for a reason that may pass (Slack down); the slot's later posts wait, so their order holds. */
  private async outlastOutage(slot: RunSlot, work: () => Promise<void>): Promise<void> {
    for (let round = 1; ; round++) {
      try {
        return await work();
      } catch (err) {
        if (!(err instanceof BotError && err.retryable) || round >= OUTAGE_ROUNDS) throw err;
        this.options.logger.warn({ runId: slot.runId, round, err: err.message }, "slack notifier: Slack still failing; trying again later");
        await sleep(this.clock, OUTAGE_ROUND_DELAY_MS);
      }
    }
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
    const channel = this.options.channelFor(run.plan.cluster);
    if (channel === undefined) {
      this.options.logger.warn({ runId: run.id, cluster: run.plan.cluster }, "slack notifier: cluster has no channel; run not announced");
      return undefined;
    }
    if (this.options.lease !== undefined) {
      // A bot that died between its post and saving the ref left a message behind: find it instead of posting a second.
      // A look that fails is no answer: this attempt fails (and is tried again) rather than risk a second message.
      const found = await this.findPosted(channel, run.id, "run", Date.parse(run.requestedAt), undefined, true);
      if (typeof found?.ts === "string") {
        const ref = { channel, ts: found.ts };
        await this.store.save(run.id, ref);
        return ref;
      }
    }
    const payload = renderRunMessage(run, this.context(slot));
    const { earlier, ...ref } = await this.post(slot, channel, payload, "run");
    // A post found landed from an earlier attempt shows that attempt's state, not this payload: the next update must go out.
    slot.lastSentJson = earlier ? undefined : JSON.stringify(payload);
    // The post is the message's first write: its first update waits a full interval after it.
    this.throttle.wrote(`${ref.channel}:${ref.ts}`);
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
      if (ref !== undefined) await this.post(slot, ref.channel, render(), key, ref.ts, broadcast);
    });
  }

  /** After the final reply: the incident report as a Markdown file in the run's thread, once. */
  private shareReport(slot: RunSlot): void {
    const report = this.options.report;
    if (report === undefined || slot.posted.has("report")) return;
    slot.posted.add("report");
    this.enqueue(slot, async () => {
      if (!(await this.mayWrite(slot))) return;
      const ref = await this.ensureMessage(slot);
      const text = ref === undefined ? undefined : await report(slot.runId, this.options.api);
      if (ref === undefined || text === undefined) return;
      await uploadTextFile(this.options.api, { filename: `intervene-${slot.runId}-report.md`, title: `Incident report: run ${slot.runId}`, content: text, channel: ref.channel, threadTs: ref.ts });
    });
  }

  private markStale(slot: RunSlot): void {
    if (slot.run === undefined) return;
    if (slot.ref === undefined) {
      // The post renders the state current when it goes out; mark again once it is known.
      if (slot.refPromise === undefined) {
        this.enqueue(slot, async () => {
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

  /**
   * New messages in one channel go out one at a time, each `minPostIntervalMs`
   * after the previous one was answered: spacing counted from the answer,
   * not the request, keeps them apart when they reach Slack too.
   */
  private async post(slot: RunSlot, channel: string, payload: MessagePayload, key: string, threadTs?: string, broadcast = false): Promise<PostedRef> {
    const previous = this.channelTail.get(channel) ?? Promise.resolve();
    let done: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => (done = resolve));
    this.channelTail.set(channel, mine);
    try {
      await previous;
      const wait = (this.lastPostDone.get(channel) ?? Number.NEGATIVE_INFINITY) + (this.options.minPostIntervalMs ?? 1000) - this.clock.now();
      if (wait > 0) await sleep(this.clock, wait);
      return await this.postNow(slot, channel, payload, key, threadTs, broadcast);
    } finally {
      this.lastPostDone.set(channel, this.clock.now());
      if (this.channelTail.get(channel) === mine) this.channelTail.delete(channel);
      done();
    }
  }

  private async postNow(slot: RunSlot, channel: string, payload: MessagePayload, key: string, threadTs: string | undefined, broadcast: boolean): Promise<PostedRef> {
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
