import type Redis from "ioredis";
import type { RunEvent, RunRecord } from "./run-types";
import { REDIS_CLOSE_MS, settleWithin } from "../util/settle-within";

/**
 * What goes over the channel: the events of one transition in one message,
 * with the run they share written once. Every subscriber parses each run
 * record once per transition instead of once per event, and the publisher
 * makes one round trip (issue 13 point 3).
 */
interface WireMessage {
  readonly run?: RunRecord;
  readonly events: readonly Record<string, unknown>[];
}

/** Run events over Redis pub/sub, so a bot process hears what worker processes do. */
export class EventBus {
  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
  ) {}

  async publish(event: RunEvent): Promise<void> {
    await this.publishAll([event]);
  }

  /** The events of one transition, in order, as one message; those about `run` carry it once. */
  async publishAll(events: readonly RunEvent[]): Promise<void> {
    const first = events[0];
    if (first === undefined) return;
    const run = "run" in first ? first.run : undefined;
    const wire: WireMessage = {
      ...(run !== undefined ? { run } : {}),
      events: events.map((e) => {
        if (!("run" in e) || e.run !== run) return e;
        const { run: _shared, ...rest } = e;
        return rest;
      }),
    };
    await this.redis.publish(this.channel, JSON.stringify(wire));
  }

  /** `subscriber` must be a dedicated connection (a subscribed connection can do nothing else); it is closed on unsubscribe. */
  async subscribe(subscriber: Redis, listener: (event: RunEvent) => void): Promise<() => Promise<void>> {
    subscriber.on("message", (channel: string, message: string) => {
      if (channel !== this.channel) return;
      for (const event of decode(message)) listener(event);
    });
    await subscriber.subscribe(this.channel);
    return async () => {
      await settleWithin(REDIS_CLOSE_MS, [subscriber.unsubscribe(this.channel)]);
      subscriber.disconnect();
    };
  }
}

const CARRIES_RUN = new Set(["run.created", "run.updated", "approval.requested", "step.finished", "run.finished"]);

/** A message's events; a single bare event is what processes of the previous version publish (a rolling upgrade). */
function decode(message: string): RunEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return [];
  }
  if (typeof parsed !== "object" || parsed === null) return [];
  const wire = parsed as Partial<WireMessage> & { type?: unknown };
  if (!Array.isArray(wire.events)) return typeof wire.type === "string" ? [parsed as RunEvent] : [];
  const events = wire.events as readonly Record<string, unknown>[];
  return events.map((e) => (CARRIES_RUN.has(String(e.type)) && e.run === undefined && wire.run !== undefined ? { ...e, run: wire.run } : e) as RunEvent);
}
