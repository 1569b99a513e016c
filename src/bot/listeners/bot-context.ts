import type { Logger } from "pino";
import type { Actor, Engine } from "../../jobs/engine";
import type { BotCluster } from "../commands/resolve-cluster";
import type { MembershipResolver } from "../membership-resolver";
import type { SlackApi } from "../notifier/slack-api";
import { withTimeout } from "../with-timeout";

/** What every listener needs, built once by createSlackApp. */
export interface BotContext {
  readonly engine: Engine;
  readonly clusters: readonly BotCluster[];
  readonly logger: Logger;
  readonly engineTimeoutMs: number;
  /** The Web API as the bot calls it (observed for metrics). */
  readonly api: SlackApi;
  readonly memberships: MembershipResolver;
}

/** The actor comes only from the verified payload's user id; groups and channel memberships are looked up, never taken from the request. */
export async function actorOf(ctx: BotContext, userId: string): Promise<Actor> {
  const { userGroups, channels } = await ctx.memberships.membershipsOf(userId);
  return { userId, userGroups, ...(channels.length > 0 ? { channels } : {}) };
}

export function callEngine<T>(ctx: BotContext, operation: string, work: (engine: Engine) => Promise<T>): Promise<T> {
  return withTimeout(operation, ctx.engineTimeoutMs, () => work(ctx.engine));
}
