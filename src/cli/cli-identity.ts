import type { Inventory, Settings } from "../config";
import type { Actor } from "../jobs";
import { ChannelMemberResolver } from "../bot/channel-member-resolver";
import { UserGroupResolver, type UserGroupsApi } from "../bot/user-group-resolver";
import { botInventoryFrom } from "../runtime/bot-inventory-from";
import type { Logger } from "pino";

/** Who runs the command line, as the machine says (not as the command line says). */
export interface CliIdentitySource {
  readonly osUser: () => string;
  readonly host: () => string;
}

export class CliIdentityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliIdentityError";
  }
}

/** A Slack Web API call with the bot token (the CLI has no Bolt app). */
export function slackApiCall(apiUrl: string, token: string): UserGroupsApi {
  return {
    async apiCall(method, options = {}) {
      const body = new URLSearchParams(Object.entries(options).map(([k, v]): [string, string] => [k, String(v)]));
      const response = await fetch(`${apiUrl}${method}`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body });
      const result = (await response.json()) as Record<string, unknown>;
      if (result.ok !== true) throw new Error(`${method}: ${typeof result.error === "string" ? result.error : `HTTP ${response.status}`}`);
      return result;
    },
  };
}

/**
 * Issue 12 point 5: the CLI acts as the Slack user `cli.users` maps the OS
 * user to, and as nobody else. Groups and channel memberships come from
 * Slack as for clicks (SLACK_BOT_TOKEN); without a token the user has none,
 * so policies that need them refuse, and a note on stderr says why. Every
 * audit entry the action writes carries `via: cli`, the OS user and the host.
 */
export async function cliActor(inventory: Inventory, settings: Settings, source: CliIdentitySource, logger: Logger, note: (text: string) => void): Promise<Actor> {
  const osUser = source.osUser();
  const userId = Object.hasOwn(inventory.cliUsers, osUser) ? inventory.cliUsers[osUser] : undefined;
  if (userId === undefined) {
    throw new CliIdentityError(
      `the OS user ${osUser} has no Slack identity in ${inventory.file}: add cli: { users: { ${osUser}: U0123ABCD } } with your own Slack user id (the CLI acts only as the user mapped to the OS user running it)`,
    );
  }
  const via = { kind: "cli", osUser, host: source.host() };
  const slack = settings.slack;
  if (slack === undefined) {
    note(`note: SLACK_BOT_TOKEN is unset, so your user groups and channel memberships cannot be checked: only policies that name ${userId} itself apply`);
    return { userId, userGroups: [], channels: [], via };
  }
  const api = slackApiCall(slack.apiUrl, slack.botToken);
  const clusters = botInventoryFrom(inventory).clusters;
  const groups = [...new Set(clusters.flatMap((c) => c.userGroups ?? []))];
  const channels = [...new Set(clusters.flatMap((c) => (c.channelMembersRequest === true && c.channel !== undefined ? [c.channel] : [])))];
  const [userGroups, memberOf] = await Promise.all([new UserGroupResolver(api, groups, logger).groupsOf(userId), new ChannelMemberResolver(api, channels, logger).channelsOf(userId)]);
  return { userId, userGroups, channels: memberOf, via };
}
