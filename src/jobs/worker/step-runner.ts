import type { CopyStep, Expectation, PlannedStep, WaitSpec, WaitStep } from "../../procedures/model/step";
import { OutputBatcher } from "./output-batcher";
import { SlotPrefetch, type SlotRelease } from "./slot-prefetch";
import { combinedOutput, headAndTail } from "./combined-output";
import type { EventBus } from "../events/event-bus";
import type { HostSemaphore } from "./host-semaphore";
import type { RedisKeys } from "../store/redis-keys";
import type { RemoteExecutor } from "../ports/remote-executor";
import { evaluateExpectation, extractCaptures } from "../../procedures";
import type { StepOutcome } from "../run-machine/step-lifecycle";
import type { RunStore } from "../store/run-store";
import type { RunRecord, TargetOutput } from "../run-types";
import { redactSecrets, SecretRedactor } from "../../util/secret-redactor";
import { shellQuote } from "../../util/shell-quote";
import { createHash } from "node:crypto";

export interface StepRunnerDeps {
  readonly executor: RemoteExecutor;
  readonly semaphore: HostSemaphore;
  readonly store: RunStore;
  readonly keys: RedisKeys;
  readonly bus: EventBus;
  readonly outputMaxBytes: number;
  readonly outputTtlMs: number;
  /** Compiled `compileSecretPatterns`: applied to live chunks, stored output, tails and failure reasons. */
  readonly secretPatterns: readonly RegExp[];
}

interface TargetResult {
  readonly output: TargetOutput;
  readonly ok: boolean;
  readonly stdout: string;
  readonly reason?: string;
}

const EXIT_ZERO: Expectation = { type: "exit-zero" };

/** Performs a write that must not be dropped (the worker waits through Redis being full); named for the log. */
export type DurableWrite = <T>(what: string, write: () => Promise<T>) => Promise<T>;

const plainWrite: DurableWrite = (_what, write) => write();

export type { SlotRelease } from "./slot-prefetch";

/** What one execution of a step shares across its targets. */
export interface StepContext {
  readonly signal: AbortSignal;
  /** How the writes of a command that ran are made; a refusal of them must not read as the command failing. @defaultValue plain */
  readonly durable?: DurableWrite;
  /** SSH slots asked for while the step's start was being written (`reserveSlot`), by host; each is taken once. */
  readonly slots?: Map<string, Promise<SlotRelease>>;
  /**
   * Where output writes go when the caller sends the step's result behind
   * them on the same connection instead of waiting for each (issue 13):
   * Redis runs them in order, so the result is never there before its output.
   * Without it each is awaited.
   */
  readonly writes?: Promise<void>[];
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Runs `fn` over items, at most `limit` at once; stops starting new ones after a failure when `stopOnFailure`. */
async function forEachLimited<T, R extends { ok: boolean }>(items: readonly T[], limit: number, stopOnFailure: boolean, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (next < items.length && !(stopOnFailure && failed)) {
      const index = next++;
      const result = await fn(items[index]!, index);
      results.push(result);
      if (!result.ok) failed = true;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}

const targetKey = (host: string, command: string | undefined): string => `${host}\u0000${command ?? ""}`;

/**
 * The targets of a step that already met its expectation in an earlier
 * attempt. None for steps with captures: their values come from every
 * host's output of one attempt.
 */
function doneEarlier(run: RunRecord, step: PlannedStep): Set<string> {
  const record = run.steps[step.index]!;
  if ((step.captures ?? []).length > 0) return new Set();
  return new Set(record.outputs.filter((o) => o.ok === true && o.attempt !== undefined && o.attempt < record.attempt).map((o) => targetKey(o.host, o.command)));
}

/** Executes one step on its targets (the worker side); never changes the run record. */
export class StepRunner {
  constructor(private readonly deps: StepRunnerDeps) {}

  async run(run: RunRecord, stepIndex: number, ctx: StepContext): Promise<StepOutcome> {
    const step = run.plan.steps[stepIndex]!;
    const started = Date.now();
    try {
      const outcome = await this.runKind(run, step, ctx);
      return { ...outcome, durationMs: Date.now() - started };
    } catch (error) {
      return { ok: false, outputs: [], error: message(error), aborted: ctx.signal.aborted, durationMs: Date.now() - started };
    }
  }

  /**
   * Asks for the SSH slot of a step with one command target now, so that the
   * ask travels with the write that marks the step running instead of after
   * its answer (issue 13: one round trip less per step). The caller releases
   * what the step did not take (`releaseUnused`). Others: none.
   */
  reserveSlot(run: RunRecord, stepIndex: number, ctx: Pick<StepContext, "signal" | "durable">): Map<string, Promise<SlotRelease>> {
    const step = run.plan.steps[stepIndex]!;
    const slots = new Map<string, Promise<SlotRelease>>();
    if (step.kind !== "exec" && step.kind !== "check") return slots;
    const { targets } = this.pendingTargets(run, step);
    if (targets.length !== 1) return slots;
    const host = targets[0]!.host;
    const durable = ctx.durable ?? plainWrite;
    const slot = durable(`an SSH slot on ${host}`, () => this.deps.semaphore.acquire(run.plan.cluster, host, ctx.signal));
    // Awaited by the step, or released unused; an ask that failed is the step's to report.
    slot.catch(() => undefined);
    slots.set(host, slot);
    return slots;
  }

  /** Gives back the slots a step did not take (it was not run, or ran on other hosts). */
  static releaseUnused(slots: Map<string, Promise<SlotRelease>> | undefined): void {
    for (const slot of slots?.values() ?? []) void slot.then((release) => release()).catch(() => undefined);
    slots?.clear();
  }

  private async runKind(run: RunRecord, step: PlannedStep, ctx: StepContext): Promise<Omit<StepOutcome, "durationMs">> {
    switch (step.kind) {
      case "exec":
      case "check":
        return this.runCommands(run, step, step.expect ?? EXIT_ZERO, ctx);
      case "copy":
        return this.runCopy(run, step, ctx.signal);
      case "wait":
        // A plain wait was its job's delay (startDelayMs); a polling one polls here.
        return step.wait.poll === undefined ? { ok: true, outputs: [] } : this.runPoll(run, step, step.wait.poll, ctx);
      case "confirm":
        return { ok: false, outputs: [], error: "confirm steps are confirmed by a human, not run by a worker" };
    }
  }

  /**
   * The targets this attempt runs, and the outputs it keeps from earlier ones.
   * Issue 15 point 6: a retry re-runs only the hosts that failed or were
   * interrupted; hosts that met the expectation keep their earlier output.
   */
  private pendingTargets(run: RunRecord, step: PlannedStep): { targets: { host: string; command: string }[]; carried: TargetOutput[] } {
    const record = run.steps[step.index]!;
    const all = record.resolvedCommands ?? step.targets.flatMap((t) => (t.command !== undefined ? [{ host: t.host, command: t.command }] : []));
    const done = doneEarlier(run, step);
    return {
      targets: all.filter((t) => !done.has(targetKey(t.host, t.command))),
      carried: record.outputs.filter((o) => done.has(targetKey(o.host, o.command))),
    };
  }

  private async runCommands(run: RunRecord, step: PlannedStep, expect: Expectation, ctx: StepContext): Promise<Omit<StepOutcome, "durationMs">> {
    const { targets, carried } = this.pendingTargets(run, step);
    const limit = step.parallel?.limit ?? 1;
    // Asks still waiting for a busy host when the step is over (it stopped at a failure) stop polling.
    const over = new AbortController();
    const askSignal = AbortSignal.any([ctx.signal, over.signal]);
    const slots = new SlotPrefetch(
      targets.map((t) => t.host),
      Math.min(limit, targets.length),
      (host) => this.askSlot(run, host, ctx, askSignal),
    );
    let results: TargetResult[];
    try {
      results = await forEachLimited(targets, limit, true, (t, i) => this.runTarget(run, step, t.host, t.command, expect, ctx, slots.take(i)));
    } finally {
      slots.releaseUnused();
      over.abort();
    }
    const failures = results.filter((r) => !r.ok);
    const outputs = [...carried, ...results.map((r) => r.output)];
    const aborted = ctx.signal.aborted;
    if (failures.length > 0 || results.length < targets.length) {
      const why = failures.map((f) => `${f.output.host}: ${f.reason ?? "failed"}`).join("; ");
      return { ok: false, outputs, aborted, error: why === "" ? "not every target ran" : why };
    }
    if (step.captures === undefined || step.captures.length === 0) return { ok: true, outputs };
    try {
      const captured: Record<string, string[]> = {};
      for (const r of results) {
        const extracted = extractCaptures(step.captures, r.stdout);
        if (!extracted.ok) throw new Error(extracted.reason);
        for (const [name, values] of Object.entries(extracted.values)) {
          captured[name] = [...(captured[name] ?? []), ...values];
        }
      }
      return { ok: true, outputs, captured };
    } catch (error) {
      return { ok: false, outputs, error: `capture: ${message(error)}` };
    }
  }

  /** An SSH slot on `host`: the one asked for with the step's start (`reserveSlot`) if any, else asked for now, until `signal`. */
  private askSlot(run: RunRecord, host: string, ctx: StepContext, signal: AbortSignal): Promise<SlotRelease> {
    const reserved = ctx.slots?.get(host);
    if (reserved !== undefined) {
      ctx.slots?.delete(host);
      return reserved;
    }
    const durable = ctx.durable ?? plainWrite;
    return durable(`an SSH slot on ${host}`, () => this.deps.semaphore.acquire(run.plan.cluster, host, signal));
  }

  private async runTarget(run: RunRecord, step: PlannedStep, host: string, command: string, expect: Expectation, ctx: StepContext, slot: Promise<SlotRelease>): Promise<TargetResult> {
    const { executor, bus } = this.deps;
    const { signal } = ctx;
    const durable = ctx.durable ?? plainWrite;
    const attempt = run.steps[step.index]!.attempt;
    let release: SlotRelease | undefined;
    try {
      release = await slot;
      const live = new OutputBatcher((chunk) => {
        bus.publish({ type: "step.output", runId: run.id, stepIndex: step.index, host, chunk }).catch(() => undefined);
      });
      // One redactor per stream: each holds back its unfinished line, so a secret cut by a chunk is still caught.
      const outRedactor = new SecretRedactor(this.deps.secretPatterns);
      const errRedactor = new SecretRedactor(this.deps.secretPatterns);
      const show = (text: string): void => {
        if (text !== "") live.push(text);
      };
      // Issue 15 point 6: scripts that can use an idempotency key get one, per run, step, attempt and host.
      const keyed = `export INTERVENE_STEP_KEY=${shellQuote(`${run.id}:${step.index}:${attempt}:${host}`)}; ${command}`;
      const result = await executor
        .exec({ cluster: run.plan.cluster, host }, keyed, {
          timeoutMs: step.timeoutMs,
          signal,
          onStdout: (chunk) => show(outRedactor.push(chunk)),
          onStderr: (chunk) => show(errRedactor.push(chunk)),
          maxOutputBytes: this.deps.outputMaxBytes,
        })
        .finally(() => {
          show(outRedactor.end());
          show(errRedactor.end());
          live.flush();
        });
      const text = redactSecrets(combinedOutput(result), this.deps.secretPatterns);
      const { head, tail } = headAndTail(text);
      // An output the record's tail holds whole is not stored a second time apart (issue 13: one
      // write less per target; most checks print a few lines). Only a longer one gets its key.
      let outputKey: string | undefined;
      if (head !== "") {
        const key = this.deps.keys.output(run.id, step.index, attempt, host);
        outputKey = key;
        const stored = durable(`the output of ${host}`, () => this.deps.store.saveOutput(key, text, this.deps.outputTtlMs));
        if (ctx.writes !== undefined) {
          // Handled here so that a failure before the caller looks is not an unhandled rejection.
          stored.catch(() => undefined);
          ctx.writes.push(stored);
        } else await stored;
      }
      // The operator deciding on Retry must know when a timed-out command may still be running (its
      // host stopped answering, so the kill never landed): found by chaos/ssh-faults.chaos.ts.
      const unstopped = result.cleanup === "kill-failed" ? "; the host did not confirm that the command stopped: it may still be running" : "";
      const verdict = result.aborted
        ? { ok: false, reason: "aborted" }
        : result.timedOut
          ? { ok: false, reason: `timed out after ${step.timeoutMs} ms${unstopped}` }
          : evaluateExpectation(expect, { exitCode: result.code, stdout: result.stdout, stderr: result.stderr });
      const output: TargetOutput = {
        host,
        command,
        exitCode: result.code,
        signal: result.signal,
        durationMs: result.durationMs,
        tail,
        truncated: result.truncated,
        ...(outputKey !== undefined ? { outputKey } : {}),
        digest: createHash("sha256").update(text).digest("hex"),
        ok: verdict.ok,
        attempt,
        ...(head !== "" ? { head } : {}),
        ...(verdict.ok ? {} : { error: redactSecrets(verdict.reason ?? "expectation not met", this.deps.secretPatterns) }),
      };
      const reason = verdict.ok ? undefined : redactSecrets(verdict.reason ?? `exit ${result.code}`, this.deps.secretPatterns);
      return { output, ok: verdict.ok, stdout: result.stdout, ...(reason !== undefined ? { reason } : {}) };
    } catch (error) {
      const output: TargetOutput = { host, command, exitCode: null, signal: null, durationMs: 0, tail: "", truncated: false, error: message(error) };
      return { output, ok: false, stdout: "", reason: message(error) };
    } finally {
      // Not awaited: the release is queued on the store's connection now, so it reaches Redis before
      // the step's result does; a release that fails leaves a lease that lapses (issue 13).
      void release?.().catch(() => undefined);
    }
  }

  private async runCopy(run: RunRecord, step: CopyStep, signal: AbortSignal): Promise<Omit<StepOutcome, "durationMs">> {
    const spec = step.copy;
    const cluster = run.plan.cluster;
    const hosts = [...new Set([spec.fromHost, spec.toHost])].sort();
    const releases: (() => Promise<void>)[] = [];
    const started = Date.now();
    const label = `${spec.fromHost}:${spec.fromPath} -> ${spec.toHost}:${spec.toPath}`;
    try {
      for (const h of hosts) releases.push(await this.deps.semaphore.acquire(cluster, h, signal));
      await this.deps.executor.copy({ cluster, host: spec.fromHost }, spec.fromPath, { cluster, host: spec.toHost }, spec.toPath, { timeoutMs: step.timeoutMs, signal });
      return { ok: true, outputs: [{ host: spec.toHost, command: `copy ${label}`, exitCode: 0, signal: null, durationMs: Date.now() - started, tail: "copied and verified", truncated: false }] };
    } catch (error) {
      const output: TargetOutput = { host: spec.toHost, command: `copy ${label}`, exitCode: null, signal: null, durationMs: Date.now() - started, tail: "", truncated: false, error: message(error) };
      return { ok: false, outputs: [output], error: message(error), aborted: signal.aborted };
    } finally {
      for (const r of releases) await r().catch(() => undefined);
    }
  }

  /** Polls the check until it holds or the wait's time is up (an idempotent step: a crash simply polls again). */
  private async runPoll(run: RunRecord, step: WaitStep, poll: NonNullable<WaitSpec["poll"]>, ctx: StepContext): Promise<Omit<StepOutcome, "durationMs">> {
    const { signal } = ctx;
    const deadline = Date.now() + step.wait.delayMs;
    let last: Omit<StepOutcome, "durationMs"> = { ok: false, outputs: [], error: "never polled" };
    for (;;) {
      last = await this.runCommands(run, step, poll.expect, ctx);
      if (last.ok || signal.aborted) return last;
      if (Date.now() + poll.intervalMs > deadline) {
        return { ...last, ok: false, error: `condition not met within ${step.wait.delayMs} ms: ${last.error ?? ""}` };
      }
      await sleep(poll.intervalMs, signal);
    }
  }
}
