import type { AbortRequest, Actor } from "../engine";
import type { RunRecord } from "../run-types";
import { EngineError } from "../engine-error";
import { isInPrincipalSet, type RunPolicy } from "../ports/run-policy";
import { openGate, prepareCursor } from "./prepare-cursor";
import { abortReason, type RunDraft } from "./run-draft";

/** Operator decisions (confirm, retry, skip, abort) belong to the requester and the approvers. */
export function assertOperator(run: RunRecord, policy: RunPolicy, actor: Actor): void {
  if (actor.userId === run.requestedBy || isInPrincipalSet(actor, policy.approvers)) return;
  throw new EngineError("NOT_REQUESTER", `only the requester (${run.requestedBy}) or an approver may decide on this run`, {
    runId: run.id,
    userId: actor.userId,
  });
}

function checkOperator(draft: RunDraft, actor: Actor): void {
  assertOperator(draft.run, draft.ctx.policy, actor);
}

function checkCursor(draft: RunDraft, stepIndex: number, states: readonly string[], runStates: readonly string[]): void {
  const { run } = draft;
  const record = run.steps[stepIndex];
  const ctx = { runId: run.id, stepIndex, state: run.state, stepState: record?.state };
  if (record === undefined) throw new EngineError("NOT_FOUND", `run ${run.id} has no step ${stepIndex}`, ctx);
  if (!runStates.includes(run.state) || run.cursor !== stepIndex || !states.includes(record.state)) {
    throw new EngineError("INVALID_STATE", `step ${stepIndex} is ${record.state} and the run is ${run.state} (at step ${run.cursor})`, ctx);
  }
}

/** A button names the attempt it was shown for; a later attempt (or none of this step) makes it stale. */
function checkAttempt(draft: RunDraft, stepIndex: number, attempt: number | undefined, what: string): void {
  if (attempt === undefined) return;
  const { run } = draft;
  const record = run.steps[stepIndex];
  if (record !== undefined && Math.max(1, record.attempt) === Math.max(1, attempt)) return;
  throw new EngineError("STALE_GATE", `this ${what} button was for step ${stepIndex + 1} (attempt ${attempt}); the step is at attempt ${record?.attempt ?? "?"}: use the run message's current buttons`, {
    runId: run.id,
    stepIndex,
    attempt,
  });
}

export function confirmStep(draft: RunDraft, stepIndex: number, actor: Actor, attempt?: number): void {
  checkOperator(draft, actor);
  checkCursor(draft, stepIndex, ["pending"], ["awaiting_confirmation"]);
  checkAttempt(draft, stepIndex, attempt, "Continue");
  const record = draft.step(stepIndex);
  draft.patchStep(stepIndex, { state: "succeeded", startedAt: draft.nowIso, finishedAt: draft.nowIso });
  draft.log("confirmed", { actor: actor.userId, stepIndex, attempt: record.attempt });
  draft.notices.push({ type: "step.finished", stepIndex });
  draft.patch({ state: "running", cursor: stepIndex + 1 });
  prepareCursor(draft);
}

/**
 * A human decided to run the paused step again: a new attempt. A destructive
 * step is gated again, in per-run mode too (prepareCursor): the run approval
 * covered the first attempt, not what is retried after a failure.
 */
export function retryStep(draft: RunDraft, stepIndex: number, actor: Actor, shownAttempt?: number): void {
  checkOperator(draft, actor);
  checkCursor(draft, stepIndex, ["failed", "interrupted", "pending"], ["paused"]);
  checkAttempt(draft, stepIndex, shownAttempt, "Retry");
  const record = draft.step(stepIndex);
  const attempt = Math.max(1, record.attempt) + 1;
  draft.patchStep(stepIndex, { attempt, retriesUsed: 0, error: undefined, approvals: [] });
  draft.patch({ state: "running", reason: undefined });
  draft.log("retried", { actor: actor.userId, stepIndex, attempt, data: { automatic: false, previousState: record.state } });
  const gate = draft.run.gate;
  if (gate?.stepIndex === null && gate.status === "expired") {
    draft.patch({ state: "awaiting_approval", runApprovals: [] });
    const reopened = openGate(draft, null, gate.attempt + 1);
    draft.log("approval.requested", { stepIndex: null, attempt: reopened.attempt, data: { approvers: reopened.approvers, expiresAt: reopened.expiresAt } });
    return;
  }
  prepareCursor(draft);
}

export function skipStep(draft: RunDraft, stepIndex: number, actor: Actor, reason: string, attempt?: number): void {
  checkOperator(draft, actor);
  if (reason.trim() === "") throw new EngineError("PARAMS", "skipping a step needs a reason", { runId: draft.run.id, stepIndex });
  checkCursor(draft, stepIndex, ["failed", "interrupted", "pending"], ["paused"]);
  checkAttempt(draft, stepIndex, attempt, "Skip");
  const step = draft.run.plan.steps[stepIndex]!;
  if (step.kind === "check" || step.destructive) {
    // A failed safety check (or a destructive step) skipped lets later destructive steps run: four-eyes, like an approval.
    const ctx = { runId: draft.run.id, stepIndex, attempt: draft.step(stepIndex).attempt };
    if (actor.userId === draft.run.requestedBy) {
      throw new EngineError("SELF_APPROVAL", `skipping ${step.kind === "check" ? "a failed check" : "a destructive step"} needs an approver other than the requester`, ctx);
    }
    if (!isInPrincipalSet(actor, draft.ctx.policy.approvers)) throw new EngineError("NOT_APPROVER", `only an approver may skip ${step.kind === "check" ? "a failed check" : "a destructive step"}`, ctx);
  }
  const record = draft.step(stepIndex);
  draft.patchStep(stepIndex, { state: "skipped", skipReason: reason, finishedAt: draft.nowIso });
  draft.log("skipped", { actor: actor.userId, stepIndex, attempt: record.attempt, data: { reason, previousState: record.state } });
  draft.patch({ state: "running", reason: undefined, cursor: stepIndex + 1 });
  prepareCursor(draft);
}

/**
 * `after-step` lets a running step finish; `now` also kills its remote
 * command. With no step running the run ends at once; the cluster lock is
 * released in the same write.
 */
export function abortRun(draft: RunDraft, actor: Actor, mode: "after-step" | "now", request: AbortRequest = {}): void {
  checkOperator(draft, actor);
  const { run } = draft;
  if (draft.isTerminal) throw new EngineError("INVALID_STATE", `run is already ${run.state}`, { runId: run.id, state: run.state });
  checkAbortBinding(draft, request);
  const previous = run.abortRequested;
  if (previous !== undefined && (previous.mode === "now" || mode === "after-step")) {
    throw new EngineError("ALREADY_DECIDED", `abort (${previous.mode}) already requested by ${previous.by}`, { runId: run.id });
  }
  const running = run.steps[run.cursor]?.state === "running";
  const reason = request.reason?.trim() || undefined;
  draft.patch({ abortRequested: { by: actor.userId, at: draft.nowIso, mode, ...(reason !== undefined ? { reason } : {}) } });
  draft.log("abort.requested", { actor: actor.userId, stepIndex: running ? run.cursor : null, data: { mode, stepRunning: running, ...(reason !== undefined ? { reason } : {}) } });
  if (running) {
    if (mode === "now") draft.effects.push({ type: "kill-step", stepIndex: run.cursor });
    return;
  }
  draft.finish("aborted", abortReason(draft.run), { mode });
}

/**
 * A button bound to a step's decision (its gate, Continue checkpoint or
 * failure) aborts only while the run still waits at that step and attempt:
 * a click on a message that has moved on is refused, as for Approve.
 */
function checkAbortBinding(draft: RunDraft, request: AbortRequest): void {
  const at = request.at;
  if (at === undefined || at.stepIndex === null) return;
  const { run } = draft;
  const record = run.steps[at.stepIndex];
  const waiting = ["awaiting_approval", "awaiting_confirmation", "paused"].includes(run.state);
  if (!waiting || run.cursor !== at.stepIndex || record === undefined || record.attempt !== at.attempt) {
    throw new EngineError("STALE_GATE", `this Abort button was for step ${at.stepIndex + 1} (attempt ${at.attempt}); the run is ${run.state} at step ${run.cursor + 1}: use the run message's current buttons`, {
      runId: run.id,
      stepIndex: at.stepIndex,
      attempt: at.attempt,
      state: run.state,
    });
  }
}
