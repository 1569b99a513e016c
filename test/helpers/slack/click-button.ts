import type { Block, ButtonElement } from "../../../src/bot/blocks/block-types";
import { postInteraction, type PostResult, type SignOptions } from "../../../sim/slack/slack-signer";

export interface ClickOptions {
  readonly eventsUrl: string;
  readonly secret: string;
  /** The message as the user sees it (latest version from the fake server, or a response_url body). */
  readonly message: { readonly blocks: readonly Block[]; readonly ts?: string; readonly text?: unknown };
  readonly actionId: string;
  readonly userId: string;
  readonly channelId: string;
  /** Where the app's respond() goes: a FakeSlackServer responseUrl. */
  readonly responseUrl: string;
  readonly ephemeral?: boolean;
  /** How the request is signed (unsigned, bad signature, tampered, stale); default a valid signature. */
  readonly sign?: SignOptions;
}

export function findButton(blocks: readonly Block[], actionId: string): { button: ButtonElement; blockId: string } {
  for (const [i, block] of blocks.entries()) {
    const elements = block.type === "actions" ? block.elements : block.type === "section" && block.accessory !== undefined ? [block.accessory] : [];
    const button = elements.find((e) => e.action_id === actionId);
    if (button !== undefined) return { button, blockId: block.block_id ?? `b${i}` };
  }
  throw new Error(`no button ${actionId} in the message`);
}

/** Clicks a button of a recorded message: a block_actions payload (after payloads/block_actions.bolt-python-test.json), signed and posted. */
export function clickButton(options: ClickOptions): Promise<PostResult> {
  return postInteraction(options.eventsUrl, options.secret, blockActionsPayload(options), options.sign);
}

/** The block_actions payload of a click, as Slack sends it over HTTP (form field `payload`) or Socket Mode. */
export function blockActionsPayload(options: Omit<ClickOptions, "eventsUrl" | "secret" | "sign">): Record<string, unknown> {
  const { button, blockId } = findButton(options.message.blocks, options.actionId);
  const ts = options.message.ts ?? "1700000000.000001";
  const payload = {
    type: "block_actions",
    user: { id: options.userId, username: options.userId.toLowerCase(), name: options.userId.toLowerCase(), team_id: "T0001" },
    api_app_id: "A123456",
    token: "verification_token",
    container: { type: "message", message_ts: ts, channel_id: options.channelId, is_ephemeral: options.ephemeral === true },
    trigger_id: "111.222.valid",
    team: { id: "T0001", domain: "example" },
    channel: { id: options.channelId, name: "leofs-prod" },
    message: { type: "message", ts, text: options.message.text ?? "", blocks: options.message.blocks },
    state: { values: {} },
    response_url: options.responseUrl,
    actions: [{ action_id: button.action_id, block_id: blockId, text: button.text, value: button.value, type: "button", action_ts: `${Date.now() / 1000}` }],
  };
  return payload;
}
