/** The Block Kit subset intervene renders: small enough to check exhaustively against the limits. */
export interface PlainText {
  readonly type: "plain_text";
  readonly text: string;
  readonly emoji?: boolean;
}

export interface Mrkdwn {
  readonly type: "mrkdwn";
  readonly text: string;
}

export type TextObject = PlainText | Mrkdwn;

export interface ConfirmDialog {
  readonly title: PlainText;
  readonly text: TextObject;
  readonly confirm: PlainText;
  readonly deny: PlainText;
  readonly style?: "primary" | "danger";
}

export interface ButtonElement {
  readonly type: "button";
  readonly action_id: string;
  readonly text: PlainText;
  readonly value?: string;
  readonly style?: "primary" | "danger";
  readonly confirm?: ConfirmDialog;
}

export interface SelectOption {
  readonly text: PlainText;
  readonly value: string;
}

export interface PlainTextInputElement {
  readonly type: "plain_text_input";
  readonly action_id: string;
  readonly placeholder?: PlainText;
  readonly initial_value?: string;
  readonly multiline?: boolean;
}

export interface StaticSelectElement {
  readonly type: "static_select";
  readonly action_id: string;
  readonly placeholder?: PlainText;
  readonly options: readonly SelectOption[];
  readonly initial_option?: SelectOption;
}

export interface HeaderBlock {
  readonly type: "header";
  readonly block_id?: string;
  readonly text: PlainText;
}

export interface SectionBlock {
  readonly type: "section";
  readonly block_id?: string;
  readonly text?: TextObject;
  readonly fields?: readonly TextObject[];
  readonly accessory?: ButtonElement;
}

export interface ContextBlock {
  readonly type: "context";
  readonly block_id?: string;
  readonly elements: readonly TextObject[];
}

export interface ActionsBlock {
  readonly type: "actions";
  readonly block_id?: string;
  readonly elements: readonly ButtonElement[];
}

export interface DividerBlock {
  readonly type: "divider";
  readonly block_id?: string;
}

export interface InputBlock {
  readonly type: "input";
  readonly block_id: string;
  readonly label: PlainText;
  readonly hint?: PlainText;
  readonly optional?: boolean;
  readonly element: PlainTextInputElement | StaticSelectElement;
}

export type Block = HeaderBlock | SectionBlock | ContextBlock | ActionsBlock | DividerBlock | InputBlock;

export interface ModalView {
  readonly type: "modal";
  readonly callback_id: string;
  readonly title: PlainText;
  readonly submit?: PlainText;
  readonly close?: PlainText;
  readonly private_metadata?: string;
  readonly blocks: readonly Block[];
}

export interface HomeView {
  readonly type: "home";
  readonly blocks: readonly Block[];
}

/** A message as chat.postMessage / chat.update / response_url take it. */
export interface MessagePayload {
  /** Notification and accessibility fallback. */
  readonly text: string;
  readonly blocks: readonly Block[];
}

export function plain(text: string): PlainText {
  return { type: "plain_text", text, emoji: true };
}

export function mrkdwn(text: string): Mrkdwn {
  return { type: "mrkdwn", text };
}
