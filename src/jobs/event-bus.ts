import type Redis from "ioredis";
import type { RunEvent } from "./run-types";
import { REDIS_CLOSE_MS, settleWithin } from "../util/settle-within";

/** Run events over Redis pub/sub, so a bot process hears what worker processes do. */
export class EventBus {
  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
  ) {}

  async publish(event: RunEvent): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify(event));
  }

  /** `subscriber` must be a dedicated connection (a subscribed connection can do nothing else); it is closed on unsubscribe. */
  async subscribe(subscriber: Redis, listener: (event: RunEvent) => void): Promise<() => Promise<void>> {
    subscriber.on("message", (channel: string, message: string) => {
      if (channel !== this.channel) return;
      let event: RunEvent;
      try {
        event = JSON.parse(message) as RunEvent;
      } catch {
        return;
      }
      listener(event);
    });
    await subscriber.subscribe(this.channel);
    return async () => {
      await settleWithin(REDIS_CLOSE_MS, [subscriber.unsubscribe(this.channel)]);
      subscriber.disconnect();
    };
  }
}
