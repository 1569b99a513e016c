import type { Logger } from "pino";
import type { Actor, Engine } from "../../jobs/engine";
import type { BotCluster } from "../commands/resolve-cluster";
import type { ChannelMemberResolver } from "../channel-member-resolver";
import type { UserGroupResolver } from "../user-group-resolver";
import { withTimeout } from "../with-timeout";

/** What every listener needs, built once by createSlackApp. */
export interface BotContext {
  readonly engine: Engine;
  readonly clusters: readonly BotCluster[];
  readonly logger: Logger;
  readonly engineTimeoutMs: number;
  readonly userGroups: UserGroupResolver;
  readonly channelMembers: ChannelMemberResolver;
}

/** The actor comes only from the verified payload's user id; groups and channel memberships are looked up, never taken from the request. */
export async function actorOf(ctx: BotContext, userId: string): Promise<Actor> {
  const [userGroups, channels] = await Promise.all([ctx.userGroups.groupsOf(userId), ctx.channelMembers.channelsOf(userId)]);
  return { userId, userGroups, ...(channels.length > 0 ? { channels } : {}) };
}

export function callEngine<T>(ctx: BotContext, operation: string, work: (engine: Engine) => Promise<T>): Promise<T> {
  return withTimeout(operation, ctx.engineTimeoutMs, () => work(ctx.engine));
}
