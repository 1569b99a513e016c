import type { Actor } from "../engine";

export interface PrincipalSet {
  readonly users: readonly string[];
  readonly userGroups: readonly string[];
}

/** The approval policy of one (cluster, procedure), as the engine applies it. */
export interface ApprovalPolicy {
  /** Deny by default: only these, and with `channelMembers` the members of `channel`, may request. */
  readonly requesters: PrincipalSet & { readonly channelMembers?: boolean };
  /** The cluster's channel (for `requesters.channelMembers`). */
  readonly channel?: string;
  readonly approvers: PrincipalSet;
  readonly minApprovals: number;
  /** Where a requester may approve their own gate, with a reason (issue 12 point 12); unset: never. */
  readonly breakGlass?: { readonly channel: string } | undefined;
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

function inChannel(actor: Actor, policy: ApprovalPolicy): boolean {
  return policy.requesters.channelMembers === true && policy.channel !== undefined && (actor.channels ?? []).includes(policy.channel);
}

/** Issue 12 point 1: a listed user or group member, or a member of the cluster channel where `channelMembers` says so. Nobody else. */
export function mayRequest(actor: Actor, policy: ApprovalPolicy): boolean {
  return isInPrincipalSet(actor, policy.requesters) || inChannel(actor, policy);
}

/** Issue 12 point 2: what requesters may do, plus approvers, may be read. */
export function mayRead(actor: Actor, policy: ApprovalPolicy): boolean {
  return mayRequest(actor, policy) || isInPrincipalSet(actor, policy.approvers);
}

/** What is missing, for the refusal: no hosts, paths or commands in it. */
export function requesterMissing(policy: ApprovalPolicy): string {
  const ways = ["you are not one of its requesters (users or user groups in the inventory)"];
  if (policy.requesters.channelMembers === true && policy.channel !== undefined) ways.push(`nor a member of its channel ${policy.channel}`);
  return `${ways.join(", ")}; ask its owners to add you to \`requesters\``;
}
