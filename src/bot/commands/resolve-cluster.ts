import type { ClusterKind } from "../../procedures/model/plan";
import { CommandError } from "../bot-errors";
import { nearest } from "./edit-distance";

/** What the bot needs to know of a cluster (the composition root maps the validated inventory to this). */
export interface BotCluster {
  readonly name: string;
  readonly kind: ClusterKind;
  /** Channel id where runs on this cluster are announced. */
  readonly channel?: string;
  readonly description?: string;
  /** DIRAC setup name (e.g. LHCb-Production), so `/dirac intervention LHCb-Production` finds the cluster. */
  readonly diracSetup?: string;
  /** User groups named in this cluster's policies: the bot resolves the actor's membership of these. */
  readonly userGroups?: readonly string[];
  /** A policy allows the channel's members to request (`requesters.channelMembers`): the bot checks membership of `channel`. */
  readonly channelMembersRequest?: boolean;
}

export interface ResolveClusterInput {
  readonly clusters: readonly BotCluster[];
  readonly kind: ClusterKind;
  readonly explicit?: string;
  readonly channelId?: string;
  readonly diracSetup?: string;
  readonly usage?: string;
}

function listing(clusters: readonly BotCluster[]): string {
  return clusters.map((c) => `\`${c.name}\``).join(", ");
}

/**
 * The cluster a command acts on: the one named with `cluster=`; else the only
 * cluster of that kind; else the one announced in the command's channel.
 * Anything else is an error that lists the candidates.
 */
export function resolveCluster(input: ResolveClusterInput): string {
  const { kind, usage } = input;
  const ofKind = input.clusters.filter((c) => c.kind === kind);
  if (input.explicit !== undefined) {
    const found = ofKind.find((c) => c.name === input.explicit);
    if (found !== undefined) return found.name;
    const near = nearest(input.explicit, ofKind.map((c) => c.name));
    const other = input.clusters.find((c) => c.name === input.explicit);
    const why = other !== undefined ? `\`${other.name}\` is a ${other.kind} cluster, not ${kind}` : `no ${kind} cluster is called \`${input.explicit}\``;
    throw new CommandError("cluster_unknown", `${why}; ${kind} clusters: ${listing(ofKind) || "none"}`, near, usage);
  }
  if (ofKind.length === 0) {
    throw new CommandError("cluster_unknown", `no ${kind} cluster is configured in the inventory`, [], usage);
  }
  if (input.diracSetup !== undefined) {
    const bySetup = ofKind.filter((c) => c.diracSetup === input.diracSetup);
    if (bySetup.length === 1 && bySetup[0] !== undefined) return bySetup[0].name;
  }
  if (ofKind.length === 1 && ofKind[0] !== undefined) return ofKind[0].name;
  const inChannel = ofKind.filter((c) => c.channel !== undefined && c.channel === input.channelId);
  if (inChannel.length === 1 && inChannel[0] !== undefined) return inChannel[0].name;
  throw new CommandError(
    "cluster_ambiguous",
    `several ${kind} clusters could be meant (${listing(inChannel.length > 1 ? inChannel : ofKind)}): add \`cluster=<name>\``,
    [],
    usage,
  );
}
