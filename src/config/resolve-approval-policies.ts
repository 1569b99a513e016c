import type { ApprovalPolicy } from "./inventory";
import type { RawApprovalOverride, RawClusterApproval } from "./inventory-schema";

/** What applies when neither `defaults.approval` nor the cluster says otherwise (no approvers: validation then asks for some). */
export const BUILTIN_APPROVAL_POLICY: ApprovalPolicy = {
  requesters: { users: [], userGroups: [], channelMembers: false },
  approvers: { users: [], userGroups: [] },
  minApprovals: 1,
  breakGlass: undefined,
  expiresAfterMs: 30 * 60_000,
  mode: "per-step",
};

/**
 * Field by field: a field set in `override` replaces the inherited one. The
 * `requesters` and `approvers` lists are replaced as a whole, so a cluster
 * that names its own approvers does not silently keep the default group.
 */
export function mergeApprovalPolicy(base: ApprovalPolicy, override: RawApprovalOverride | undefined): ApprovalPolicy {
  if (override === undefined) return base;
  return {
    requesters: override.requesters ?? base.requesters,
    approvers: override.approvers ?? base.approvers,
    minApprovals: override.minApprovals ?? base.minApprovals,
    breakGlass: override.breakGlass ?? base.breakGlass,
    expiresAfterMs: override.expiresAfter ?? base.expiresAfterMs,
    mode: override.mode ?? base.mode,
  };
}

export interface ResolvedApprovalPolicies {
  readonly cluster: ApprovalPolicy;
  /** Only the procedures the cluster overrides, each fully merged over the cluster's policy. */
  readonly procedures: ReadonlyMap<string, ApprovalPolicy>;
}

/** built-in, then `defaults.approval`, then the cluster's `approval`, then `approval.procedures[id]`. */
export function resolveApprovalPolicies(
  defaults: RawApprovalOverride | undefined,
  cluster: RawClusterApproval | undefined,
): ResolvedApprovalPolicies {
  const clusterPolicy = mergeApprovalPolicy(mergeApprovalPolicy(BUILTIN_APPROVAL_POLICY, defaults), cluster);
  const procedures = new Map<string, ApprovalPolicy>();
  for (const [id, override] of Object.entries(cluster?.procedures ?? {})) {
    procedures.set(id, mergeApprovalPolicy(clusterPolicy, override));
  }
  return { cluster: clusterPolicy, procedures };
}
