import type Redis from "ioredis";
import type { Queue } from "bullmq";
import type { RedisKeys } from "./store/redis-keys";
import type { Effect } from "./run-machine/run-draft";
import { CARRIED_RECORD_MAX_BYTES, expiryJobId, stepJobId, type CarriedRecord, type ExpiryJobData, type StepJobData } from "./step-job";

/** Abort messages on pub/sub: `{runId, stepIndex}`. */
export interface AbortMessage {
  readonly runId: string;
  readonly stepIndex: number;
}

/**
 * Applies committed effects. Every effect is idempotent (deterministic job
 * ids), so the reconciler may apply them again after a crash between the
 * commit and here.
 */
export class EffectSink {
  constructor(
    private readonly steps: Queue,
    private readonly control: Queue,
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** `record`: the committed record, carried by a step job it enqueues (`CarriedRecord`). */
  async apply(runId: string, effect: Effect, record?: CarriedRecord): Promise<void> {
    switch (effect.type) {
      case "enqueue-step":
        await this.enqueueStep({ runId, stepIndex: effect.stepIndex, attempt: effect.attempt, ...(record !== undefined ? { record } : {}) }, effect.delayMs);
        return;
      case "schedule-expiry":
        await this.scheduleExpiry({ runId, stepIndex: effect.stepIndex, attempt: effect.attempt }, effect.delayMs);
        return;
      case "kill-step": {
        const message: AbortMessage = { runId, stepIndex: effect.stepIndex };
        await this.redis.publish(this.keys.abortChannel, JSON.stringify(message));
        return;
      }
    }
  }

  async enqueueStep(data: StepJobData, delayMs: number): Promise<void> {
    const { record, ...plain } = data;
    const carried = record !== undefined && delayMs <= 0 && JSON.stringify(record.run).length <= CARRIED_RECORD_MAX_BYTES ? { ...plain, record } : plain;
    await this.steps.add("step", carried, { jobId: stepJobId(data), delay: Math.max(0, delayMs) });
  }

  async scheduleExpiry(data: ExpiryJobData, delayMs: number): Promise<void> {
    await this.control.add("expire", data, { jobId: expiryJobId(data), delay: Math.max(0, delayMs) });
  }
}
