import { BLOCK_LIMITS as L, maxBlocks, type Surface } from "./block-limits";
import type { Block, ButtonElement, ModalView, TextObject } from "./block-types";

/**
 * Every Block Kit limit the renderers must respect, as a list of violations
 * (empty when the blocks are fine). Used by tests, by the fake Slack server
 * and by `fitBlocks` as its post-condition.
 */
export function validateBlocks(blocks: readonly Block[], surface: Surface): string[] {
  const problems: string[] = [];
  const text = (t: TextObject | undefined, max: number, path: string): void => {
    if (t === undefined) return;
    if (t.text.length === 0) problems.push(`${path}: empty text`);
    if (t.text.length > max) problems.push(`${path}: ${t.text.length} > ${max} chars`);
    if (t.type === "mrkdwn" && (t.text.split("```").length - 1) % 2 === 1) problems.push(`${path}: unbalanced code fence`);
  };
  const id = (value: string | undefined, max: number, path: string): void => {
    if (value !== undefined && (value.length === 0 || value.length > max)) problems.push(`${path}: length ${value.length} not in 1..${max}`);
  };
  const button = (b: ButtonElement, path: string): void => {
    text(b.text, L.buttonText, `${path}.text`);
    id(b.action_id, L.actionId, `${path}.action_id`);
    if (b.value !== undefined && b.value.length > L.buttonValue) problems.push(`${path}.value: ${b.value.length} > ${L.buttonValue}`);
    if (b.confirm !== undefined) {
      text(b.confirm.title, L.confirmTitle, `${path}.confirm.title`);
      text(b.confirm.text, L.confirmText, `${path}.confirm.text`);
      text(b.confirm.confirm, L.confirmButton, `${path}.confirm.confirm`);
      text(b.confirm.deny, L.confirmButton, `${path}.confirm.deny`);
    }
  };

  if (blocks.length > maxBlocks(surface)) problems.push(`${blocks.length} blocks > ${maxBlocks(surface)} in a ${surface}`);
  const blockIds = new Set<string>();
  let total = 0;
  blocks.forEach((block, i) => {
    const path = `blocks[${i}]`;
    id(block.block_id, L.blockId, `${path}.block_id`);
    if (block.block_id !== undefined) {
      if (blockIds.has(block.block_id)) problems.push(`${path}: duplicate block_id ${block.block_id}`);
      blockIds.add(block.block_id);
    }
    total += blockText(block);
    switch (block.type) {
      case "header":
        if (block.text.type !== "plain_text") problems.push(`${path}: header text must be plain_text`);
        text(block.text, L.headerText, `${path}.text`);
        break;
      case "section":
        if (block.text === undefined && (block.fields ?? []).length === 0) problems.push(`${path}: section needs text or fields`);
        text(block.text, L.sectionText, `${path}.text`);
        if ((block.fields ?? []).length > L.sectionFields) problems.push(`${path}: ${block.fields?.length} fields > ${L.sectionFields}`);
        (block.fields ?? []).forEach((f, j) => text(f, L.sectionFieldText, `${path}.fields[${j}]`));
        if (block.accessory !== undefined) button(block.accessory, `${path}.accessory`);
        break;
      case "context":
        if (block.elements.length === 0 || block.elements.length > L.contextElements) problems.push(`${path}: ${block.elements.length} context elements not in 1..${L.contextElements}`);
        block.elements.forEach((e, j) => text(e, L.textMax, `${path}.elements[${j}]`));
        break;
      case "actions": {
        if (block.elements.length === 0 || block.elements.length > L.actionsElements) problems.push(`${path}: ${block.elements.length} elements not in 1..${L.actionsElements}`);
        const actionIds = new Set<string>();
        block.elements.forEach((e, j) => {
          button(e, `${path}.elements[${j}]`);
          if (actionIds.has(e.action_id)) problems.push(`${path}: duplicate action_id ${e.action_id}`);
          actionIds.add(e.action_id);
        });
        break;
      }
      case "input": {
        if (surface === "message") problems.push(`${path}: input blocks belong in modals`);
        text(block.label, L.inputLabel, `${path}.label`);
        text(block.hint, L.inputHint, `${path}.hint`);
        const el = block.element;
        id(el.action_id, L.actionId, `${path}.element.action_id`);
        text(el.placeholder, L.placeholder, `${path}.element.placeholder`);
        if (el.type === "static_select") {
          if (el.options.length === 0 || el.options.length > L.staticSelectOptions) problems.push(`${path}: ${el.options.length} options`);
          el.options.forEach((o, j) => {
            text(o.text, L.optionText, `${path}.element.options[${j}].text`);
            id(o.value, L.optionValue, `${path}.element.options[${j}].value`);
          });
        }
        break;
      }
      case "divider":
        break;
    }
  });
  if (surface === "message" && total > L.messageTotalText) problems.push(`message text ${total} > ${L.messageTotalText} chars`);
  return problems;
}

export function validateModal(view: ModalView): string[] {
  const problems = validateBlocks(view.blocks, "modal");
  const short = (value: string | undefined, max: number, path: string): void => {
    if (value !== undefined && value.length > max) problems.push(`${path}: ${value.length} > ${max}`);
  };
  short(view.title.text, L.modalTitle, "title");
  short(view.submit?.text, L.modalButton, "submit");
  short(view.close?.text, L.modalButton, "close");
  short(view.callback_id, L.callbackId, "callback_id");
  short(view.private_metadata, L.privateMetadata, "private_metadata");
  return problems;
}

/** Characters of text a block carries (what Slack's undocumented per-message total counts). */
export function blockText(block: Block): number {
  switch (block.type) {
    case "header":
      return block.text.text.length;
    case "section":
      return (block.text?.text.length ?? 0) + (block.fields ?? []).reduce((n, f) => n + f.text.length, 0);
    case "context":
      return block.elements.reduce((n, e) => n + e.text.length, 0);
    case "actions":
      return block.elements.reduce((n, e) => n + e.text.text.length, 0);
    case "input":
      return block.label.text.length;
    case "divider":
      return 0;
  }
}
