import type { Actor } from "../engine";

export interface PrincipalSet {
  readonly users: readonly string[];
  readonly userGroups: readonly string[];
}

/** The approval policy of one (cluster, procedure), as the engine applies it. */
export interface ApprovalPolicy {
  /** Empty sets: anyone may request. */
  readonly requesters: PrincipalSet;
  readonly approvers: PrincipalSet;
  readonly minApprovals: number;
  readonly allowSelfApproval: boolean;
  readonly expiresAfterMs: number;
  readonly mode: "per-step" | "per-run";
  /** What an unanswered gate does when it expires. @defaultValue "pause" */
  readonly onExpiry?: "pause" | "abort";
}

export interface PolicyResolver {
  approvalPolicyFor(cluster: string, procedureId: string): ApprovalPolicy;
}

export function isInPrincipalSet(actor: Actor, set: PrincipalSet): boolean {
  if (set.users.includes(actor.userId)) return true;
  return (actor.userGroups ?? []).some((g) => set.userGroups.includes(g));
}

export function isEmptyPrincipalSet(set: PrincipalSet): boolean {
  return set.users.length === 0 && set.userGroups.length === 0;
}
