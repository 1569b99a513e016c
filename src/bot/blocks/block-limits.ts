/**
 * Block Kit limits we build against, copied from
 * test/fixtures/slack/blockkit-limits.json (a copy of Slack's published limits) (a unit test keeps them equal).
 */
export const BLOCK_LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  homeBlocks: 100,
  blockId: 255,
  actionId: 255,
  textMax: 3000,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  optionText: 75,
  /** Conflicting sources (75 or 150): we keep to the smaller. */
  optionValue: 75,
  staticSelectOptions: 100,
  placeholder: 150,
  inputLabel: 2000,
  inputHint: 2000,
  privateMetadata: 3000,
  callbackId: 255,
  modalTitle: 24,
  modalButton: 24,
  /**
   * Slack rejects messages whose blocks hold more than about 13,000 characters
   * of text (msg_blocks_too_long, observed, undocumented): stay well below.
   */
  messageTotalText: 12000,
  /** chat.postMessage `text` (the notification fallback) is truncated after 40,000; keep it short. */
  fallbackText: 3000,
} as const;

export type Surface = "message" | "modal" | "home";

export function maxBlocks(surface: Surface): number {
  return surface === "message" ? BLOCK_LIMITS.messageBlocks : surface === "modal" ? BLOCK_LIMITS.modalBlocks : BLOCK_LIMITS.homeBlocks;
}
