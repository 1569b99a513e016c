import { Queue } from "bullmq";
import type Redis from "ioredis";
import { EffectSink } from "./effect-sink";
import { EventBus } from "./events/event-bus";
import type { PolicyResolver } from "./ports/run-policy";
import { systemWallClock, type WallClock } from "./ports/wall-clock";
import { silentLogger, type EngineLogger } from "./ports/engine-logger";
import { openRedis, type RedisConnectionConfig } from "./store/redis-connection";
import { redisKeys, type RedisKeys } from "./store/redis-keys";
import { ReplicaConfirmation } from "./store/replica-confirmation";
import { RunStore } from "./store/run-store";
import { RunTransitioner } from "./run-transitioner";
import { CONTROL_QUEUE, STEP_QUEUE } from "./step-job";
import { GaveUpList } from "../util/settle-within";

/** What the API engine and the workers share; both sides only need the same Redis and prefix. */
export interface BackboneOptions {
  readonly redis: RedisConnectionConfig;
  /** Prefix of every key, channel and BullMQ queue. @defaultValue "intervene" */
  readonly prefix?: string;
  readonly policy: PolicyResolver;
  /** @defaultValue the system clock */
  readonly clock?: WallClock;
  /** @defaultValue silent */
  readonly logger?: EngineLogger;
  /** Cluster lock TTL; every live process renews the locks of live runs. @defaultValue 600000 */
  readonly lockTtlMs?: number;
  /** How often locks are renewed. @defaultValue lockTtlMs / 4 */
  readonly heartbeatMs?: number;
  /** How long completed step jobs are kept (their ids make re-enqueueing idempotent). @defaultValue 7 days */
  readonly keepJobsMs?: number;
  /** How long a finished run's record and audit are kept in Redis (OUTPUT_TTL_DAYS). @defaultValue 30 days */
  readonly retainRunsMs?: number;
  /** Publish run events as deltas (EVENT_DELTAS); off while subscribers of an earlier version listen. @defaultValue true */
  readonly eventDeltas?: boolean;
  /** INTERVENE_SECRET (never stored in Redis): approvals are sealed with it, and workers check the seals. */
  readonly approvalKey?: Buffer;
}

/**
 * The Redis side that the API engine (`createEngine`) and every worker
 * (`startWorker`) open alike: the connections, the run store, the queues, the
 * transitioner, the event bus. Neither is "the engine"; `Engine` is the API.
 */
export interface RunBackbone {
  readonly options: BackboneOptions;
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly store: RunStore;
  readonly stepQueue: Queue;
  readonly controlQueue: Queue;
  readonly effects: EffectSink;
  readonly bus: EventBus;
  readonly transitioner: RunTransitioner;
  readonly clock: WallClock;
  readonly logger: EngineLogger;
  readonly connections: Redis[];
  close(): Promise<void>;
}

export function openRunBackbone(options: BackboneOptions, role: string): RunBackbone {
  const keys = redisKeys(options.prefix ?? "intervene");
  const clock = options.clock ?? systemWallClock;
  const logger = options.logger ?? silentLogger;
  // Not ioredis's auto-pipelining: it holds each command to the next setImmediate, which cut Redis's
  // CPU per step by a third and raised throughput, but made a 100-host fan-out 15-20 % slower (bench).
  const redis = openRedis(options.redis, `intervene-${role}`);
  const queueRedis = openRedis(options.redis, `intervene-${role}-queue`);
  const connections = [redis, queueRedis];
  const keepSeconds = Math.round((options.keepJobsMs ?? 7 * 24 * 3600_000) / 1000);
  const defaultJobOptions = { removeOnComplete: { age: keepSeconds }, removeOnFail: { age: keepSeconds }, attempts: 3, backoff: { type: "exponential", delay: 500 } };
  // Step jobs are added on the run store's connection: a job sent behind the write that made its run
  // runs after that write in Redis (a new run's first job, create-engine.ts), with no wait between.
  const stepQueue = new Queue(STEP_QUEUE, { connection: redis, prefix: keys.bullPrefix, defaultJobOptions });
  const controlQueue = new Queue(CONTROL_QUEUE, { connection: queueRedis, prefix: keys.bullPrefix, defaultJobOptions });
  for (const q of [stepQueue, controlQueue]) q.on("error", (err) => logger.warn({ err }, "queue connection error"));
  for (const c of connections) c.on("error", (err) => logger.debug({ err }, "redis connection error"));
  // Only Sentinel promotes a replica, so only there can an acknowledged write be lost to a failover.
  const replicated = typeof options.redis !== "string" && options.redis.sentinels !== undefined;
  const replication = replicated
    ? new ReplicaConfirmation(redis, {
        onShort: (acked, wanted) => logger.warn({ acked, wanted }, "a run record write was not confirmed by a Redis replica in time: records are written unconfirmed until a replica answers again (a failover now could lose them)"),
        onConfirmedAgain: (unconfirmed) => logger.warn({ unconfirmed }, "a Redis replica confirms run record writes again"),
      })
    : undefined;
  const store = new RunStore(redis, keys, {
    ...(replication !== undefined ? { replication } : {}),
    ...(options.lockTtlMs !== undefined ? { lockTtlMs: options.lockTtlMs } : {}),
    ...(options.retainRunsMs !== undefined ? { retainMs: options.retainRunsMs } : {}),
  });
  const effects = new EffectSink(stepQueue, controlQueue, redis, keys);
  const bus = new EventBus(redis, keys.eventsChannel, {
    fetchRun: (runId) => store.get(runId),
    onFetchError: (runId, err) => logger.warn({ runId, err }, "a run's events were dropped: its record could not be read"),
    onListenerError: (event, err) => logger.error({ event: event.type, err }, "a run event listener failed"),
    ...(options.eventDeltas !== undefined ? { deltas: options.eventDeltas } : {}),
  });
  const transitioner = new RunTransitioner({
    store,
    effects,
    bus,
    policy: options.policy,
    clock,
    logger,
    ...(options.approvalKey !== undefined ? { approvalKey: options.approvalKey } : {}),
  });
  return {
    options,
    redis,
    keys,
    store,
    stepQueue,
    controlQueue,
    effects,
    bus,
    transitioner,
    clock,
    logger,
    connections,
    close: async () => {
      // BullMQ keeps connections of its own (duplicates): cut them too when Redis does not answer.
      const gaveUp = new GaveUpList();
      await gaveUp.closeOrCut("queue close", [stepQueue.close(), controlQueue.close()], () => [stepQueue.disconnect(), controlQueue.disconnect()]);
      // Events published without waiting (after a transition) go out before the connection is cut.
      await gaveUp.within("run-event publish", [bus.idle()]);
      for (const c of connections) c.disconnect();
      gaveUp.throwIfAny();
    },
  };
}
