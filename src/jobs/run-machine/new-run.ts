import type { Plan } from "../../procedures/model/plan";
import type { RunRecord } from "../run-types";
import { openGate, prepareCursor } from "./prepare-cursor";
import type { RunDraft } from "./run-draft";

export function newRunRecord(id: string, plan: Plan, requestedBy: string, now: Date): RunRecord {
  return {
    id,
    version: 1,
    state: "planned",
    plan,
    requestedBy,
    requestedAt: now.toISOString(),
    cursor: 0,
    steps: plan.steps.map((s) => ({ index: s.index, state: "pending", attempt: 0, outputs: [], approvals: [] })),
  };
}

/** Every destructive command of the plan, for the one per-run approval. */
export function destructiveCommands(plan: Plan): { stepIndex: number; host: string; command: string }[] {
  return plan.steps
    .filter((s) => s.destructive)
    .flatMap((s) =>
      s.targets.length > 0
        ? s.targets.map((t) => ({ stepIndex: s.index, host: t.host, command: t.command ?? `${s.kind}: ${s.title}` }))
        : [{ stepIndex: s.index, host: "", command: `${s.kind}: ${s.title}` }],
    );
}

/** The first transition of a run: one per-run gate (policy `per-run` with destructive steps) or straight onto step 0. */
export function startRun(draft: RunDraft): void {
  draft.log("started", { data: { mode: draft.ctx.policy.mode, steps: draft.run.plan.steps.length } });
  draft.notices.push({ type: "run.created" });
  const needsRunApproval = draft.ctx.policy.mode === "per-run" && draft.run.plan.steps.some((s) => s.destructive);
  if (needsRunApproval) {
    draft.patch({ state: "awaiting_approval", runApprovals: [] });
    const gate = openGate(draft, null, 1);
    draft.log("approval.requested", {
      stepIndex: null,
      attempt: 1,
      data: { commands: destructiveCommands(draft.run.plan), approvers: gate.approvers, expiresAt: gate.expiresAt, planHash: gate.planHash },
    });
    return;
  }
  prepareCursor(draft);
}
