import { createHmac, timingSafeEqual } from "node:crypto";
import type { Decision } from "./run-types";

/** What one approval binds to: exactly this run, gate (step or the whole run), attempt, plan and approver. */
export interface SealedApproval {
  readonly runId: string;
  /** null: the per-run approval. */
  readonly stepIndex: number | null;
  readonly attempt: number;
  readonly planHash: string;
  readonly userId: string;
  readonly at: string;
  /** Set on a break-glass approval: bound too, so it cannot be added to an ordinary one. */
  readonly breakGlass?: { readonly channel: string; readonly reason: string };
}

/** What a recorded decision binds to, on a run's gate (`stepIndex` null: the per-run gate). */
export function decisionFacts(run: { readonly id: string; readonly plan: { readonly planHash: string } }, stepIndex: number | null, d: Decision & { readonly attempt: number }): SealedApproval {
  return { runId: run.id, stepIndex, attempt: d.attempt, planHash: run.plan.planHash, userId: d.userId, at: d.at, ...(d.breakGlass !== undefined ? { breakGlass: d.breakGlass } : {}) };
}

function canonical(a: SealedApproval): string {
  // JSON of a fixed-order array: no field can bleed into another.
  const base = ["intervene-approval-v1", a.runId, a.stepIndex, a.attempt, a.planHash, a.userId, a.at];
  return JSON.stringify(a.breakGlass === undefined ? base : [...base, "break-glass", a.breakGlass.channel, a.breakGlass.reason]);
}

/**
 * HMAC-SHA256 of an approval under INTERVENE_SECRET, a key that is never
 * stored in Redis: a record written into Redis by anyone without the key
 * carries no valid seal, so a worker runs nothing on its strength.
 */
export function sealApproval(key: Buffer, approval: SealedApproval): string {
  return createHmac("sha256", key).update(canonical(approval)).digest("hex");
}

export function isValidSeal(key: Buffer, approval: SealedApproval, seal: string | undefined): boolean {
  if (seal === undefined || !/^[0-9a-f]{64}$/.test(seal)) return false;
  const expected = Buffer.from(sealApproval(key, approval), "hex");
  return timingSafeEqual(expected, Buffer.from(seal, "hex"));
}
