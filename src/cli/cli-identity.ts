import type { Inventory, Settings } from "../config";
import type { Actor } from "../jobs";
import { webApi } from "@slack/bolt";
import { MembershipResolver } from "../bot/membership-resolver";
import type { SlackApi } from "../bot/notifier/slack-api";
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

/** The Web API with the bot token: the same client Bolt uses, with its retries and rate-limit handling. */
function slackApi(apiUrl: string, token: string): SlackApi {
  const client = new webApi.WebClient(token, { slackApiUrl: apiUrl });
  return { apiCall: async (method, options) => (await client.apiCall(method, options)) as unknown as Record<string, unknown> };
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
  const { userGroups, channels } = await new MembershipResolver(slackApi(slack.apiUrl, slack.botToken), botInventoryFrom(inventory).clusters, logger).membershipsOf(userId);
  return { userId, userGroups, channels, via };
}
