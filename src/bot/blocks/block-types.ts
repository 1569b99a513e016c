import type * as Slack from "@slack/types";

/**
 * The Block Kit subset intervene renders, as @slack/types' own types narrowed
 * to the elements we use: small enough for fit-blocks to check exhaustively
 * against Slack's limits, and assignable to what Bolt's client takes without
 * a cast.
 */
export type PlainText = Slack.PlainTextElement;
export type Mrkdwn = Slack.MrkdwnElement;
export type TextObject = PlainText | Mrkdwn;
/** Slack makes every part optional; we always give all four. */
export type ConfirmDialog = Slack.ConfirmationDialog & { title: PlainText; text: TextObject; confirm: PlainText; deny: PlainText };
export type ButtonElement = Omit<Slack.Button, "confirm" | "action_id"> & { action_id: string; confirm?: ConfirmDialog };
export type SelectOption = Slack.PlainTextOption;
export type PlainTextInputElement = Slack.PlainTextInput;
export type StaticSelectElement = Omit<Slack.StaticSelect, "options" | "option_groups"> & { options: SelectOption[] };

export type HeaderBlock = Slack.HeaderBlock;
export type SectionBlock = Omit<Slack.SectionBlock, "accessory" | "fields"> & { fields?: TextObject[]; accessory?: ButtonElement };
export type ContextBlock = Omit<Slack.ContextBlock, "elements"> & { elements: TextObject[] };
export type ActionsBlock = Omit<Slack.ActionsBlock, "elements"> & { elements: ButtonElement[] };
export type DividerBlock = Slack.DividerBlock;
export type InputBlock = Omit<Slack.InputBlock, "element"> & { block_id: string; element: PlainTextInputElement | StaticSelectElement };

export type Block = HeaderBlock | SectionBlock | ContextBlock | ActionsBlock | DividerBlock | InputBlock;

export type ModalView = Slack.ModalView & { callback_id: string; blocks: Block[] };
export type HomeView = Slack.HomeView & { blocks: Block[] };

/** A message as chat.postMessage / chat.update / response_url take it. */
export interface MessagePayload {
  /** Notification and accessibility fallback. */
  readonly text: string;
  readonly blocks: Block[];
}

export function plain(text: string): PlainText {
  return { type: "plain_text", text, emoji: true };
}

export function mrkdwn(text: string): Mrkdwn {
  return { type: "mrkdwn", text };
}
