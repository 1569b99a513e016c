import { Worker, type Job } from "bullmq";
import type { EngineLogger } from "../ports/engine-logger";
import type { RemoteExecutor } from "../ports/remote-executor";
import { openRedis, type RedisConnectionConfig } from "../store/redis-connection";
import type { ClusterStatusResult } from "./cluster-status-result";
import { EXEC_CLEANUP_SLACK_MS, runStatusQuery } from "./run-status-query";
import { QUERY_QUEUE, type StatusQueryJobData } from "./status-query-job";
import type { StatusQueryPlanner } from "./status-query-planner";
import { GaveUpList } from "../../util/settle-within";

export interface QueryWorkerOptions {
  readonly redis: RedisConnectionConfig;
  /** BullMQ `prefix` (RedisKeys.bullPrefix). */
  readonly bullPrefix: string;
  readonly workerId: string;
  readonly executor: RemoteExecutor;
  /** Without it the worker answers every query `not_configured` (it cannot read the topology). */
  readonly planner: StatusQueryPlanner | undefined;
  readonly logger: EngineLogger;
  /** Per command. @defaultValue 8000 */
  readonly execTimeoutMs?: number;
  /** @defaultValue 4 */
  readonly concurrency?: number;
}

export interface QueryWorkerHandle {
  run(): void;
  close(): Promise<void>;
}

function failure(data: StatusQueryJobData, code: "not_configured" | "worker_slow", message: string): ClusterStatusResult {
  return { ok: false, cluster: data.cluster, code, message, attempts: [], queriedAt: new Date().toISOString(), durationMs: 0 };
}

/** Answers status queries: runs the read-only commands over SSH and returns the parsed result as the job's value. */
export function startQueryWorker(options: QueryWorkerOptions): QueryWorkerHandle {
  const { logger } = options;
  const execTimeoutMs = options.execTimeoutMs ?? 8000;

  async function processQuery(job: Job<StatusQueryJobData>): Promise<ClusterStatusResult> {
    const data = job.data;
    if (Date.now() > data.deadline) return failure(data, "worker_slow", "the query waited longer than its requester did; nobody reads this answer");
    if (options.planner === undefined) return failure(data, "not_configured", `worker ${options.workerId} has no inventory for status queries`);
    let plan;
    try {
      plan = options.planner.statusQuery(data.cluster);
    } catch (error) {
      return failure(data, "not_configured", error instanceof Error ? error.message : String(error));
    }
    // The slave is only asked after the master, so both must fit in what the requester still waits.
    const rounds = plan.kind === "leofs" ? Math.max(1, plan.consoles.length) : 1;
    const perCommand = Math.max(1000, Math.min(execTimeoutMs, Math.floor((data.deadline - Date.now()) / rounds) - EXEC_CLEANUP_SLACK_MS));
    const result = await runStatusQuery(options.executor, plan, { cluster: data.cluster, execTimeoutMs: perCommand, now: () => new Date(), ...(data.everyConsole === true ? { everyConsole: true } : {}) });
    logger.info({ cluster: data.cluster, requestedBy: data.requestedBy, ok: result.ok, durationMs: result.durationMs, worker: options.workerId }, "status query answered");
    return result;
  }

  const connection = openRedis(options.redis, `intervene-worker-${options.workerId}-queries`);
  connection.on("error", (err) => logger.debug({ err }, "query worker connection error"));
  const worker = new Worker<StatusQueryJobData, ClusterStatusResult>(QUERY_QUEUE, processQuery, {
    connection,
    prefix: options.bullPrefix,
    autorun: false,
    concurrency: options.concurrency ?? 4,
    name: options.workerId,
    // A query is short; if its worker dies, the requester has given up long before a stalled re-delivery.
    maxStalledCount: 0,
  });
  worker.on("error", (err) => logger.warn({ err, worker: options.workerId }, "query worker error"));
  worker.on("failed", (job, err) => logger.warn({ jobId: job?.id, err }, "status query failed"));

  let started = false;
  return {
    run() {
      if (started) return;
      started = true;
      worker.run().catch((err: unknown) => logger.error({ err }, "query worker stopped"));
    },
    async close() {
      const gaveUp = new GaveUpList();
      await gaveUp.closeOrCut("status query worker close", [worker.close()], () => [worker.disconnect()]);
      connection.disconnect();
      gaveUp.throwIfAny();
    },
  };
}
