import type { Actor } from "../engine";
import { EngineError } from "../engine-error";
import { isInPrincipalSet } from "../ports/approval-policy";
import { openGate, prepareCursor } from "./prepare-cursor";
import type { RunDraft } from "./run-draft";

/** Operator decisions (confirm, retry, skip, abort) belong to the requester and the approvers. */
function checkOperator(draft: RunDraft, actor: Actor): void {
  if (actor.userId === draft.run.requestedBy || isInPrincipalSet(actor, draft.ctx.policy.approvers)) return;
  throw new EngineError("NOT_REQUESTER", `only the requester (${draft.run.requestedBy}) or an approver may decide on this run`, {
    runId: draft.run.id,
    userId: actor.userId,
  });
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

export function confirmStep(draft: RunDraft, stepIndex: number, actor: Actor): void {
  checkOperator(draft, actor);
  checkCursor(draft, stepIndex, ["pending"], ["awaiting_confirmation"]);
  const record = draft.step(stepIndex);
  draft.patchStep(stepIndex, { state: "succeeded", startedAt: draft.nowIso, finishedAt: draft.nowIso });
  draft.log("confirmed", { actor: actor.userId, stepIndex, attempt: record.attempt });
  draft.notices.push({ type: "step.finished", stepIndex });
  draft.patch({ state: "running", cursor: stepIndex + 1 });
  prepareCursor(draft);
}

/** A human decided to run the paused step again: a new attempt, gated again if destructive (per-step mode). */
export function retryStep(draft: RunDraft, stepIndex: number, actor: Actor): void {
  checkOperator(draft, actor);
  checkCursor(draft, stepIndex, ["failed", "interrupted", "pending"], ["paused"]);
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

export function skipStep(draft: RunDraft, stepIndex: number, actor: Actor, reason: string): void {
  checkOperator(draft, actor);
  if (reason.trim() === "") throw new EngineError("PARAMS", "skipping a step needs a reason", { runId: draft.run.id, stepIndex });
  checkCursor(draft, stepIndex, ["failed", "interrupted", "pending"], ["paused"]);
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
export function abortRun(draft: RunDraft, actor: Actor, mode: "after-step" | "now"): void {
  checkOperator(draft, actor);
  const { run } = draft;
  if (draft.isTerminal) throw new EngineError("INVALID_STATE", `run is already ${run.state}`, { runId: run.id, state: run.state });
  const previous = run.abortRequested;
  if (previous !== undefined && (previous.mode === "now" || mode === "after-step")) {
    throw new EngineError("ALREADY_DECIDED", `abort (${previous.mode}) already requested by ${previous.by}`, { runId: run.id });
  }
  const running = run.steps[run.cursor]?.state === "running";
  draft.patch({ abortRequested: { by: actor.userId, at: draft.nowIso, mode } });
  draft.log("abort.requested", { actor: actor.userId, stepIndex: running ? run.cursor : null, data: { mode, stepRunning: running } });
  if (running) {
    if (mode === "now") draft.effects.push({ type: "kill-step", stepIndex: run.cursor });
    return;
  }
  draft.finish("aborted", `aborted by ${actor.userId}`, { mode });
}
