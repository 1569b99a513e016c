import type { ClickedButton } from "./slack-payloads";

interface ButtonLike {
  readonly type?: unknown;
  readonly action_id?: unknown;
  readonly text?: unknown;
  readonly value?: unknown;
}

/**
 * The button `actionId` in a message's blocks (actions elements and section
 * accessories), with the block_id Slack reports for it: the block's own, or
 * the position Slack would have made one from.
 */
export function findButton(blocks: readonly unknown[], actionId: string, blockId?: string): ClickedButton | undefined {
  for (const [i, raw] of blocks.entries()) {
    const block = raw as { type?: unknown; block_id?: unknown; elements?: unknown; accessory?: unknown };
    const id = typeof block.block_id === "string" ? block.block_id : `b${i}`;
    if (blockId !== undefined && blockId !== id) continue;
    const elements: ButtonLike[] = block.type === "actions" && Array.isArray(block.elements) ? (block.elements as ButtonLike[]) : block.type === "section" && block.accessory !== undefined ? [block.accessory as ButtonLike] : [];
    const button = elements.find((e) => e.type === "button" && e.action_id === actionId);
    if (button !== undefined) return { actionId, blockId: id, text: button.text, ...(typeof button.value === "string" ? { value: button.value } : {}) };
  }
  return undefined;
}
