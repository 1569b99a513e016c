import type { TargetOutput } from "../run-types";
import { prepareCursor } from "./prepare-cursor";
import { abortReason, type RunDraft } from "./run-draft";

export type BeginVerdict = "run" | "skip";

/**
 * A step job is about to execute. Stale jobs (other cursor, other attempt,
 * finished run) do nothing. A step already `running` means an earlier
 * delivery of this job died mid-step: only an idempotent step runs again;
 * any other becomes `interrupted` and the run pauses for a human.
 */
export function beginStep(draft: RunDraft, stepIndex: number, attempt: number): BeginVerdict {
  const { run } = draft;
  if (draft.isTerminal || run.cursor !== stepIndex) return "skip";
  const record = draft.step(stepIndex);
  if (record.attempt !== attempt) return "skip";
  const step = run.plan.steps[stepIndex]!;
  if (record.state === "queued") {
    if (run.abortRequested !== undefined) {
      draft.finish("aborted", abortReason(run), { mode: run.abortRequested.mode });
      return "skip";
    }
    draft.patchStep(stepIndex, { state: "running", startedAt: draft.nowIso });
    draft.patch({ state: "running" });
    draft.log("step.started", { stepIndex, attempt, data: { hosts: step.targets.map((t) => t.host) } });
    return "run";
  }
  if (record.state !== "running") return "skip";
  if (step.idempotent && run.abortRequested === undefined) {
    draft.patchStep(stepIndex, { startedAt: draft.nowIso });
    draft.log("step.started", { stepIndex, attempt, data: { rerunAfterCrash: true } });
    return "run";
  }
  draft.patchStep(stepIndex, { state: "interrupted", finishedAt: draft.nowIso, error: "the worker running this step died; it may or may not have run" });
  draft.log("interrupted", { stepIndex, attempt, data: { idempotent: step.idempotent } });
  if (run.abortRequested !== undefined) draft.finish("aborted", abortReason(run), { mode: run.abortRequested.mode });
  else draft.pause(`step ${stepIndex} (${step.id}) was interrupted by a worker crash: retry or skip it`, stepIndex);
  return "skip";
}

export interface StepOutcome {
  readonly ok: boolean;
  readonly outputs: readonly TargetOutput[];
  readonly captured?: Readonly<Record<string, readonly string[]>>;
  readonly error?: string;
  /** The remote command was killed by an abort `now`. */
  readonly aborted?: boolean;
  readonly durationMs: number;
}

function stepSummary(outcome: StepOutcome): Record<string, unknown> {
  return {
    ok: outcome.ok,
    durationMs: outcome.durationMs,
    ...(outcome.error !== undefined ? { error: outcome.error } : {}),
    targets: outcome.outputs.map((o) => ({ host: o.host, exitCode: o.exitCode, signal: o.signal, durationMs: o.durationMs })),
  };
}

/** Records a step's result and moves on: next step, automatic retry (idempotent only), pause, fail or abort. */
export function finishStep(draft: RunDraft, stepIndex: number, attempt: number, outcome: StepOutcome): void {
  const { run } = draft;
  const record = run.steps[stepIndex];
  if (draft.isTerminal || record?.state !== "running" || record.attempt !== attempt) return;
  const step = run.plan.steps[stepIndex]!;
  draft.log("step.finished", { stepIndex, attempt, data: stepSummary(outcome) });
  draft.notices.push({ type: "step.finished", stepIndex });
  const done = { outputs: outcome.outputs, finishedAt: draft.nowIso };
  if (outcome.ok) {
    draft.patchStep(stepIndex, { ...done, state: "succeeded", ...(outcome.captured !== undefined ? { captured: outcome.captured } : {}) });
    draft.patch({ cursor: stepIndex + 1 });
    prepareCursor(draft);
    return;
  }
  const error = outcome.error ?? "step failed";
  const abort = run.abortRequested;
  if (abort !== undefined) {
    draft.patchStep(stepIndex, { ...done, state: "failed", error: outcome.aborted === true ? `killed: abort (${abort.mode}) by ${abort.by}` : error });
    draft.finish("aborted", abortReason(run), { mode: abort.mode });
    return;
  }
  const used = record.retriesUsed ?? 0;
  if (step.idempotent && used < step.retries.max) {
    const notBefore = new Date(draft.ctx.now.getTime() + step.retries.backoffMs).toISOString();
    draft.patchStep(stepIndex, { ...done, state: "queued", error, attempt: attempt + 1, retriesUsed: used + 1, notBefore });
    draft.log("retried", { stepIndex, attempt: attempt + 1, data: { automatic: true, retry: used + 1, of: step.retries.max, error } });
    draft.effects.push({ type: "enqueue-step", stepIndex, attempt: attempt + 1, delayMs: step.retries.backoffMs });
    return;
  }
  draft.patchStep(stepIndex, { ...done, state: "failed", error });
  const reason = `step ${stepIndex} (${step.id}) failed: ${error}`;
  if (step.onFailure === "abort") draft.finish("failed", reason);
  else draft.pause(reason, stepIndex);
}
