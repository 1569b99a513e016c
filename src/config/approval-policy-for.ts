import type { ApprovalPolicy, Cluster } from "./inventory";

/** The policy gating `procedureId` on `cluster`: its per-procedure override if any, else the cluster's. */
export function approvalPolicyFor(cluster: Cluster, procedureId: string): ApprovalPolicy {
  const override = Object.hasOwn(cluster.procedureApprovals, procedureId) ? cluster.procedureApprovals[procedureId] : undefined;
  return override ?? cluster.approval;
}
