import type { ConsoleChannel, ConsoleMessage, ConsoleUser, ConsoleView } from "./console-types";

/** Who and where, as every payload carries it. */
export interface PayloadContext {
  readonly team: { readonly id: string; readonly name: string };
  readonly appId: string;
  readonly user: ConsoleUser;
  readonly channel: ConsoleChannel;
  readonly triggerId: string;
  readonly responseUrl: string;
}

/** Slack's legacy verification token field: present in payloads, never checked by Bolt (signatures are). */
const VERIFICATION_TOKEN = "console-verification-token";

/** A slash command as Slack posts it: form-encoded fields (payloads/slash-command.doc-example.json). */
export function slashCommandForm(ctx: PayloadContext, command: string, text: string): string {
  return new URLSearchParams({
    token: VERIFICATION_TOKEN,
    team_id: ctx.team.id,
    team_domain: ctx.team.name,
    channel_id: ctx.channel.id,
    channel_name: ctx.channel.name,
    user_id: ctx.user.id,
    user_name: ctx.user.name.toLowerCase(),
    command,
    text,
    api_app_id: ctx.appId,
    is_enterprise_install: "false",
    response_url: ctx.responseUrl,
    trigger_id: ctx.triggerId,
  }).toString();
}

function userField(ctx: PayloadContext): Record<string, unknown> {
  return { id: ctx.user.id, username: ctx.user.name.toLowerCase(), name: ctx.user.name.toLowerCase(), team_id: ctx.team.id };
}

export interface ClickedButton {
  readonly actionId: string;
  readonly blockId: string;
  readonly text: unknown;
  readonly value?: string;
}

/** A button click on a message: a block_actions interaction, sent as `payload=<json>`. */
export function blockActionsPayload(ctx: PayloadContext, message: ConsoleMessage, button: ClickedButton): Record<string, unknown> {
  const ephemeral = message.ephemeralFor !== undefined;
  return {
    type: "block_actions",
    user: userField(ctx),
    api_app_id: ctx.appId,
    token: VERIFICATION_TOKEN,
    container: { type: "message", message_ts: message.ts, channel_id: ctx.channel.id, is_ephemeral: ephemeral, ...(message.threadTs === undefined ? {} : { thread_ts: message.threadTs }) },
    trigger_id: ctx.triggerId,
    team: { id: ctx.team.id, domain: ctx.team.name },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: ctx.channel.id, name: ctx.channel.name },
    // Slack leaves the message out for ephemeral messages: only its container is known.
    ...(ephemeral ? {} : { message: { type: "message", ts: message.ts, user: message.user, text: message.text, blocks: message.blocks, ...(message.threadTs === undefined ? {} : { thread_ts: message.threadTs }) } }),
    state: { values: {} },
    response_url: ctx.responseUrl,
    actions: [
      {
        type: "button",
        action_id: button.actionId,
        block_id: button.blockId,
        text: button.text,
        ...(button.value === undefined ? {} : { value: button.value }),
        action_ts: (Date.now() / 1000).toFixed(6),
      },
    ],
  };
}

interface InputElement {
  readonly type?: string;
  readonly action_id?: string;
  readonly options?: ReadonlyArray<{ readonly text: unknown; readonly value: string }>;
}

/** `view.state.values` from what the user typed or picked, per input block and element, in Slack's shapes. */
export function viewStateValues(view: Readonly<Record<string, unknown>>, typed: Readonly<Record<string, string>>): Record<string, Record<string, unknown>> {
  const values: Record<string, Record<string, unknown>> = {};
  const blocks = Array.isArray(view.blocks) ? (view.blocks as Array<Record<string, unknown>>) : [];
  for (const block of blocks) {
    if (block.type !== "input" || typeof block.block_id !== "string") continue;
    const element = (block.element ?? {}) as InputElement;
    const actionId = element.action_id ?? "";
    const raw = typed[block.block_id] ?? "";
    if (element.type === "static_select") {
      const option = element.options?.find((o) => o.value === raw);
      values[block.block_id] = { [actionId]: { type: "static_select", selected_option: option === undefined ? null : { text: option.text, value: option.value } } };
    } else {
      values[block.block_id] = { [actionId]: { type: element.type ?? "plain_text_input", value: raw === "" ? null : raw } };
    }
  }
  return values;
}

/** A modal's submit button: a view_submission interaction. */
export function viewSubmissionPayload(ctx: Omit<PayloadContext, "channel" | "responseUrl">, opened: ConsoleView, typed: Readonly<Record<string, string>>): Record<string, unknown> {
  return {
    type: "view_submission",
    team: { id: ctx.team.id, domain: ctx.team.name },
    user: { id: ctx.user.id, username: ctx.user.name.toLowerCase(), name: ctx.user.name.toLowerCase(), team_id: ctx.team.id },
    api_app_id: ctx.appId,
    token: VERIFICATION_TOKEN,
    trigger_id: ctx.triggerId,
    view: {
      ...opened.view,
      id: opened.id,
      team_id: ctx.team.id,
      hash: opened.hash,
      app_id: ctx.appId,
      bot_id: "B0CONSOLE",
      private_metadata: typeof opened.view.private_metadata === "string" ? opened.view.private_metadata : "",
      state: { values: viewStateValues(opened.view, typed) },
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** The Events API callback Slack sends when a user opens the app's Home tab. */
export function appHomeOpenedEvent(team: { readonly id: string }, appId: string, user: string): Record<string, unknown> {
  const now = Date.now() / 1000;
  return {
    token: VERIFICATION_TOKEN,
    team_id: team.id,
    api_app_id: appId,
    type: "event_callback",
    event_id: `Ev${Math.floor(now * 1000)}`,
    event_time: Math.floor(now),
    event: { type: "app_home_opened", user, channel: `D${user.slice(1)}`, tab: "home", event_ts: now.toFixed(6) },
  };
}
