import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import { Worker, type Job } from "bullmq";
import type { AbortMessage } from "../effect-sink";
import { openRunBackbone, type BackboneOptions } from "../run-backbone";
import { isEngineError } from "../engine-error";
import { HostSemaphore, type HostSemaphoreOptions } from "./host-semaphore";
import type { RemoteExecutor } from "../ports/remote-executor";
import type { StepAuthority } from "../ports/step-authority";
import { startQueryWorker } from "../query/start-query-worker";
import type { StatusQueryPlanner } from "../query/status-query-planner";
import { openRedis } from "../store/redis-connection";
import { REDIS_OUT_OF_MEMORY_FIX, untilRedisAcceptsWrites } from "../store/redis-out-of-memory";
import { expireGate } from "../run-machine/gate-decisions";
import { beginStep, finishStep, type BeginVerdict, type StepOutcome } from "../run-machine/step-lifecycle";
import { RunReconciler } from "./run-reconciler";
import { StepLease, type HeldStepLease } from "./step-lease";
import { StepRunner, type DurableWrite, type SlotRelease } from "./step-runner";
import { CONTROL_QUEUE, STEP_QUEUE, stepJobId, type ExpiryJobData, type StepJobData } from "../step-job";
import { carriedStep, carryNextStep, releaseCarriedStep, type StepRef } from "../run-machine/carry-next-step";
import type { RunRecord } from "../run-types";
import { compileSecretPatterns, DEFAULT_SECRET_PATTERNS } from "../../util/secret-redactor";
import { REDIS_CLOSE_MS, settleWithin } from "../../util/settle-within";

export interface WorkerOptions extends BackboneOptions {
  readonly executor: RemoteExecutor;
  /** Step jobs run at once by this process. @defaultValue 8 */
  readonly concurrency?: number;
  /** Per-host SSH concurrency across all workers (Redis semaphore). */
  readonly hostConcurrency?: HostSemaphoreOptions["perHostLimit"];
  /** Semaphore lease; renewed while held. @defaultValue 30000 */
  readonly hostLeaseMs?: number;
  /** Full output kept per target. @defaultValue 1048576 */
  readonly outputMaxBytes?: number;
  /** Output matching these is redacted before Redis and Slack see it. @defaultValue DEFAULT_SECRET_PATTERNS */
  readonly secretPatterns?: readonly string[];
  /** @defaultValue 7 days */
  readonly outputTtlMs?: number;
  /** BullMQ job lock; a dead worker's step is re-delivered after about this long. @defaultValue 30000 */
  readonly lockDurationMs?: number;
  /**
   * A running step's execution lease (step-lease.ts), renewed every third of
   * it: a redelivered job waits while another worker holds it.
   * @defaultValue lockDurationMs
   */
  readonly stepLeaseMs?: number;
  /** BullMQ stalled-job check period. @defaultValue 30000 */
  readonly stalledIntervalMs?: number;
  /** @defaultValue 10 */
  readonly maxStalledCount?: number;
  /** Reconciler period (lost effects, overdue gates, lock renewal). @defaultValue 5000 */
  readonly reconcileIntervalMs?: number;
  /** On close (SIGTERM): how long the running steps may take to finish before they are left to the stalled-job path. @defaultValue 30000 */
  readonly shutdownGraceMs?: number;
  /**
   * A step's job goes on to the next step when no gate, wait or backoff comes
   * between (one job per segment). Off while older workers, which do not know
   * carried steps, share the queue. @defaultValue true
   */
  readonly carrySteps?: boolean;
  /** Install SIGTERM/SIGINT handlers that close the worker. @defaultValue false */
  readonly handleSignals?: boolean;
  /** Start taking jobs at once. @defaultValue true */
  readonly autorun?: boolean;
  /** @defaultValue a random id */
  readonly workerId?: string;
  /** Where status queries run (`inventoryStatusQueryPlanner`); without it they are answered `not_configured`. */
  readonly statusQueries?: StatusQueryPlanner;
  /** Per command of a status query. @defaultValue 8000 */
  readonly statusQueryExecTimeoutMs?: number;
  /**
   * Judges each step from what this worker trusts (procedures, inventory,
   * INTERVENE_SECRET) before running it; a refusal fails the step, audited.
   * Production always sets it (`workerOptionsFor`); engine tests with
   * synthetic plans run without.
   */
  readonly authority?: StepAuthority;
}

/** A step this process is starting or running: what an abort `now` of its index reaches. */
interface RunningStep {
  stepIndex?: number | undefined;
  readonly controller: AbortController;
}

/** Whether `step` is the run's current step, `running` in that attempt. */
function isRunning(run: RunRecord, step: StepRef): boolean {
  return run.cursor === step.stepIndex && run.steps[step.stepIndex]?.state === "running" && run.steps[step.stepIndex]?.attempt === step.attempt;
}

/** What a step holds from the write that begins it until its result is written. */
interface StepHold {
  readonly entry: RunningStep;
  /** The step the lease and slots below were asked for. */
  for?: StepRef | undefined;
  lease?: HeldStepLease | undefined;
  slots?: Map<string, Promise<SlotRelease>> | undefined;
}

/** A step this job has begun (committed `running`), with what it holds. */
interface BegunStep {
  /** The record as the begin's write committed it. */
  readonly run: RunRecord;
  readonly step: StepRef;
  readonly hold: StepHold;
}

interface StepDone {
  readonly result: string;
  /** The step this job goes on to. */
  readonly carried?: StepRef;
  /** The record as this job last committed it. */
  readonly run?: RunRecord;
  readonly begun?: BegunStep;
}

export interface WorkerHandle {
  readonly id: string;
  /** Starts taking jobs (when created with `autorun: false`). */
  run(): void;
  /** Stops taking jobs, lets running steps finish within the grace period, then closes. */
  close(): Promise<void>;
  /** One reconcile pass now (tests, admin). */
  reconcile(): Promise<void>;
}

/** The side that executes steps over SSH; any number of these share one Redis with the API engine. */
export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const id = options.workerId ?? `w${randomBytes(3).toString("hex")}`;
  const actor = `worker:${id}`;
  const backbone = openRunBackbone(options, `worker-${id}`);
  const { store, transitioner, keys, logger } = backbone;
  const semaphore = new HostSemaphore(backbone.redis, keys, {
    ...(options.hostConcurrency !== undefined ? { perHostLimit: options.hostConcurrency } : {}),
    ...(options.hostLeaseMs !== undefined ? { leaseMs: options.hostLeaseMs } : {}),
  });
  const runner = new StepRunner({
    executor: options.executor,
    semaphore,
    store,
    keys,
    bus: backbone.bus,
    outputMaxBytes: options.outputMaxBytes ?? 1024 * 1024,
    secretPatterns: compileSecretPatterns(options.secretPatterns ?? DEFAULT_SECRET_PATTERNS),
    outputTtlMs: options.outputTtlMs ?? 7 * 24 * 3600_000,
  });
  const reconciler = new RunReconciler(backbone);
  // As long as the job lock by default, so that a dead worker's step is not left waiting much longer than its job.
  const leases = new StepLease(store.redis, keys, { leaseMs: options.stepLeaseMs ?? options.lockDurationMs ?? 30_000, holder: actor });
  /**
   * Steps this worker is starting or running, by run: what an abort `now`
   * reaches. `stepIndex` is set before the step's begin is committed, so an
   * abort committed after that begin finds it here, and one committed before
   * is seen by beginStep: no re-read of the run is needed.
   */
  const running = new Map<string, Set<RunningStep>>();
  let closingDown = false;
  /**
   * Deliveries of a step job in this process, by job id. After a Redis outage
   * BullMQ can hand this process the same job again while its first delivery
   * still runs (a failed attempt's retry, and the stalled check once the lock
   * lapsed): the chaos row "Redis failover under Sentinel" saw the second
   * delivery mark the step `interrupted` 124 ms after the first began it, and
   * the operator's retry then ran the append a second time. A later delivery
   * waits for the one in progress, then reads what it committed.
   */
  const deliveries = new Map<string, Promise<unknown>>();

  // Abort `now` reaches whichever process runs the step.
  const abortSubscriber = openRedis(options.redis, `intervene-worker-${id}-abort`);
  abortSubscriber.on("error", (err) => logger.debug({ err }, "abort subscriber error"));
  abortSubscriber.on("message", (_channel: string, text: string) => {
    try {
      const msg = JSON.parse(text) as AbortMessage;
      for (const entry of running.get(msg.runId) ?? []) if (entry.stepIndex === msg.stepIndex) entry.controller.abort(new Error("abort now"));
    } catch {
      // not ours
    }
  });
  await abortSubscriber.subscribe(keys.abortChannel);

  /**
   * One job runs its step and then, while no gate or wait comes between, the
   * steps after it (issue 13 point 2): each step's begin and result are still
   * their own compare-and-set, so a redelivered job resumes from the records.
   */
  async function processStep(job: Job<StepJobData>): Promise<string> {
    const jobId = job.id ?? stepJobId(job.data);
    const earlier = deliveries.get(jobId);
    if (earlier !== undefined) logger.warn({ jobId, worker: id }, "a step job was delivered again while this process still runs it: waiting for that delivery first");
    const mine = (earlier ?? Promise.resolve()).catch(() => undefined).then(() => processDelivery(job, jobId));
    deliveries.set(jobId, mine);
    try {
      return await mine;
    } finally {
      if (deliveries.get(jobId) === mine) deliveries.delete(jobId);
    }
  }

  async function processDelivery(job: Job<StepJobData>, jobId: string): Promise<string> {
    let next: StepRef | undefined = { stepIndex: job.data.stepIndex, attempt: job.data.attempt };
    // The record this job last committed: none before its first step.
    let known: RunRecord | undefined;
    // The next step, when the write that finished the one before already began it.
    let begun: BegunStep | undefined;
    let result = "skipped";
    // The record the run's start committed, when this job carries it: read no more for the first step.
    let handed = carriedRecord(job);
    try {
      while (next !== undefined) {
        if (known !== undefined && begun === undefined && closingDown) {
          // The worker began closing after this job took the next step: hand it (not begun) to its own
          // job, and take the claim off in the same write, so that this job, should it be redelivered,
          // cannot take it back while another worker runs it.
          await transitioner.apply(job.data.runId, actor, (d) => void releaseCarriedStep(d, jobId, true));
          break;
        }
        const done = await processOneStep(job.data.runId, jobId, next, known, begun, handed);
        handed = undefined;
        result = done.result;
        next = done.carried;
        known = done.run;
        begun = done.begun;
      }
    } finally {
      dropCarriedRecord(job);
    }
    return result;
  }

  /** The record a run's first job carries (`CarriedRecord`), when it is one this worker can start from. */
  function carriedRecord(job: Job<StepJobData>): RunRecord | undefined {
    const { record, runId } = job.data;
    if (record === undefined) return undefined;
    const run = record.run as RunRecord | undefined;
    const usable = run !== undefined && run.id === runId && typeof record.writeId === "string" && Array.isArray(run.steps) && typeof run.version === "number";
    return usable ? store.adopt(run, record.writeId) : undefined;
  }

  /**
   * Takes the carried record off the job when this delivery ends (after its
   * steps, off their path): a completed job, kept for its id, then holds no
   * copy of it. A redelivery after this worker died before that starts from
   * the old record, whose compare-and-set fails and reads the run, as after
   * any conflict.
   */
  function dropCarriedRecord(job: Job<StepJobData>): void {
    const { record, ...plain } = job.data;
    if (record === undefined) return;
    job.updateData(plain).catch((err: unknown) => logger.debug({ jobId: job.id, err }, "the record carried by a step job could not be taken off it"));
  }

  /** Registers a step this job is starting or running, so that an abort `now` reaches it. */
  function track(runId: string): RunningStep {
    const entry: RunningStep = { controller: new AbortController() };
    // Every exec of the step in flight listens on this signal (so that abort `now` kills its command),
    // as many as the step's parallel limit; each listener goes when its command ends. Node's default
    // of 10 printed a "possible memory leak" warning for each step with more targets at once.
    setMaxListeners(0, entry.controller.signal);
    const listening = running.get(runId) ?? new Set();
    listening.add(entry);
    running.set(runId, listening);
    return entry;
  }

  function untrack(runId: string, entry: RunningStep): void {
    const listening = running.get(runId);
    listening?.delete(entry);
    if (listening?.size === 0) running.delete(runId);
  }

  async function processOneStep(runId: string, jobId: string, requested: StepRef, known: RunRecord | undefined, begun: BegunStep | undefined, handed: RunRecord | undefined): Promise<StepDone> {
    const log = logger.child({ runId, step: requested.stepIndex, attempt: requested.attempt, worker: id });
    // Issue 15 point 5: with Redis full (maxmemory, noeviction) the step's writes wait here instead of
    // failing the job: a failed start would spend the job's attempts, and a lost result would later
    // read as a worker crash ("interrupted") although the command ran and its outcome is known.
    const whenRedisTakesWrites = <T>(what: string, write: () => Promise<T>): Promise<T> =>
      untilRedisAcceptsWrites(write, (err) => log.error({ err: err.message }, `Redis is out of memory: ${what} waits in this worker until Redis accepts writes again; the run goes on by itself then. An operator should ${REDIS_OUT_OF_MEMORY_FIX}`));
    const started = begun ?? (await beginDelivered(runId, jobId, requested, known, handed, whenRedisTakesWrites, log));
    if (!("hold" in started)) return started;
    const { run, hold } = started;
    const { stepIndex, attempt } = started.step;
    try {
      const refusal = options.authority?.refusal(run, stepIndex);
      if (refusal !== undefined) {
        log.warn({ reason: refusal, step: stepIndex }, "step refused: the run record does not match what this worker derives");
        await whenRedisTakesWrites("the refusal of this step", () =>
          transitioner.apply(runId, actor, (d) => {
            d.log("refused", { actor, stepIndex, attempt, data: { reason: refusal, by: "worker" } });
            finishStep(d, stepIndex, attempt, { ok: false, outputs: [], error: `refused by ${actor}: ${refusal}`, durationMs: 0 });
          }),
        );
        return { result: "refused" };
      }
      log.info({ step: stepIndex }, "step started");
      // The output writes go out unawaited; the result follows them on the same connection, so Redis has
      // the output before the result that names it (one round trip less per step, issue 13).
      const writes: Promise<void>[] = [];
      const outcome = await runner.run(run, stepIndex, { signal: hold.entry.controller.signal, durable: whenRedisTakesWrites, ...(hold.slots !== undefined ? { slots: hold.slots } : {}), writes });
      log.info({ step: stepIndex, ok: outcome.ok, durationMs: outcome.durationMs }, "step finished");
      const done = await finishAndBeginNext(runId, jobId, started.step, outcome, run, whenRedisTakesWrites, hold.lease);
      // A write that failed for good leaves the output's tail in the record, and the full text lost: said, not hidden.
      for (const w of await Promise.allSettled(writes)) {
        if (w.status === "rejected") log.error({ err: w.reason instanceof Error ? w.reason.message : String(w.reason) }, "a target's full output could not be stored; the run record keeps its head and tail");
      }
      return { result: outcome.ok ? "succeeded" : "failed", ...done };
    } finally {
      // The result's write gave the lease up when it committed; without one, the lease's delete is sent now.
      releaseHold(runId, hold);
    }
  }

  /**
   * The begin of a step this job was delivered for (not carried over from
   * the step before it in this job). A step that a fresh delivery finds
   * `running` may still run in a live worker whose job lock lapsed (issue 13):
   * while that worker's lease holds, this delivery waits instead of calling
   * the step interrupted. `handed`: the record the job carried, read in place
   * of the first read (it is checked like one: a run changed since it was
   * committed fails the compare-and-set and is read again).
   */
  async function beginDelivered(runId: string, jobId: string, requested: StepRef, known: RunRecord | undefined, handed: RunRecord | undefined, durable: DurableWrite, log: typeof logger): Promise<BegunStep | StepDone> {
    const hold: StepHold = { entry: track(runId) };
    let handedOn = false;
    try {
      let fromCarrier = known;
      for (;;) {
        let current = fromCarrier;
        // The step whose lease was looked at (none when this job carried the step itself).
        let leaseChecked: StepRef | undefined;
        if (current === undefined) {
          // Read here rather than by the transition (which would read it anyway): no round trip more.
          current = handed ?? (await store.get(runId));
          handed = undefined;
          if (current === undefined) return { result: "no such run" };
          leaseChecked = carriedStep(current, jobId) ?? requested;
          current = await untilNotRunningElsewhere(runId, leaseChecked, current, log);
        }
        // The lease was looked at for this version and this step only: a step found `running` in a later
        // version was begun meanwhile by another delivery, and another step found `running` in this very
        // version was begun by the live worker that still carries this job (it finished the step whose
        // lease was waited on and began the next in one write). Either lease must be looked at before the
        // step is called interrupted (a full `npm run chaos` ran a step twice when only the first was).
        const checked = current.version;
        const otherThanChecked = (target: StepRef): boolean => leaseChecked !== undefined && (leaseChecked.stepIndex !== target.stepIndex || leaseChecked.attempt !== target.attempt);
        const verdict: { value: BeginVerdict | "look again"; step: StepRef } = { value: "skip", step: requested };
        let applied;
        try {
          const beginning = durable("the start of this step", () =>
            transitioner.apply(
              runId,
              actor,
              (d) => {
                // A redelivered job that was carrying a later step (its worker died) resumes that step.
                const target = (fromCarrier === undefined ? carriedStep(d.run, jobId) : undefined) ?? requested;
                verdict.step = target;
                hold.entry.stepIndex = target.stepIndex;
                if (isRunning(d.run, target) && (d.run.version !== checked || otherThanChecked(target))) {
                  verdict.value = "look again";
                  return;
                }
                verdict.value = beginStep(d, target.stepIndex, target.attempt);
                if (verdict.value === "run") takeHold(hold, d.run, target, durable);
              },
              { known: current },
            ),
          );
          // While that write is on its way: the costly part of the step's check (re-planning the run),
          // which the check after the write then finds done (issue 13). In a macrotask of its own: the
          // write was only queued on the corked socket (coalesce-socket-writes.ts), which a microtask
          // uncorks, so re-planning here at once held the write back by the re-planning's 0.3 ms.
          const preparing = current;
          setImmediate(() => prepareCheck(preparing, log));
          applied = await beginning;
        } catch (error) {
          if (isEngineError(error, "NOT_FOUND")) return { result: "no such run" };
          throw error;
        }
        if (verdict.value === "look again") {
          dropHold(hold);
          fromCarrier = undefined;
          continue;
        }
        if (verdict.value !== "run") {
          // A re-delivered job of a step already done: make sure the follow-up happened.
          await reconciler.reconcile(runId).catch(() => undefined);
          return { result: "skipped" };
        }
        handedOn = true;
        return { run: applied.run, step: verdict.step, hold };
      }
    } finally {
      if (!handedOn) releaseHold(runId, hold);
    }
  }

  function prepareCheck(run: RunRecord, log: typeof logger): void {
    try {
      options.authority?.prepare?.(run);
    } catch (err) {
      // The check proper runs after the write whatever happens here, and refuses then.
      log.debug({ err }, "the step check's preparation failed");
    }
  }

  /** Returns the run once `step` is not `running` under a live lease of another delivery. */
  async function untilNotRunningElsewhere(runId: string, step: StepRef, current: RunRecord, log: typeof logger): Promise<RunRecord> {
    const running = (r: RunRecord): boolean => isRunning(r, step);
    if (!running(current)) return current;
    let latest = current;
    await leases.waitWhileHeld(
      runId,
      step.stepIndex,
      step.attempt,
      async () => {
        latest = (await store.get(runId)) ?? latest;
        return running(latest);
      },
      (holder) =>
        log.warn(
          { holder: holder ?? null, step: step.stepIndex },
          holder !== undefined
            ? "this step job was delivered again while another worker still runs its step (its job lock lapsed, as in a Redis outage longer than the lock): waiting for that worker instead of calling the step interrupted"
            : "this step job was delivered again and its step is still marked running: making sure no worker renews its lease before calling it interrupted",
        ),
    );
    return latest;
  }

  /**
   * Asks for what the step holds while it runs, on the connection of the
   * write that begins it and before that write: its execution lease, and
   * the SSH slot of a one-target step (issue 13: one round trip less). A
   * transition computed again after a conflict, for another step, gives back
   * what the first computation asked for.
   */
  function takeHold(hold: StepHold, run: RunRecord, step: StepRef, durable: DurableWrite): void {
    if (hold.for !== undefined && (hold.for.stepIndex !== step.stepIndex || hold.for.attempt !== step.attempt)) dropHold(hold);
    if (hold.for !== undefined) return;
    hold.for = step;
    hold.lease = leases.hold(run.id, step.stepIndex, step.attempt);
    hold.slots = runner.reserveSlot(run, step.stepIndex, { signal: hold.entry.controller.signal, durable });
  }

  function dropHold(hold: StepHold): void {
    StepRunner.releaseUnused(hold.slots);
    hold.lease?.release();
    hold.slots = undefined;
    hold.lease = undefined;
    hold.for = undefined;
  }

  function releaseHold(runId: string, hold: StepHold): void {
    dropHold(hold);
    untrack(runId, hold.entry);
  }

  /**
   * Writes a step's result and, when the job carries the step after it, that
   * step's begin in the same compare-and-set (issue 13: one write per step
   * instead of two). The begin is committed before the next command runs, as
   * a begin of its own would be, so a worker that dies after this write left
   * the next step `running`: redelivered, it is re-run only if idempotent.
   * Its lease and SSH slot are asked for alongside, as for a first step.
   * The finished step's `lease` is given up by the same write (one command
   * less per step), so it is gone exactly when the result is there.
   */
  async function finishAndBeginNext(runId: string, jobId: string, step: StepRef, outcome: StepOutcome, known: RunRecord, durable: DurableWrite, lease: HeldStepLease | undefined): Promise<Omit<StepDone, "result">> {
    const follower: StepHold = { entry: track(runId) };
    let carried: StepRef | undefined;
    let begins = false;
    let handedOn = false;
    try {
      const finished = await durable(`the result of this step (${outcome.ok ? "ok" : "failed"})`, () =>
        transitioner.apply(
          runId,
          actor,
          (d) => {
            finishStep(d, step.stepIndex, step.attempt, outcome);
            // A closing worker hands the next step to the queue instead of starting it.
            carried = closingDown || options.carrySteps === false ? undefined : carryNextStep(d, step.stepIndex, jobId);
            // Set before the write is sent: an abort `now` committed after it finds the step here.
            follower.entry.stepIndex = carried?.stepIndex;
            begins = carried !== undefined && beginStep(d, carried.stepIndex, carried.attempt) === "run";
            if (begins && carried !== undefined) takeHold(follower, d.run, carried, durable);
            else dropHold(follower);
          },
          { known, ...(lease !== undefined ? { releaseOnCommit: lease } : {}) },
        ),
      );
      if (finished.committed) lease?.releasedByCommit();
      if (!finished.committed || carried === undefined) return {};
      if (!begins) return { carried, run: finished.run };
      handedOn = true;
      return { carried, run: finished.run, begun: { run: finished.run, step: carried, hold: follower } };
    } finally {
      // Unless handed on with the begun step: what it asked for goes back, and no abort can reach it here.
      if (!handedOn) releaseHold(runId, follower);
    }
  }

  async function processControl(job: Job<ExpiryJobData>): Promise<string> {
    const { runId, stepIndex, attempt } = job.data;
    try {
      await transitioner.apply(runId, "engine", (d) => expireGate(d, stepIndex, attempt));
    } catch (error) {
      if (!isEngineError(error, "NOT_FOUND")) throw error;
    }
    return "checked";
  }

  const common = {
    prefix: keys.bullPrefix,
    autorun: false,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 10,
  };
  const workerConnections = [openRedis(options.redis, `intervene-worker-${id}-steps`), openRedis(options.redis, `intervene-worker-${id}-control`)];
  for (const c of workerConnections) c.on("error", (err) => logger.debug({ err }, "worker connection error"));
  const stepWorker = new Worker<StepJobData, string>(STEP_QUEUE, processStep, {
    ...common,
    connection: workerConnections[0]!,
    concurrency: options.concurrency ?? 8,
    name: id,
  });
  const controlWorker = new Worker<ExpiryJobData, string>(CONTROL_QUEUE, processControl, {
    ...common,
    connection: workerConnections[1]!,
    concurrency: 4,
    name: id,
  });
  for (const w of [stepWorker, controlWorker]) {
    w.on("error", (err) => logger.warn({ err, worker: id }, "worker error"));
    w.on("failed", (job, err) => logger.warn({ jobId: job?.id, err }, "job failed"));
  }
  const queryWorker = startQueryWorker({
    redis: options.redis,
    bullPrefix: keys.bullPrefix,
    workerId: id,
    executor: options.executor,
    planner: options.statusQueries,
    logger,
    ...(options.statusQueryExecTimeoutMs !== undefined ? { execTimeoutMs: options.statusQueryExecTimeoutMs } : {}),
  });

  let reconcileTimer: NodeJS.Timeout | undefined;
  let started = false;
  const run = (): void => {
    if (started) return;
    started = true;
    stepWorker.run().catch((err: unknown) => logger.error({ err }, "step worker stopped"));
    controlWorker.run().catch((err: unknown) => logger.error({ err }, "control worker stopped"));
    queryWorker.run();
    reconciler.reconcileAll().catch((err: unknown) => logger.warn({ err }, "reconcile failed"));
    reconcileTimer = setInterval(() => {
      reconciler.reconcileAll().catch((err: unknown) => logger.warn({ err }, "reconcile failed"));
    }, options.reconcileIntervalMs ?? 5000);
    reconcileTimer.unref();
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      closingDown = true;
      if (reconcileTimer !== undefined) clearInterval(reconcileTimer);
      const grace = options.shutdownGraceMs ?? 30_000;
      let timer: NodeJS.Timeout | undefined;
      // Settled, not all: a close that failed or gave up on Redis is said, and the rest still closes.
      const graceful = Promise.allSettled([stepWorker.close(), controlWorker.close(), queryWorker.close()]).then((closes) => {
        for (const c of closes) if (c.status === "rejected") logger.warn({ worker: id, err: c.reason instanceof Error ? c.reason.message : String(c.reason) }, "worker close: a queue did not close cleanly; going on");
        return "closed" as const;
      });
      const timedOut = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), grace)));
      const how = await Promise.race([graceful, timedOut]);
      clearTimeout(timer);
      if (how === "timeout") {
        // BullMQ's close() is memoized, so a forced close cannot overtake the graceful one: cut the
        // connections instead. The job lock then lapses and another worker's stalled check re-delivers
        // the step, which it marks interrupted (or re-runs, if idempotent). The caller should exit.
        logger.warn({ worker: id, running: [...running.keys()] }, "shutdown grace elapsed; leaving running steps to the stalled-job path");
        await settleWithin(REDIS_CLOSE_MS, [stepWorker.disconnect(), controlWorker.disconnect()]);
      }
      abortSubscriber.disconnect();
      for (const c of workerConnections) c.disconnect();
      try {
        await backbone.close();
      } finally {
        if (options.handleSignals === true) {
          process.off("SIGTERM", onSignal);
          process.off("SIGINT", onSignal);
        }
      }
    })();
    return closing;
  };
  const onSignal = (): void => {
    logger.info({ worker: id }, "signal received: stopping");
    close().catch((err: unknown) => logger.error({ err }, "close failed"));
  };
  if (options.handleSignals === true) {
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }
  if (options.autorun !== false) run();
  return { id, run, close, reconcile: () => reconciler.reconcileAll() };
}
