import { Queue } from "bullmq";
import type Redis from "ioredis";
import { redisKeys } from "../jobs";
import { CONTROL_QUEUE, STEP_QUEUE } from "../jobs/step-job";

export interface QueueDepth {
  readonly queue: string;
  readonly state: string;
  readonly count: number;
}

/** The states a job waits or runs in; completed and failed jobs are history, not depth. */
const DEPTH_STATES = ["waiting", "active", "delayed", "prioritized", "waiting-children"] as const;

export interface QueueDepthReader {
  read(): Promise<QueueDepth[]>;
  close(): Promise<void>;
}

/** Reads the engine's BullMQ queues' job counts (same prefix as the engine), on a connection the caller owns. */
export function queueDepthReader(connection: Redis, prefix = "intervene"): QueueDepthReader {
  const bullPrefix = redisKeys(prefix).bullPrefix;
  const queues = [STEP_QUEUE, CONTROL_QUEUE].map((name) => new Queue(name, { connection, prefix: bullPrefix }));
  for (const q of queues) q.on("error", () => undefined);
  return {
    async read() {
      const depths: QueueDepth[] = [];
      for (const q of queues) {
        const counts = await q.getJobCounts(...DEPTH_STATES);
        for (const state of DEPTH_STATES) depths.push({ queue: q.name, state, count: counts[state] ?? 0 });
      }
      return depths;
    },
    async close() {
      await Promise.allSettled(queues.map((q) => q.close()));
    },
  };
}
