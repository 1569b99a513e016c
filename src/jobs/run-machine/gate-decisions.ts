import type { Actor, ApproveOptions, GateRef } from "../engine";
import { EngineError } from "../engine-error";
import { isInPrincipalSet } from "../ports/run-policy";
import type { Decision } from "../run-types";
import { decisionFacts, sealApproval } from "../approval-seal";
import { destructiveCommands } from "./new-run";
import { prepareCursor, queueStep, startDelayMs } from "./prepare-cursor";
import type { RunDraft } from "./run-draft";

function gateContext(draft: RunDraft, ref: GateRef, actor?: Actor): Record<string, unknown> {
  return { runId: draft.run.id, stepIndex: ref.stepIndex, attempt: ref.attempt, userId: actor?.userId, state: draft.run.state };
}

/** Throws unless `ref` names the run's open gate; an overdue gate is expired on the way (and EXPIRED raised after the commit). */
function checkOpenGate(draft: RunDraft, ref: GateRef, actor: Actor): boolean {
  const { run } = draft;
  const gate = run.gate;
  const ctx = gateContext(draft, ref, actor);
  if (ref.planHash !== run.plan.planHash) {
    throw new EngineError("STALE_GATE", "this approval belongs to another plan (plan hash differs)", { ...ctx, planHash: ref.planHash });
  }
  if (gate === undefined || gate.stepIndex !== ref.stepIndex || gate.attempt !== ref.attempt) {
    throw new EngineError("STALE_GATE", "this approval request is no longer current (another step or attempt is gated now)", ctx);
  }
  if (gate.status === "expired") throw new EngineError("EXPIRED", `this approval request expired at ${gate.expiresAt}`, ctx);
  if (gate.status !== "open") throw new EngineError("ALREADY_DECIDED", `this gate was already ${gate.status}`, ctx);
  if (draft.isTerminal) throw new EngineError("INVALID_STATE", `run is ${run.state}`, ctx);
  if (draft.ctx.now.getTime() > Date.parse(gate.expiresAt)) {
    expireGate(draft, gate.stepIndex, gate.attempt);
    draft.refusal = new EngineError("EXPIRED", `this approval request expired at ${gate.expiresAt}`, ctx);
    return false;
  }
  return true;
}

function decisionsOf(draft: RunDraft, stepIndex: number | null): readonly Decision[] {
  return stepIndex === null ? (draft.run.runApprovals ?? []) : draft.step(stepIndex).approvals;
}

function setDecisions(draft: RunDraft, stepIndex: number | null, decisions: readonly Decision[]): void {
  if (stepIndex === null) draft.patch({ runApprovals: decisions });
  else draft.patchStep(stepIndex, { approvals: decisions });
}

function approvedCommands(draft: RunDraft, stepIndex: number | null): unknown {
  return stepIndex === null ? destructiveCommands(draft.run.plan) : draft.step(stepIndex).resolvedCommands;
}

/**
 * Issue 12 point 12: the requester approves their own gate only in the
 * cluster's break-glass channel, with a reason; that approval alone opens the
 * gate (the emergency), and is marked. Everywhere else, four-eyes.
 */
function checkSelfApproval(draft: RunDraft, ref: GateRef, actor: Actor, breakGlass: ApproveOptions["breakGlass"]): boolean {
  if (actor.userId !== draft.run.requestedBy) return false;
  const ctx = gateContext(draft, ref, actor);
  const channel = draft.ctx.policy.breakGlass?.channel;
  const how = channel === undefined ? "" : `; in an emergency, approve it yourself in the break-glass channel ${channel} with \`approve ${draft.run.id} step=${ref.stepIndex ?? "run"} attempt=${ref.attempt} reason="…"\``;
  if (breakGlass === undefined || channel === undefined) throw new EngineError("SELF_APPROVAL", `the requester cannot approve their own run (four-eyes)${how}`, ctx);
  if (breakGlass.channel !== channel) throw new EngineError("SELF_APPROVAL", `break-glass approvals are taken only in ${channel}, the cluster's break-glass channel`, ctx);
  if (breakGlass.reason.trim() === "") throw new EngineError("PARAMS", "a break-glass approval needs a reason: reason=\"…\"", ctx);
  return true;
}

export function approveGate(draft: RunDraft, ref: GateRef, actor: Actor, options: ApproveOptions = {}): void {
  if (!checkOpenGate(draft, ref, actor)) return;
  const policy = draft.ctx.policy;
  const ctx = gateContext(draft, ref, actor);
  const breakGlass = checkSelfApproval(draft, ref, actor, options.breakGlass) ? options.breakGlass : undefined;
  if (breakGlass === undefined && !isInPrincipalSet(actor, policy.approvers)) throw new EngineError("NOT_APPROVER", `${actor.userId} is not an approver of this run`, ctx);
  const decisions = decisionsOf(draft, ref.stepIndex);
  if (decisions.some((d) => d.userId === actor.userId && d.decision === "approved")) {
    throw new EngineError("ALREADY_APPROVED", `${actor.userId} already approved this gate; another approver is needed`, ctx);
  }
  const key = draft.ctx.approvalKey;
  const marked = breakGlass !== undefined ? { breakGlass: { channel: breakGlass.channel, reason: breakGlass.reason.trim() } } : {};
  const unsealed = { userId: actor.userId, at: draft.nowIso, decision: "approved" as const, attempt: ref.attempt, ...marked };
  const decision: Decision = { ...unsealed, ...(key !== undefined ? { seal: sealApproval(key, decisionFacts(draft.run, ref.stepIndex, unsealed)) } : {}) };
  const next = [...decisions, decision];
  setDecisions(draft, ref.stepIndex, next);
  const distinct = new Set(next.filter((d) => d.decision === "approved").map((d) => d.userId)).size;
  const gate = draft.run.gate!;
  const needed = gate.approvers.minApprovals;
  draft.log("approved", {
    actor: actor.userId,
    stepIndex: ref.stepIndex,
    attempt: ref.attempt,
    data: { commands: approvedCommands(draft, ref.stepIndex), planHash: ref.planHash, approvals: distinct, needed, ...marked },
  });
  if (distinct < needed && breakGlass === undefined) return;
  draft.patch({ gate: { ...gate, status: "approved", closedAt: draft.nowIso } });
  if (ref.stepIndex === null) {
    draft.patch({ state: "running", startedAt: draft.run.startedAt ?? draft.nowIso });
    prepareCursor(draft);
  } else {
    const step = draft.run.plan.steps[ref.stepIndex]!;
    queueStep(draft, ref.stepIndex, ref.attempt, startDelayMs(step));
  }
}

export function rejectGate(draft: RunDraft, ref: GateRef, actor: Actor, reason: string): void {
  if (!checkOpenGate(draft, ref, actor)) return;
  const policy = draft.ctx.policy;
  if (!isInPrincipalSet(actor, policy.approvers) && actor.userId !== draft.run.requestedBy) {
    throw new EngineError("NOT_APPROVER", `${actor.userId} may not reject this run`, gateContext(draft, ref, actor));
  }
  const decisions = decisionsOf(draft, ref.stepIndex);
  setDecisions(draft, ref.stepIndex, [...decisions, { userId: actor.userId, at: draft.nowIso, decision: "rejected", reason }]);
  draft.patch({ gate: { ...draft.run.gate!, status: "rejected", closedAt: draft.nowIso } });
  draft.log("rejected", { actor: actor.userId, stepIndex: ref.stepIndex, attempt: ref.attempt, data: { reason } });
  draft.finish("aborted", `rejected by ${actor.userId}: ${reason}`, { rejectedBy: actor.userId });
}

/** The gate's time ran out: pause (or abort, per policy) with the reason; a later approval is refused EXPIRED. */
export function expireGate(draft: RunDraft, stepIndex: number | null, attempt: number): void {
  const gate = draft.run.gate;
  if (gate?.status !== "open" || gate.stepIndex !== stepIndex || gate.attempt !== attempt || draft.isTerminal) return;
  draft.patch({ gate: { ...gate, status: "expired", closedAt: draft.nowIso } });
  if (stepIndex !== null) draft.patchStep(stepIndex, { state: "pending" });
  const what = stepIndex === null ? "the run approval" : `the approval of step ${stepIndex}`;
  draft.log("expired", { actor: "engine", stepIndex, attempt, data: { expiresAt: gate.expiresAt } });
  const reason = `${what} expired at ${gate.expiresAt} without ${gate.approvers.minApprovals} approval(s)`;
  if ((draft.ctx.policy.onExpiry ?? "pause") === "abort") draft.finish("aborted", reason);
  else draft.pause(reason, stepIndex ?? undefined);
}
