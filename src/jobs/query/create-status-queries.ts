import { randomBytes } from "node:crypto";
import { Queue, QueueEvents, type Job } from "bullmq";
import type Redis from "ioredis";
import type { Actor } from "../engine";
import { EngineError } from "../engine-error";
import { mayRead, requesterMissing, type PolicyResolver } from "../ports/run-policy";
import type { WallClock } from "../ports/wall-clock";
import type { EngineLogger } from "../ports/engine-logger";
import { openRedis, type RedisConnectionConfig } from "../store/redis-connection";
import type { RunStore } from "../store/run-store";
import type { ClusterStatusResult, StatusQueryFailureCode } from "./cluster-status-result";
import { QUERY_KEEP_SECONDS, QUERY_QUEUE, type StatusQueryJobData } from "./status-query-job";
import { GaveUpList } from "../../util/settle-within";

/** The policy key of status queries: no procedure has this id, so the cluster's own `requesters` apply. */
export const STATUS_QUERY_POLICY_ID = "status";

export interface StatusQueriesOptions {
  readonly redis: RedisConnectionConfig;
  /** BullMQ `prefix` (RedisKeys.bullPrefix). */
  readonly bullPrefix: string;
  readonly policy: PolicyResolver;
  readonly store: RunStore;
  readonly clock: WallClock;
  readonly logger: EngineLogger;
  /** How long the caller waits for a worker's answer. @defaultValue 20000 */
  readonly timeoutMs?: number;
}

export interface StatusQueries {
  queryStatus(cluster: string, actor: Actor): Promise<ClusterStatusResult>;
  /** The same query for the engine itself (a run's before/after snapshot): no actor, no authority check. */
  querySystem(cluster: string): Promise<ClusterStatusResult>;
  close(): Promise<void>;
}

interface Channel {
  readonly queue: Queue<StatusQueryJobData, ClusterStatusResult>;
  readonly events: QueueEvents;
  readonly connections: readonly Redis[];
}

/**
 * Read-only status queries from the API side: authority is checked here,
 * the commands run on a worker (the API never opens SSH) through a queue of
 * their own, and the answer comes back through BullMQ's job events. No
 * cluster lock and no run record. Connections open on first use, so a CLI
 * engine that never queries opens none.
 */
export function createStatusQueries(options: StatusQueriesOptions): StatusQueries {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const { logger } = options;
  let channel: Channel | undefined;

  function open(): Channel {
    if (channel !== undefined) return channel;
    const queueRedis = openRedis(options.redis, "intervene-engine-queries");
    const eventsRedis = openRedis(options.redis, "intervene-engine-query-events");
    for (const c of [queueRedis, eventsRedis]) c.on("error", (err) => logger.debug({ err }, "query connection error"));
    const queue = new Queue<StatusQueryJobData, ClusterStatusResult>(QUERY_QUEUE, {
      connection: queueRedis,
      prefix: options.bullPrefix,
      defaultJobOptions: { attempts: 1, removeOnComplete: { age: QUERY_KEEP_SECONDS }, removeOnFail: { age: QUERY_KEEP_SECONDS } },
    });
    const events = new QueueEvents(QUERY_QUEUE, { connection: eventsRedis, prefix: options.bullPrefix });
    queue.on("error", (err) => logger.warn({ err }, "query queue error"));
    events.on("error", (err) => logger.warn({ err }, "query events error"));
    channel = { queue, events, connections: [queueRedis, eventsRedis] };
    return channel;
  }

  async function authorize(cluster: string, actor: Actor): Promise<void> {
    const policy = options.policy.approvalPolicyFor(cluster, STATUS_QUERY_POLICY_ID);
    if (mayRead(actor, policy)) return;
    const at = options.clock.now().toISOString();
    await options.store.appendAudit("", [{ type: "refused", actor: actor.userId, data: { operation: "status", code: "NOT_ALLOWED", cluster } }], at).catch(() => undefined);
    throw new EngineError("NOT_ALLOWED", `not allowed: you may not see the status of ${cluster}: ${requesterMissing(policy)}`, { cluster, userId: actor.userId });
  }

  function failure(cluster: string, code: StatusQueryFailureCode, message: string, startedAt: number): ClusterStatusResult {
    return { ok: false, cluster, code, message, attempts: [], queriedAt: new Date(startedAt).toISOString(), durationMs: Date.now() - startedAt };
  }

  /** Why no answer came: the job's state tells "no worker took it" from "a worker is still at it". */
  async function explain(queue: Queue<StatusQueryJobData, ClusterStatusResult>, job: Job<StatusQueryJobData, ClusterStatusResult>, cluster: string, error: unknown, startedAt: number): Promise<ClusterStatusResult> {
    const state = await job.getState().catch(() => "unknown");
    const seconds = Math.round(timeoutMs / 1000);
    if (state === "completed") {
      const fresh = await queue.getJob(job.id ?? "").catch(() => undefined);
      if (fresh?.returnvalue !== undefined && fresh.returnvalue !== null) return fresh.returnvalue;
    }
    if (state === "failed") return failure(cluster, "worker_failed", `the worker failed the query: ${error instanceof Error ? error.message : String(error)}`, startedAt);
    if (state === "active") return failure(cluster, "worker_slow", `a worker took the query but did not answer within ${seconds}s; the hosts may be slow to reach`, startedAt);
    // Still waiting: nobody will want this answer any more.
    await job.remove().catch(() => undefined);
    return failure(cluster, "no_worker", `no worker answered within ${seconds}s: are the workers running (\`ROLE=worker\` or \`npm start\`)?`, startedAt);
  }

  async function run(cluster: string, requestedBy: string, everyConsole = false): Promise<ClusterStatusResult> {
      const startedAt = Date.now();
      const { queue, events } = open();
      const data: StatusQueryJobData = { cluster, requestedBy, deadline: startedAt + timeoutMs, ...(everyConsole ? { everyConsole } : {}) };
      const job = await queue.add("status", data, { jobId: `status-${randomBytes(6).toString("hex")}` });
      try {
        return await job.waitUntilFinished(events, timeoutMs);
      } catch (error) {
        return explain(queue, job, cluster, error, startedAt);
      }
  }

  return {
    async queryStatus(cluster, actor) {
      await authorize(cluster, actor);
      return run(cluster, actor.userId);
    },
    querySystem: (cluster) => run(cluster, "engine", true),

    async close() {
      const c = channel;
      channel = undefined;
      if (c === undefined) return;
      const gaveUp = new GaveUpList();
      await gaveUp.closeOrCut("status query close", [c.events.close(), c.queue.close()], () => [c.events.disconnect(), c.queue.disconnect()]);
      for (const r of c.connections) r.disconnect();
      gaveUp.throwIfAny();
    },
  };
}
