import type { ApprovalPolicy, SlackPrincipals } from "../../config/inventory";
import type { Actor } from "../engine";

/**
 * The approval policy a run is held to: the inventory's for its (cluster,
 * procedure) (`approvalPolicyFor` in src/config), with the cluster's channel
 * for `requesters.channelMembers`. One definition: the inventory's type,
 * extended, not a second copy of its fields.
 */
export interface RunPolicy extends ApprovalPolicy {
  /** The cluster's channel (for `requesters.channelMembers`). */
  readonly channel?: string;
  /** What an unanswered gate does when it expires. @defaultValue "pause" */
  readonly onExpiry?: "pause" | "abort";
}

export interface PolicyResolver {
  approvalPolicyFor(cluster: string, procedureId: string): RunPolicy;
}

export function isInPrincipalSet(actor: Actor, set: SlackPrincipals): boolean {
  if (set.users.includes(actor.userId)) return true;
  return (actor.userGroups ?? []).some((g) => set.userGroups.includes(g));
}

export function isEmptyPrincipalSet(set: SlackPrincipals): boolean {
  return set.users.length === 0 && set.userGroups.length === 0;
}

function inChannel(actor: Actor, policy: RunPolicy): boolean {
  return policy.requesters.channelMembers && policy.channel !== undefined && (actor.channels ?? []).includes(policy.channel);
}

/** Issue 12 point 1: a listed user or group member, or a member of the cluster channel where `channelMembers` says so. Nobody else. */
export function mayRequest(actor: Actor, policy: RunPolicy): boolean {
  return isInPrincipalSet(actor, policy.requesters) || inChannel(actor, policy);
}

/** Issue 12 point 2: what requesters may do, plus approvers, may be read. */
export function mayRead(actor: Actor, policy: RunPolicy): boolean {
  return mayRequest(actor, policy) || isInPrincipalSet(actor, policy.approvers);
}

/** What is missing, for the refusal: no hosts, paths or commands in it. */
export function requesterMissing(policy: RunPolicy): string {
  const ways = ["you are not one of its requesters (users or user groups in the inventory)"];
  if (policy.requesters.channelMembers && policy.channel !== undefined) ways.push(`nor a member of its channel ${policy.channel}`);
  return `${ways.join(", ")}; ask its owners to add you to \`requesters\``;
}
