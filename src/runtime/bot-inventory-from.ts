import type { Inventory } from "../config";
import type { BotInventory } from "../bot/create-slack-app";

/** The slice of the inventory the Slack side needs: names, kinds, channels, and the user groups its policies name. */
export function botInventoryFrom(inventory: Inventory): BotInventory {
  return {
    clusters: Object.values(inventory.clusters).map((cluster) => {
      const groups = new Set<string>([
        ...cluster.approval.approvers.userGroups,
        ...cluster.approval.requesters.userGroups,
        ...Object.values(cluster.procedureApprovals).flatMap((p) => [...p.approvers.userGroups, ...p.requesters.userGroups]),
      ]);
      const policies = [cluster.approval, ...Object.values(cluster.procedureApprovals)];
      return {
        // The bot checks channel membership (conversations.members) only where a policy allows the channel's members.
        channelMembersRequest: policies.some((p) => p.requesters.channelMembers),
        name: cluster.name,
        kind: cluster.kind,
        channel: cluster.channel,
        description: cluster.description,
        ...(cluster.kind === "dirac" ? { diracSetup: cluster.dirac.setup } : {}),
        userGroups: [...groups],
      };
    }),
  };
}
