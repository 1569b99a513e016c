import type { Logger } from "pino";
import type { BotCluster } from "./commands/resolve-cluster";
import { ChannelMemberResolver } from "./channel-member-resolver";
import type { SlackApi } from "./notifier/slack-api";
import { UserGroupResolver } from "./user-group-resolver";

/**
 * A user's memberships that policies can name: the user groups of the
 * clusters' policies, and the channels of clusters whose requesters say
 * `channelMembers: true`. Looked up in Slack, never taken from a request;
 * the bot's clicks and the CLI resolve them the same way.
 */
export class MembershipResolver {
  private readonly groups: UserGroupResolver;
  private readonly channels: ChannelMemberResolver;

  constructor(api: SlackApi, clusters: readonly BotCluster[], logger: Logger, groupCacheMs = 60_000) {
    const groups = [...new Set(clusters.flatMap((c) => c.userGroups ?? []))];
    const channels = [...new Set(clusters.flatMap((c) => (c.channelMembersRequest === true && c.channel !== undefined ? [c.channel] : [])))];
    this.groups = new UserGroupResolver(api, groups, logger, groupCacheMs);
    this.channels = new ChannelMemberResolver(api, channels, logger);
  }

  async membershipsOf(userId: string): Promise<{ readonly userGroups: string[]; readonly channels: string[] }> {
    const [userGroups, channels] = await Promise.all([this.groups.groupsOf(userId), this.channels.channelsOf(userId)]);
    return { userGroups, channels };
  }
}
