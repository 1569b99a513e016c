import { resolveCommand } from "../../procedures";
import type { PlannedStep } from "../../procedures/model/step";
import type { GateState, StepRecord } from "../run-types";
import { abortReason, type RunDraft } from "./run-draft";

/** Captures of the steps before `index`, later values overriding earlier ones. */
export function capturedBefore(draft: RunDraft, index: number): Record<string, readonly string[]> {
  const captured: Record<string, readonly string[]> = {};
  for (const step of draft.run.steps.slice(0, index)) Object.assign(captured, step.captured ?? {});
  return captured;
}

function commandOf(step: PlannedStep, target: PlannedStep["targets"][number]): string | undefined {
  if (step.kind === "exec" || step.kind === "check") return target.command;
  if (step.kind === "wait" && step.wait.poll !== undefined) return target.command;
  return undefined;
}

/** How long a step's job waits before it runs: a plain wait step is its delay; every other step starts at once. */
export function startDelayMs(step: PlannedStep): number {
  return step.kind === "wait" && step.wait.poll === undefined ? step.wait.delayMs : 0;
}

/** Substitutes captures into the step's commands before its gate, so the approver sees what will run. */
function resolveCommands(draft: RunDraft, step: PlannedStep): { host: string; command: string }[] {
  const captured = capturedBefore(draft, step.index);
  const resolved: { host: string; command: string }[] = [];
  for (const target of step.targets) {
    const command = commandOf(step, target);
    if (command !== undefined) resolved.push({ host: target.host, command: resolveCommand(command, captured) });
  }
  return resolved;
}

export function openGate(draft: RunDraft, stepIndex: number | null, attempt: number): GateState {
  const { policy } = draft.ctx;
  const gate: GateState = {
    stepIndex,
    attempt,
    planHash: draft.run.plan.planHash,
    openedAt: draft.nowIso,
    expiresAt: new Date(draft.ctx.now.getTime() + policy.expiresAfterMs).toISOString(),
    status: "open",
    approvers: { users: policy.approvers.users, userGroups: policy.approvers.userGroups, minApprovals: policy.minApprovals },
  };
  draft.patch({ gate });
  draft.effects.push({ type: "schedule-expiry", stepIndex, attempt, delayMs: policy.expiresAfterMs });
  draft.notices.push({ type: "approval.requested", stepIndex, approvers: gate.approvers });
  return gate;
}

/**
 * Moves the run onto its cursor step: gate it, ask for a confirmation, queue
 * it, or finish the run. Only the cursor step is ever queued (per-run ordering).
 */
export function prepareCursor(draft: RunDraft): void {
  if (draft.isTerminal) return;
  if (draft.run.abortRequested !== undefined) {
    draft.finish("aborted", abortReason(draft.run), { mode: draft.run.abortRequested.mode });
    return;
  }
  const index = draft.run.cursor;
  const step = draft.run.plan.steps[index];
  if (step === undefined) {
    draft.finish("succeeded");
    return;
  }
  const record = draft.step(index);
  const attempt = Math.max(1, record.attempt);
  if (step.runIf !== undefined && !step.runIf.anyCapture.some((name) => (capturedBefore(draft, index)[name] ?? []).length > 0)) {
    // Nothing for this step to act on: skipped by the plan's own condition, no gate, audited.
    const reason = `not needed: ${step.runIf.reason}`;
    draft.patchStep(index, { state: "skipped", attempt, skipReason: reason, finishedAt: draft.nowIso });
    draft.log("skipped", { stepIndex: index, attempt, data: { reason, auto: true, anyCapture: step.runIf.anyCapture } });
    draft.patch({ cursor: index + 1 });
    prepareCursor(draft);
    return;
  }
  let resolvedCommands: { host: string; command: string }[];
  try {
    resolvedCommands = resolveCommands(draft, step);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    draft.patchStep(index, { state: "failed", attempt, error: `cannot resolve command: ${message}`, finishedAt: draft.nowIso });
    draft.log("step.finished", { stepIndex: index, attempt, data: { ok: false, error: message } });
    draft.pause(`step ${index} (${step.id}): cannot resolve command: ${message}`, index);
    return;
  }
  const base = { attempt, resolvedCommands, approvals: [] };

  if (step.kind === "confirm") {
    draft.patchStep(index, { ...base, state: "pending" });
    draft.patch({ state: "awaiting_confirmation" });
    draft.log("confirmation.requested", { stepIndex: index, attempt, data: { prompt: step.prompt } });
    return;
  }
  // Per-run mode approved each step's first run; a destructive step that already ran (a Retry after it failed or was interrupted) asks again.
  if (step.destructive && (draft.ctx.policy.mode === "per-step" || record.startedAt !== undefined)) {
    draft.patchStep(index, { ...base, state: "awaiting_approval" });
    draft.patch({ state: "awaiting_approval" });
    const gate = openGate(draft, index, attempt);
    draft.log("approval.requested", {
      stepIndex: index,
      attempt,
      data: { commands: resolvedCommands, approvers: gate.approvers, expiresAt: gate.expiresAt, planHash: gate.planHash },
    });
    return;
  }
  queueStep(draft, index, attempt, startDelayMs(step), base);
}

export function queueStep(
  draft: RunDraft,
  index: number,
  attempt: number,
  delayMs: number,
  extra: Partial<StepRecord> = {},
): void {
  const notBefore = new Date(draft.ctx.now.getTime() + delayMs).toISOString();
  draft.patchStep(index, { ...extra, attempt, state: "queued", notBefore });
  draft.patch({ state: "running", ...(draft.run.startedAt === undefined ? { startedAt: draft.nowIso } : {}) });
  draft.effects.push({ type: "enqueue-step", stepIndex: index, attempt, delayMs });
  draft.log("step.queued", { stepIndex: index, attempt, ...(delayMs > 0 ? { data: { delayMs } } : {}) });
}
