import { randomBytes } from "node:crypto";
import type Redis from "ioredis";
import type { Plan } from "../procedures/model/plan";
import type { AuditDraft, AuditEntry } from "./store/audit-entry";
import type { Actor, ApproveOptions, Engine, GateRef, PlanRequest } from "./engine";
import { openRunBackbone, type BackboneOptions, type RunBackbone } from "./run-backbone";
import { EngineError } from "./engine-error";
import { mayRead, mayRequest, requesterMissing } from "./ports/run-policy";
import type { Planner } from "./ports/planner";
import { createStatusQueries } from "./query/create-status-queries";
import { snapshotOf } from "./query/cluster-snapshot";
import { approveGate, rejectGate } from "./run-machine/gate-decisions";
import { newRunRecord, startRun } from "./run-machine/new-run";
import { abortRun, assertOperator, confirmStep, retryStep, skipStep } from "./run-machine/operator-decisions";
import { RunDraft, type Effect } from "./run-machine/run-draft";
import { stepJobId } from "./step-job";
import { newRunId } from "./run-id";
import type { RunStore } from "./store/run-store";
import { TERMINAL_RUN_STATES, type RunEvent, type RunRecord } from "./run-types";
import { refusedWhenRedisIsFull } from "./store/redis-out-of-memory";
import { GaveUpList } from "../util/settle-within";

export interface EngineOptions extends BackboneOptions {
  /** Turns requests into plans (procedures + inventory). Without it, `plan()` refuses with PARAMS. */
  readonly planner?: Planner;
  /** @defaultValue `newRunId` */
  readonly newRunId?: () => string;
  /** How long `queryStatus` waits for a worker's answer. @defaultValue 20000 */
  readonly statusQueryTimeoutMs?: number;
  /**
   * Previews and starts one user may ask for per minute, counted in Redis so
   * that every bot process shares the count (issue 12 point 11). Unset: no limit.
   */
  readonly requestsPerMinute?: number;
  /**
   * Which procedures get a snapshot of their cluster at the start and at the
   * end (issue 16 point 2): those that change membership or state. Unset: none.
   */
  readonly snapshots?: (procedureId: string) => boolean;
  /**
   * How often this process looks for runs that ended within the last hour
   * without their end snapshot (its taker died, or its query failed) and
   * takes it. @defaultValue 60000
   */
  readonly snapshotSweepMs?: number;
}

/**
 * One process takes a run's snapshot at a time. The claim outlives one status
 * query and its write (the query waits at most `statusQueryTimeoutMs`), so a
 * taker that dies frees it soon; a failed query releases it at once.
 */
const SNAPSHOT_CLAIM_MS = 120_000;
/** Runs that ended longer ago keep no end snapshot: the cluster has moved on since. */
const AFTER_SNAPSHOT_WITHIN_MS = 3600_000;

/** The API side (bot, CLI, console): `Engine` plus read access to the audit. */
export interface EngineHandle extends Engine {
  readonly store: RunStore;
  audit(runId: string): Promise<AuditEntry[]>;
  /**
   * Merges the notifier's references (channel, message ts) into the run. No
   * audit entry and no event: the notifier must not hear its own bookkeeping.
   */
  setNotifierState(runId: string, patch: Readonly<Record<string, string>>): Promise<void>;
  /** The bot's saved `notifierState` of a run, read alone (not the whole record); undefined when none. */
  notifierState(runId: string): Promise<Readonly<Record<string, string>> | undefined>;
}

/** How a refusal names the decision it did not record. */
const DECISION_NAMES: Readonly<Record<string, string>> = { approve: "approval", reject: "rejection", confirm: "confirmation", retry: "retry", skip: "skip", abort: "abort" };

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The engine API. It never runs a step itself: it changes run records and
 * enqueues step jobs that `startWorker` processes (in this or another process).
 */
export function createEngine(options: EngineOptions): EngineHandle {
  const backbone: RunBackbone = openRunBackbone(options, "engine");
  const { store, transitioner, clock } = backbone;
  const heartbeat = setInterval(() => {
    store.renewLocks().catch((err: unknown) => backbone.logger.warn({ err }, "lock renewal failed"));
  }, options.heartbeatMs ?? store.lockTtlMs / 4);
  heartbeat.unref();
  const subscriptions = new Set<() => Promise<void>>();
  const snapshotting = new Set<Promise<void>>();
  const statusQueries = createStatusQueries({
    redis: options.redis,
    bullPrefix: backbone.keys.bullPrefix,
    policy: options.policy,
    store,
    clock,
    logger: backbone.logger,
    ...(options.statusQueryTimeoutMs !== undefined ? { timeoutMs: options.statusQueryTimeoutMs } : {}),
  });

  /** Refusals are part of the story: audit them with who and why, then rethrow. */
  async function audited<T>(runId: string, operation: string, actor: Actor, fn: () => Promise<T>, extra: Partial<AuditDraft> = {}): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof EngineError && error.code !== "NOT_FOUND" && error.code !== "CONFLICT") {
        const draft: AuditDraft = { type: "refused", actor: actor.userId, ...extra, data: { operation, code: error.code, why: error.message, ...error.context, ...(actor.via !== undefined ? { via: actor.via } : {}) } };
        await store.appendAudit(runId, [draft], clock.now().toISOString()).catch(() => undefined);
      }
      throw error;
    }
  }

  async function decide(runId: string, operation: string, actor: Actor, mutate: (d: RunDraft) => void, extra: Partial<AuditDraft> = {}): Promise<RunRecord> {
    // A refused write leaves the run as it was (the compare-and-set is refused whole): say so, and what to do.
    return refusedWhenRedisIsFull(`your ${DECISION_NAMES[operation] ?? operation}`, () => audited(runId, operation, actor, async () => (await transitioner.apply(runId, actor.userId, mutate, actor.via !== undefined ? { via: actor.via } : {})).run, extra));
  }

  /** A fixed one-minute window per user: INCR, and the key expires after the window. */
  async function checkRate(actor: Actor, operation: "plan" | "start", cluster: string): Promise<void> {
    const limit = options.requestsPerMinute;
    if (limit === undefined) return;
    const nowMs = clock.now().getTime();
    const window = Math.floor(nowMs / 60_000);
    const key = `${backbone.keys.prefix}:rate:${actor.userId}:${window}`;
    const replies = await store.redis.multi().incr(key).pexpire(key, 120_000).exec();
    const count = Number(replies?.[0]?.[1] ?? 0);
    if (count <= limit) return;
    const wait = Math.ceil(((window + 1) * 60_000 - nowMs) / 1000);
    const error = new EngineError("RATE_LIMITED", `${actor.userId} asked for ${count} previews and starts this minute; the limit is ${limit} per minute: try again in ${wait} s`, { cluster, userId: actor.userId });
    await store.appendAudit("", [{ type: "refused", actor: actor.userId, data: { operation, code: error.code, why: error.message, cluster } }], clock.now().toISOString()).catch(() => undefined);
    throw error;
  }

  /**
   * Issue 12 point 2: a preview shows hosts, paths and commands, so only the
   * cluster's requesters and approvers (and channel members where allowed)
   * see it. The refusal names none of them. Unknown clusters fall through to
   * the planner's own NOT_FOUND.
   */
  async function checkMayRead(actor: Actor, request: PlanRequest, operation: string): Promise<void> {
    let policy;
    try {
      policy = options.policy.approvalPolicyFor(request.cluster, request.procedureId);
    } catch {
      return;
    }
    if (mayRead(actor, policy)) return;
    await store.appendAudit("", [{ type: "refused", actor: actor.userId, data: { operation, code: "NOT_ALLOWED", cluster: request.cluster, procedureId: request.procedureId } }], clock.now().toISOString());
    throw new EngineError("NOT_ALLOWED", `not allowed: you may not see plans for ${request.cluster}: ${requesterMissing(policy)}`, { cluster: request.cluster, userId: actor.userId });
  }

  /**
   * Reads the cluster through a worker's status query and records it on the
   * run. One process per run and moment (a Redis claim), so several bots do
   * not all ask; the record is then announced so run messages show it.
   */
  async function snapshot(runId: string, which: "before" | "after"): Promise<void> {
    const run = await store.get(runId);
    if (run === undefined || options.snapshots?.(run.plan.procedureId) !== true || run.snapshots?.[which] !== undefined) return;
    const claim = `${backbone.keys.prefix}:snapshot:${runId}:${which}`;
    const token = randomBytes(8).toString("hex");
    if ((await store.redis.set(claim, token, "PX", SNAPSHOT_CLAIM_MS, "NX")) !== "OK") return;
    try {
      const taken = snapshotOf(await statusQueries.querySystem(run.plan.cluster));
      await patchRun(runId, (current) => ({ snapshots: { ...current.snapshots, [which]: taken } }), "announce");
    } catch (error) {
      // Free the claim for the sweep (this or another process) to try again.
      await store.redis.releaseClaim(claim, token).catch(() => undefined);
      throw error;
    }
  }

  /** End snapshots a taker left behind: it died, or its query failed. Bounded to the latest runs. */
  async function sweepSnapshots(): Promise<void> {
    const now = clock.now().getTime();
    for (const run of await store.list({ limit: 20 })) {
      const ended = run.finishedAt !== undefined ? Date.parse(run.finishedAt) : undefined;
      if (ended === undefined || now - ended > AFTER_SNAPSHOT_WITHIN_MS || run.snapshots?.after !== undefined) continue;
      if (TERMINAL_RUN_STATES.includes(run.state)) snapshotLater(run, "after");
    }
  }

  /**
   * Bookkeeping on a run record that is not a transition: no audit entry,
   * retried on a version race. Its delta is published so that subscribers'
   * views stay on the stored version (else each would read the run again);
   * `announce` also tells listeners (run.updated), `quiet` only the views: a
   * bot's own message reference is nothing to redraw, and an event for a run
   * the notifier already let go would bring it back.
   */
  async function patchRun(runId: string, patch: (run: RunRecord) => Partial<RunRecord>, tell: "announce" | "quiet"): Promise<RunRecord> {
    for (let tries = 0; tries < 100; tries++) {
      const run = await store.get(runId);
      if (run === undefined) throw new EngineError("NOT_FOUND", `no run ${runId}`, { runId });
      const next: RunRecord = { ...run, ...patch(run), version: run.version + 1 };
      const { bus } = backbone;
      const message = tell === "announce" ? bus.encode([{ type: "run.updated", run: next }], run) : bus.encodeChange(next, run);
      const result = await store.compareAndSet(run, next, [], clock.now().toISOString(), bus.announcement(message));
      if (result === "ok") return next;
      if (result === "missing") throw new EngineError("NOT_FOUND", `no run ${runId}`, { runId });
    }
    throw new EngineError("CONFLICT", `run ${runId} is changing too fast; try again`, { runId });
  }

  /**
   * Takes the snapshot unless the run's procedure has none: decided from the
   * plan at hand, before `snapshot` reads the record. Each start and each
   * run's end event read the whole run in every engine (the bot's too) only
   * to find that out (issue 13 point 3).
   */
  function snapshotLater(run: Pick<RunRecord, "id" | "plan" | "snapshots">, which: "before" | "after"): void {
    if (options.snapshots?.(run.plan.procedureId) !== true || run.snapshots?.[which] !== undefined) return;
    const runId = run.id;
    const work = snapshot(runId, which).catch((err: unknown) => backbone.logger.warn({ runId, which, err: errorMessage(err) }, "cluster snapshot failed"));
    snapshotting.add(work);
    void work.finally(() => snapshotting.delete(work));
  }

  const subscriberConnection = (): Redis => backbone.redis.duplicate();

  // The end of a run is seen through its event, whichever process finished it; the sweep
  // catches the ends nobody heard or whose snapshot failed.
  const sweep =
    options.snapshots === undefined
      ? undefined
      : setInterval(() => {
          sweepSnapshots().catch((err: unknown) => backbone.logger.warn({ err: errorMessage(err) }, "end snapshot sweep failed"));
        }, options.snapshotSweepMs ?? 60_000);
  sweep?.unref();
  let closing = false;
  // Kept so that close() settles it: an engine closed before its SUBSCRIBE was answered (a CLI
  // command, ms after its start) left the subscribed connection open for good, holding the process
  // up (jest's "worker process has failed to exit gracefully", traced to cli.test.ts).
  const watchingEnds =
    options.snapshots === undefined
      ? undefined
      : backbone.bus
          .subscribe(subscriberConnection, (event) => {
            if (event.type === "run.finished") snapshotLater(event.run, "after");
          })
          // Answered after close() began: let go at once (a close that gave up on Redis cuts it anyway).
          .then((unsubscribe) => (closing ? unsubscribe().catch(() => undefined) : void subscriptions.add(unsubscribe)))
          .catch((err: unknown) => backbone.logger.warn({ err: errorMessage(err) }, "cannot watch runs for their end snapshot"));

  async function start(plan: Plan, actor: Actor): Promise<RunRecord> {
    await checkRate(actor, "start", plan.cluster);
    const policy = options.policy.approvalPolicyFor(plan.cluster, plan.procedureId);
    if (!mayRequest(actor, policy)) {
      await store.appendAudit("", [{ type: "refused", actor: actor.userId, data: { operation: "start", code: "NOT_ALLOWED", cluster: plan.cluster, procedureId: plan.procedureId } }], clock.now().toISOString());
      throw new EngineError("NOT_ALLOWED", `you may not start ${plan.procedureId} on ${plan.cluster}: ${requesterMissing(policy)}`, { cluster: plan.cluster, userId: actor.userId });
    }
    if (plan.steps.length === 0) throw new EngineError("PARAMS", "the plan has no steps", { cluster: plan.cluster });
    const now = clock.now();
    const id = (options.newRunId ?? newRunId)();
    const draft = new RunDraft(newRunRecord(id, plan, actor.userId, now), { now, actor: actor.userId, policy, ...(actor.via !== undefined ? { via: actor.via } : {}) });
    startRun(draft);
    const run: RunRecord = { ...draft.run, version: 1 };
    const audit: AuditDraft[] = [
      { type: "requested", actor: actor.userId, data: { procedureId: plan.procedureId, cluster: plan.cluster, params: plan.params, planHash: plan.planHash, ...(actor.via !== undefined ? { via: actor.via } : {}) } },
      { type: "lock.taken", actor: "engine", data: { cluster: plan.cluster } },
      ...draft.audit,
    ];
    // The run's events go out in the create's own write, and its first step's job right behind it on
    // the same connection: Redis runs the job's add after the create, so a worker taking the job finds
    // the run, and the start costs one round trip instead of three (issue 13). Not under Sentinel,
    // where a create can be written again after a lost one: there the job waits for the create's answer.
    const first = draft.effects.find((e): e is Extract<Effect, { type: "enqueue-step" }> => e.type === "enqueue-step" && e.delayMs <= 0);
    const creating = store.create(run, audit, transitioner.announcementOf(run, draft));
    const enqueueing = first === undefined || store.confirmsWrites ? undefined : backbone.effects.apply(run.id, first, transitioner.carried(run));
    // Whatever the create says, the add's answer is awaited: no rejection is left unheard.
    const sent = enqueueing?.then(
      () => true,
      (err: unknown) => {
        backbone.logger.warn({ runId: id, err: errorMessage(err) }, "the first step's job could not be added behind the run's create; adding it again");
        return false;
      },
    );
    let created;
    try {
      created = await creating;
    } catch (error) {
      await dropStartJob(id, first, sent);
      throw error;
    }
    if (!created.ok) {
      await dropStartJob(id, first, sent);
      const error = new EngineError(
        "LOCKED",
        `cluster ${plan.cluster} is busy with run ${created.holderRunId} requested by ${created.holderRequestedBy}`,
        { cluster: plan.cluster, holderRunId: created.holderRunId, holderRequestedBy: created.holderRequestedBy },
      );
      await store.appendAudit("", [{ type: "refused", actor: actor.userId, data: { operation: "start", code: error.code, why: error.message, ...error.context } }], now.toISOString());
      throw error;
    }
    await transitioner.afterCreate(run, draft, (await sent) === true ? first : undefined);
    snapshotLater(run, "before");
    return run;
  }

  /**
   * A refused or failed start whose first job was sent behind its create:
   * the job is taken back. A worker that took it first found no run and
   * skipped it (`no such run`); the completed job holds no record then.
   */
  async function dropStartJob(runId: string, first: Extract<Effect, { type: "enqueue-step" }> | undefined, sent: Promise<boolean> | undefined): Promise<void> {
    if (first === undefined || !(await sent)) return;
    await backbone.stepQueue.remove(stepJobId({ runId, stepIndex: first.stepIndex, attempt: first.attempt })).catch(() => undefined);
  }

  async function preview(request: PlanRequest, actor?: Actor): Promise<Plan> {
    if (actor !== undefined) await checkRate(actor, "plan", request.cluster);
    if (actor !== undefined) await checkMayRead(actor, request, "plan");
    if (options.planner === undefined) throw new EngineError("PARAMS", "no planner configured", { procedureId: request.procedureId });
    let plan: Plan;
    try {
      plan = await options.planner.plan(request);
    } catch (error) {
      if (error instanceof EngineError) throw error;
      throw new EngineError("PARAMS", errorMessage(error), { procedureId: request.procedureId, cluster: request.cluster });
    }
    await store.appendAudit("", [{ type: "previewed", actor: actor?.userId ?? "unknown", data: { procedureId: plan.procedureId, cluster: plan.cluster, params: plan.params, planHash: plan.planHash } }], clock.now().toISOString());
    return plan;
  }

  return {
    store,
    audit: (runId) => store.audit(runId),

    // Beside the versioned record, not a new version of it: the worker's next compare-and-set in this
    // run does not conflict with the bot's save (issue 13), and views need no event for it.
    setNotifierState: (runId, patch) =>
      refusedWhenRedisIsFull("the run message's reference", async () => {
        let saved = await store.setNotifierState(runId, patch);
        if (saved === "legacy") {
          // A record in the layout before run-hash.ts: rewritten as it is (which moves it to the split
          // layout and keeps its ref), then merged into like any other.
          await patchRun(runId, () => ({}), "quiet");
          saved = await store.setNotifierState(runId, patch);
        }
        if (saved !== "ok") throw new EngineError("NOT_FOUND", `no run ${runId}`, { runId });
      }),

    plan: (request, actor) => refusedWhenRedisIsFull("your preview", () => preview(request, actor)),

    // Issue 15 point 5: with Redis full the start is refused before anything is written (rate count, record, lock).
    start: (plan, actor) => refusedWhenRedisIsFull("your start", () => start(plan, actor)),

    approve: (gate: GateRef, actor: Actor, approveOptions?: ApproveOptions) =>
      decide(gate.runId, "approve", actor, (d) => approveGate(d, gate, actor, approveOptions), { stepIndex: gate.stepIndex, attempt: gate.attempt }),

    reject: (gate: GateRef, actor: Actor, reason: string) =>
      decide(gate.runId, "reject", actor, (d) => rejectGate(d, gate, actor, reason), { stepIndex: gate.stepIndex, attempt: gate.attempt }),

    confirm: (runId, stepIndex, actor, attempt) =>
      decide(runId, "confirm", actor, (d) => confirmStep(d, stepIndex, actor, attempt), { stepIndex, ...(attempt !== undefined ? { attempt } : {}) }),

    retry: (runId, stepIndex, actor, attempt) =>
      decide(runId, "retry", actor, (d) => retryStep(d, stepIndex, actor, attempt), { stepIndex, ...(attempt !== undefined ? { attempt } : {}) }),

    skip: (runId, stepIndex, actor, reason, attempt) =>
      decide(runId, "skip", actor, (d) => skipStep(d, stepIndex, actor, reason, attempt), { stepIndex, ...(attempt !== undefined ? { attempt } : {}) }),

    abort: (runId, actor, mode, request) => decide(runId, "abort", actor, (d) => abortRun(d, actor, mode, request), request?.at === undefined ? {} : { stepIndex: request.at.stepIndex, attempt: request.at.attempt }),

    checkOperator: (runId, actor) =>
      audited(runId, "check-operator", actor, async () => {
        const run = await store.get(runId);
        if (run === undefined) throw new EngineError("NOT_FOUND", `no run ${runId}`, { runId });
        assertOperator(run, options.policy.approvalPolicyFor(run.plan.cluster, run.plan.procedureId), actor);
        return run;
      }),

    notifierState: (runId) => store.notifierState(runId),

    async get(runId, readableBy) {
      const run = await store.get(runId);
      if (run === undefined || readableBy === undefined) return run;
      const policy = options.policy.approvalPolicyFor(run.plan.cluster, run.plan.procedureId);
      if (mayRead(readableBy, policy)) return run;
      throw new EngineError("NOT_ALLOWED", `not allowed: you may not see runs of ${run.plan.cluster}: ${requesterMissing(policy)}`, { runId, userId: readableBy.userId });
    },

    async list(filter = {}) {
      const runs = await store.list(filter);
      const reader = filter.readableBy;
      if (reader === undefined) return runs;
      const readable = new Map<string, boolean>();
      return runs.filter((r) => {
        const key = `${r.plan.cluster}\u0000${r.plan.procedureId}`;
        let ok = readable.get(key);
        if (ok === undefined) {
          try {
            ok = mayRead(reader, options.policy.approvalPolicyFor(r.plan.cluster, r.plan.procedureId));
          } catch {
            ok = false; // a cluster no longer in the inventory is shown to nobody
          }
          readable.set(key, ok);
        }
        return ok;
      });
    },

    queryStatus: (cluster, actor) => statusQueries.queryStatus(cluster, actor),

    async subscribe(listener: (event: RunEvent) => void): Promise<() => Promise<void>> {
      const unsubscribe = await backbone.bus.subscribe(subscriberConnection, listener);
      const tracked = async (): Promise<void> => {
        subscriptions.delete(tracked);
        await unsubscribe();
      };
      subscriptions.add(tracked);
      return tracked;
    },

    async close(): Promise<void> {
      closing = true;
      clearInterval(heartbeat);
      if (sweep !== undefined) clearInterval(sweep);
      const gaveUp = new GaveUpList();
      // Answered by now or soon: then it is in `subscriptions`, or (answered after `closing`) it let go itself.
      if (watchingEnds !== undefined) await gaveUp.within("run-event subscribe", [watchingEnds]);
      await gaveUp.within("end snapshots", [...snapshotting]);
      await gaveUp.within("run-event unsubscribe", [...subscriptions].map(async (u) => u().catch((err: unknown) => gaveUp.absorb(err))));
      await statusQueries.close().catch((err: unknown) => gaveUp.absorb(err));
      await backbone.close().catch((err: unknown) => gaveUp.absorb(err));
      gaveUp.throwIfAny();
    },
  };
}
