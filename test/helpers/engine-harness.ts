import { randomBytes } from "node:crypto";
import type { Inventory } from "../../src/config";
import {
  catalogPlanner,
  catalogStepAuthority,
  createEngine,
  createSshExecutor,
  inventoryPolicyResolver,
  startWorker,
  TERMINAL_RUN_STATES,
  type Actor,
  type EngineHandle,
  type RunEvent,
  type RunRecord,
  type StepRecord,
  type WorkerHandle,
  type WorkerOptions,
} from "../../src/jobs";
import type { Plan } from "../../src/procedures";
import type { PlannedStep } from "../../src/procedures/model/step";
import { SshPool } from "../../src/ssh";
import { cleanupPrefix } from "./cleanup-prefix";

/** Slack user ids of the two people in every sim cluster's approval policy (see sim/start-sim-cluster.ts). */
export const REQUESTER: Actor = { userId: "U0REQUESTER" };
export const APPROVER: Actor = { userId: "U0APPROVER" };

export interface EngineHarnessOptions {
  readonly inventory: Inventory;
  readonly redisUrl: string;
  /** Worker settings over the harness defaults. */
  readonly worker?: Partial<Omit<WorkerOptions, "redis" | "prefix" | "policy" | "semantics" | "executor">>;
}

/** A gate the harness met (and approved, unless told to stop there). */
export interface GateSeen {
  readonly stepIndex: number | null;
  readonly stepId: string | null;
  readonly attempt: number;
  /** What the approver was shown: the commands with captures resolved. */
  readonly commands: readonly { readonly host: string; readonly command: string }[];
}

export interface RunToEndOptions {
  /** Who approves gates. @defaultValue APPROVER */
  readonly approveAs?: Actor;
  /** Who confirms human checkpoints. @defaultValue REQUESTER */
  readonly confirmAs?: Actor;
  /** Return at this gate without approving it (the run stays awaiting_approval). */
  readonly stopAtGate?: (step: PlannedStep | null, run: RunRecord) => boolean;
  /** Return at this human checkpoint without confirming it (the run stays awaiting_confirmation). */
  readonly stopAtConfirm?: (step: PlannedStep, run: RunRecord) => boolean;
  /** @defaultValue 60000 */
  readonly timeoutMs?: number;
}

export interface RunOutcome {
  /** The run when it reached a terminal state, paused, or the gate or checkpoint the options chose. */
  readonly run: RunRecord;
  readonly gates: readonly GateSeen[];
  readonly confirmed: readonly string[];
}

export interface EngineHarness {
  readonly prefix: string;
  readonly inventory: Inventory;
  readonly engine: EngineHandle;
  readonly worker: WorkerHandle;
  readonly pool: SshPool;
  /** `engine.plan` as the requester. */
  plan(procedureId: string, cluster: string, params?: Readonly<Record<string, unknown>>): Promise<Plan>;
  /** Plans and starts the run as the requester. */
  start(procedureId: string, cluster: string, params?: Readonly<Record<string, unknown>>): Promise<RunRecord>;
  /** Drives the run (approves gates, confirms checkpoints) until it is terminal or paused. */
  runToEnd(runId: string, options?: RunToEndOptions): Promise<RunOutcome>;
  /** Aborts every run still active on this harness (so a failed test leaves no cluster lock behind). */
  abortActive(): Promise<void>;
  /** `retry` of the paused step as the requester, then `runToEnd`. */
  retryToEnd(runId: string, options?: RunToEndOptions): Promise<RunOutcome>;
  close(): Promise<void>;
}

/** The plan step and its record, by step id; throws when the plan has no such step. */
export function stepById(run: RunRecord, id: string): { readonly step: PlannedStep; readonly record: StepRecord } {
  const step = run.plan.steps.find((s) => s.id === id);
  if (step === undefined) throw new Error(`plan ${run.plan.procedureId} has no step ${id}; steps: ${run.plan.steps.map((s) => s.id).join(", ")}`);
  return { step, record: run.steps[step.index]! };
}

/**
 * One line per step (`id: state`), for failure messages; a failed or
 * interrupted step also shows each host's output tail, so that a failure in
 * CI says what the command printed.
 */
export function describeRun(run: RunRecord): string {
  const steps = run.plan.steps.map((s) => {
    const r = run.steps[s.index]!;
    const line = `  ${s.index} ${s.id}: ${r.state}${r.error !== undefined ? ` (${r.error})` : ""}`;
    if (r.state !== "failed" && r.state !== "interrupted") return line;
    const tails = r.outputs.map((o) => `      ${o.host} (exit ${o.exitCode ?? "none"}): ${(o.tail.trim() === "" ? "(no output)" : o.tail.trim().split("\n").slice(-6).join("\n        "))}`);
    return [line, ...tails].join("\n");
  });
  return `run ${run.id} ${run.state} at step ${run.cursor}${run.reason !== undefined ? ` (${run.reason})` : ""}\n${steps.join("\n")}`;
}

/** Throws with every step's state and error unless the run is in `state`: a failing e2e says where it stopped. */
export function assertRunState(run: RunRecord, state: RunRecord["state"]): void {
  if (run.state !== state) throw new Error(`expected the run to be ${state}:\n${describeRun(run)}`);
}

function eventRunId(event: RunEvent): string {
  return event.type === "step.output" ? event.runId : event.run.id;
}


/** INTERVENE_SECRET of the harness's engine and worker: tests that forge records in Redis do not know it. */
export const HARNESS_APPROVAL_KEY = Buffer.from("engine-harness-intervene-secret-0123456789abcdef");

/**
 * The product's engine and one worker over SSH to the inventory's hosts, on
 * `redisUrl` under a prefix of their own. Everything the harness opens,
 * `close` closes, and the prefix's keys are deleted.
 */
export async function startEngineHarness(options: EngineHarnessOptions): Promise<EngineHarness> {
  const { inventory, redisUrl } = options;
  const prefix = `e2e-${randomBytes(4).toString("hex")}`;
  const policy = inventoryPolicyResolver(inventory);
  // As in production (engine-options.ts): approvals sealed with a key the worker checks, and a worker that re-derives every step.
  const approvalKey = HARNESS_APPROVAL_KEY;
  const engine = createEngine({ redis: redisUrl, prefix, policy, planner: catalogPlanner(inventory), approvalKey });
  const pool = new SshPool();
  let worker: WorkerHandle | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;
  // Listeners waiting for the next event of a run; an event wakes every waiter of its run.
  const waiters = new Map<string, Set<() => void>>();

  const close = async (): Promise<void> => {
    await unsubscribe?.().catch(() => undefined);
    // A close that gave up on Redis (CloseGaveUpError) still lets the rest be cleaned up, then fails the test.
    try {
      await worker?.close();
      await engine.close();
    } finally {
      await pool.close();
      await cleanupPrefix(redisUrl, prefix);
    }
  };

  try {
    worker = await startWorker({
      redis: redisUrl,
      prefix,
      policy,
      executor: createSshExecutor(pool, inventory),
      approvalKey,
      authority: catalogStepAuthority({ inventory, policy, approvalKey }),
      reconcileIntervalMs: 1000,
      shutdownGraceMs: 5000,
      ...options.worker,
    });
    unsubscribe = await engine.subscribe((event) => {
      if (event.type === "step.output") return;
      for (const wake of waiters.get(eventRunId(event)) ?? []) wake();
    });
  } catch (error) {
    await close();
    throw error;
  }
  const startedWorker = worker;

  /** Resolves at the run's next event, or after `ms` (a safety net should an event be missed). */
  function nextChange(runId: string, ms: number): { readonly changed: Promise<void>; cancel(): void } {
    let timer: NodeJS.Timeout | undefined;
    let wake: () => void = () => undefined;
    const changed = new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });
    const set = waiters.get(runId) ?? new Set<() => void>();
    waiters.set(runId, set);
    set.add(wake);
    const cancel = (): void => {
      clearTimeout(timer);
      set.delete(wake);
      wake();
    };
    return { changed: changed.finally(cancel), cancel };
  }

  async function runToEnd(runId: string, opts: RunToEndOptions = {}): Promise<RunOutcome> {
    const approveAs = opts.approveAs ?? APPROVER;
    const confirmAs = opts.confirmAs ?? REQUESTER;
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    const gates: GateSeen[] = [];
    const confirmed: string[] = [];
    for (;;) {
      // Listen before reading, so a change between the read and the wait is not missed.
      const next = nextChange(runId, 1000);
      const run = await engine.get(runId);
      if (run === undefined) {
        next.cancel();
        throw new Error(`no run ${runId}`);
      }
      if (TERMINAL_RUN_STATES.includes(run.state) || run.state === "paused") {
        next.cancel();
        return { run, gates, confirmed };
      }
      if (Date.now() > deadline) {
        next.cancel();
        throw new Error(`run did not settle within ${opts.timeoutMs ?? 60_000} ms:\n${describeRun(run)}`);
      }
      const gate = run.gate;
      if (run.state === "awaiting_approval" && gate?.status === "open") {
        next.cancel();
        const step = gate.stepIndex === null ? null : run.plan.steps[gate.stepIndex]!;
        const record = gate.stepIndex === null ? undefined : run.steps[gate.stepIndex];
        const commands = record?.resolvedCommands ?? step?.targets.flatMap((t) => (t.command !== undefined ? [{ host: t.host, command: t.command }] : [])) ?? [];
        gates.push({ stepIndex: gate.stepIndex, stepId: step?.id ?? null, attempt: gate.attempt, commands });
        if (opts.stopAtGate?.(step, run) === true) return { run, gates, confirmed };
        await engine.approve({ runId, stepIndex: gate.stepIndex, attempt: gate.attempt, planHash: gate.planHash }, approveAs);
        continue;
      }
      if (run.state === "awaiting_confirmation") {
        next.cancel();
        if (opts.stopAtConfirm?.(run.plan.steps[run.cursor]!, run) === true) return { run, gates, confirmed };
        await engine.confirm(runId, run.cursor, confirmAs);
        confirmed.push(run.plan.steps[run.cursor]?.id ?? String(run.cursor));
        continue;
      }
      await next.changed;
    }
  }

  return {
    prefix,
    inventory,
    engine,
    worker: startedWorker,
    pool,
    plan: (procedureId, cluster, params = {}) => engine.plan({ procedureId, cluster, params }, REQUESTER),
    async start(procedureId, cluster, params = {}) {
      const plan = await engine.plan({ procedureId, cluster, params }, REQUESTER);
      return engine.start(plan, REQUESTER);
    },
    runToEnd,
    async abortActive() {
      for (const run of await engine.list({ active: true })) {
        await engine.abort(run.id, REQUESTER, "now").catch(() => undefined);
        await runToEnd(run.id, { timeoutMs: 10_000 }).catch(() => undefined);
      }
    },
    async retryToEnd(runId, opts) {
      const run = await engine.get(runId);
      if (run === undefined) throw new Error(`no run ${runId}`);
      await engine.retry(runId, run.cursor, REQUESTER);
      return runToEnd(runId, opts);
    },
    close,
  };
}
