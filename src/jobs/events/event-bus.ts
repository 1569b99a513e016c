import type Redis from "ioredis";
import { runDelta, type RunDelta } from "./run-delta";
import type { RunEvent, RunRecord } from "../run-types";
import { RunViews, type EventMessage } from "./run-views";
import { CloseGaveUpError, REDIS_CLOSE_MS, settleWithin } from "../../util/settle-within";

/**
 * What goes over the channel: the events of one transition in one message,
 * with their run once: as the transition's delta against the version it was
 * computed from when the publisher knows it, else whole (issue 13 point 3).
 */
interface WireMessage {
  readonly run?: RunRecord;
  readonly delta?: RunDelta;
  readonly events: readonly Record<string, unknown>[];
}

export interface EventBusOptions {
  /**
   * Publish deltas (EVENT_DELTAS). Off while subscribers of an earlier
   * version, which expect whole runs, still listen. @defaultValue true
   */
  readonly deltas?: boolean;
  /** How a subscriber reads a run whose delta it cannot apply. */
  readonly fetchRun: (runId: string) => Promise<RunRecord | undefined>;
  readonly onFetchError?: (runId: string, err: unknown) => void;
  readonly onListenerError?: (event: RunEvent, err: unknown) => void;
}

/** Run events over Redis pub/sub, so a bot process hears what worker processes do. */
export class EventBus {
  private readonly publishing = new Set<Promise<unknown>>();
  private shared: Promise<SharedSubscription> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
    private readonly options: EventBusOptions,
  ) {}

  async publish(event: RunEvent): Promise<void> {
    await this.publishAll([event]);
  }

  /**
   * The events of one transition, in order, as one message; those about the
   * first event's run carry it once. `base`: the record the transition was
   * computed from, so that only the change is sent.
   */
  async publishAll(events: readonly RunEvent[], base?: RunRecord): Promise<void> {
    const message = this.encode(events, base);
    if (message !== undefined) await this.send(message);
  }

  /**
   * A change with no event: subscribers' views move to `run`, listeners hear
   * nothing. Undefined with deltas off (a subscriber of an earlier version
   * would read a whole run without events as nothing anyway).
   */
  encodeChange(run: RunRecord, base: RunRecord): string | undefined {
    return this.options.deltas === false ? undefined : this.wire(run, [], base);
  }

  /**
   * The message for the events of one transition, in order; those about the
   * first event's run carry it once. `base`: the record the transition was
   * computed from, so that only the change is sent. Published here
   * (`publishAll`) or by the store in the transition's own write.
   */
  encode(events: readonly RunEvent[], base?: RunRecord): string | undefined {
    const first = events[0];
    return first === undefined ? undefined : this.wire("run" in first ? first.run : undefined, events, base);
  }

  /** For a write that publishes its own events (`RunStore.compareAndSet`). */
  announcement(message: string | undefined): { readonly channel: string; readonly message: string } | undefined {
    return message === undefined ? undefined : { channel: this.channel, message };
  }

  private wire(run: RunRecord | undefined, events: readonly RunEvent[], base: RunRecord | undefined): string {
    const asDelta = run !== undefined && base !== undefined && this.options.deltas !== false && base.id === run.id && base.version === run.version - 1;
    const wire: WireMessage = {
      ...(run === undefined ? {} : asDelta ? { delta: runDelta(base, run) } : { run }),
      events: events.map((e) => {
        if (!("run" in e) || e.run !== run) return e;
        const { run: _shared, ...rest } = e;
        return rest;
      }),
    };
    return JSON.stringify(wire);
  }

  private async send(message: string): Promise<void> {
    const sent = this.redis.publish(this.channel, message);
    this.publishing.add(sent);
    try {
      await sent;
    } finally {
      this.publishing.delete(sent);
    }
  }

  /** Resolves once every message handed to Redis so far has been answered (before the connection closes). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.publishing]);
  }

  /**
   * Listens to run events. One subscriber connection (made by `connect` on
   * first use: a subscribed connection can do nothing else) and one set of
   * run views serve every listener of this bus, so each message is parsed,
   * and each run kept, once per process. The listener gets whole runs,
   * rebuilt from deltas; it must not change them (listeners share them).
   * The connection closes when the last listener leaves.
   */
  async subscribe(connect: () => Redis, listener: (event: RunEvent) => void): Promise<() => Promise<void>> {
    for (;;) {
      const opening = (this.shared ??= this.open(connect));
      const shared = await opening.catch((err: unknown) => {
        if (this.shared === opening) this.shared = undefined;
        throw err;
      });
      // The last listener left while this one waited: that connection is closing; open another.
      if (shared.closing) continue;
      shared.listeners.add(listener);
      return async () => {
        if (!shared.listeners.delete(listener) || shared.listeners.size > 0 || shared.closing) return;
        shared.closing = true;
        if (this.shared === opening) this.shared = undefined;
        const settled = await settleWithin(REDIS_CLOSE_MS, [shared.subscriber.unsubscribe(this.channel), shared.views.idle()]);
        shared.subscriber.disconnect();
        if (!settled) throw new CloseGaveUpError(["run-event unsubscribe"], REDIS_CLOSE_MS);
      };
    }
  }

  private async open(connect: () => Redis): Promise<SharedSubscription> {
    const subscriber = connect();
    const views = new RunViews({ fetchRun: this.options.fetchRun, ...(this.options.onFetchError !== undefined ? { onFetchError: this.options.onFetchError } : {}) });
    // Each connection has its own listeners: one closing never delivers to those of the next.
    const shared: SharedSubscription = { subscriber, views, listeners: new Set(), closing: false };
    const deliver = (event: RunEvent): void => {
      for (const listener of [...shared.listeners]) {
        try {
          listener(event);
        } catch (err) {
          // One listener's bug must not keep the event from the others.
          this.options.onListenerError?.(event, err);
        }
      }
    };
    let readies = 0;
    subscriber.on("ready", () => {
      // Messages were missed while disconnected, and after a failover the views may hold writes the
      // new primary never had (a script publishes before its write is confirmed): read runs afresh.
      if (readies++ > 0) views.reset();
    });
    subscriber.on("message", (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const decoded = decode(message);
      if (decoded !== undefined) views.receive(decoded, deliver);
    });
    try {
      await subscriber.subscribe(this.channel);
    } catch (err) {
      subscriber.disconnect();
      throw err;
    }
    return shared;
  }
}

interface SharedSubscription {
  readonly subscriber: Redis;
  readonly views: RunViews;
  readonly listeners: Set<(event: RunEvent) => void>;
  closing: boolean;
}

/** A message's events and their run; a single bare event is what processes of an earlier version publish (a rolling upgrade). */
function decode(message: string): EventMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const wire = parsed as Partial<WireMessage> & { type?: unknown };
  if (!Array.isArray(wire.events)) return typeof wire.type === "string" ? { kind: "plain", events: [parsed as RunEvent] } : undefined;
  const events = wire.events as readonly Record<string, unknown>[];
  if (wire.delta !== undefined && typeof wire.delta === "object" && typeof wire.delta.id === "string") return { kind: "delta", delta: wire.delta, events };
  if (wire.run !== undefined) return { kind: "run", run: wire.run, events };
  return { kind: "plain", events: events as unknown as RunEvent[] };
}
