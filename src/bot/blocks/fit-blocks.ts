import { BlockLimitError } from "../bot-errors";
import { BLOCK_LIMITS as L, maxBlocks, type Surface } from "./block-limits";
import { mrkdwn, type Block, type ButtonElement, type TextObject } from "./block-types";
import { truncateMrkdwn, truncatePlain } from "./fit-text";
import { blockText } from "./validate-blocks";

function fitTextObject<T extends TextObject>(t: T, max: number): T {
  const source = t.text.length === 0 ? "-" : t.text;
  const text = t.type === "mrkdwn" ? truncateMrkdwn(source, max) : truncatePlain(source, max);
  return text === t.text ? t : { ...t, text };
}

/** Identifiers and values carry meaning: cutting them would make a button do something else. */
function checkId(value: string | undefined, max: number, path: string): void {
  if (value !== undefined && value.length > max) throw new BlockLimitError(`${path} is ${value.length} chars, over ${max}`, path);
}

function fitButton(b: ButtonElement, path: string): ButtonElement {
  checkId(b.action_id, L.actionId, `${path}.action_id`);
  checkId(b.value, L.buttonValue, `${path}.value`);
  const confirm =
    b.confirm === undefined
      ? undefined
      : {
          ...b.confirm,
          title: fitTextObject(b.confirm.title, L.confirmTitle),
          text: fitTextObject(b.confirm.text, L.confirmText),
          confirm: fitTextObject(b.confirm.confirm, L.confirmButton),
          deny: fitTextObject(b.confirm.deny, L.confirmButton),
        };
  return { ...b, text: fitTextObject(b.text, L.buttonText), ...(confirm === undefined ? {} : { confirm }) };
}

function fitBlock(block: Block, path: string): Block {
  checkId(block.block_id, L.blockId, `${path}.block_id`);
  switch (block.type) {
    case "header":
      return { ...block, text: fitTextObject(block.text, L.headerText) };
    case "section": {
      const fields = block.fields?.slice(0, L.sectionFields).map((f) => fitTextObject(f, L.sectionFieldText));
      const text = block.text === undefined ? (fields === undefined || fields.length === 0 ? mrkdwn("-") : undefined) : fitTextObject(block.text, L.sectionText);
      return {
        ...block,
        ...(text === undefined ? {} : { text }),
        ...(fields === undefined ? {} : { fields }),
        ...(block.accessory === undefined ? {} : { accessory: fitButton(block.accessory, `${path}.accessory`) }),
      };
    }
    case "context": {
      const elements = block.elements.slice(0, L.contextElements).map((e) => fitTextObject(e, L.textMax));
      return { ...block, elements: elements.length > 0 ? elements : [mrkdwn("-")] };
    }
    case "actions":
      if (block.elements.length > L.actionsElements) throw new BlockLimitError(`${path} has ${block.elements.length} buttons, over ${L.actionsElements}`, path);
      return { ...block, elements: block.elements.map((e, j) => fitButton(e, `${path}.elements[${j}]`)) };
    case "input":
      return { ...block, label: fitTextObject(block.label, L.inputLabel), ...(block.hint === undefined ? {} : { hint: fitTextObject(block.hint, L.inputHint) }) };
    case "divider":
      return block;
  }
}

/** Headers, buttons and inputs are what the operator acts on: they stay; the rest may be dropped. */
function isEssential(block: Block): boolean {
  return block.type === "header" || block.type === "actions" || block.type === "input";
}

function capBlockCount(blocks: readonly Block[], max: number): Block[] {
  if (blocks.length <= max) return [...blocks];
  const essential = blocks.filter(isEssential).length;
  if (essential + 1 > max) throw new BlockLimitError(`${essential} header/actions/input blocks cannot fit in ${max}`, "blocks");
  let toDrop = blocks.length - (max - 1);
  const kept: Block[] = [];
  let noteAt = -1;
  for (let i = blocks.length - 1; i >= 0; i--) {
    const block = blocks[i];
    if (block === undefined) continue;
    if (toDrop > 0 && !isEssential(block)) {
      toDrop--;
      noteAt = kept.length;
      continue;
    }
    kept.push(block);
  }
  const dropped = blocks.length - kept.length;
  kept.splice(noteAt, 0, { type: "context", elements: [mrkdwn(`\u2026 ${dropped} more block${dropped === 1 ? "" : "s"} not shown`)] });
  return kept.reverse();
}

/** Applies `fn` to each text object `blockText` counts, numbering them in a fixed order. */
function mapCountedTexts(block: Block, fn: (t: TextObject, slot: number) => TextObject): Block {
  let slot = 0;
  const next = <T extends TextObject>(t: T): T => fn(t, slot++) as T;
  switch (block.type) {
    case "header":
      return { ...block, text: next(block.text) };
    case "section":
      return {
        ...block,
        ...(block.text === undefined ? {} : { text: next(block.text) }),
        ...(block.fields === undefined ? {} : { fields: block.fields.map((f) => next(f)) }),
      };
    case "context":
      return { ...block, elements: block.elements.map((e) => next(e)) };
    case "actions":
      return { ...block, elements: block.elements.map((e) => ({ ...e, text: next(e.text) })) };
    case "input":
      return { ...block, label: next(block.label) };
    case "divider":
      return block;
  }
}

/** Shortens the longest counted text of the message (by the overflow, at most by half); false when nothing is left to cut. */
function shrinkLongest(blocks: Block[], overflow: number): boolean {
  let best: { i: number; slot: number; length: number } | undefined;
  blocks.forEach((block, i) => {
    mapCountedTexts(block, (t, slot) => {
      if (t.text.length > (best?.length ?? 1)) best = { i, slot, length: t.text.length };
      return t;
    });
  });
  if (best === undefined) return false;
  const { i, slot, length } = best;
  const target = Math.max(1, Math.min(length - overflow, Math.ceil(length / 2)));
  const block = blocks[i];
  if (block !== undefined) blocks[i] = mapCountedTexts(block, (t, k) => (k === slot ? fitTextObject(t, target) : t));
  return true;
}

/**
 * Blocks made to fit a surface: too many blocks -> the tail of the
 * non-essential ones becomes a "… N more blocks" note; every text cut safely
 * to its limit; a message's total text brought under Slack's ceiling by
 * shortening the longest texts first. Throws `BlockLimitError` only for
 * identifiers and button values, which must not be cut.
 */
export function fitBlocks(blocks: readonly Block[], surface: Surface): Block[] {
  const fitted = capBlockCount(blocks, maxBlocks(surface)).map((b, i) => fitBlock(b, `blocks[${i}]`));
  if (surface === "message") {
    for (;;) {
      const total = fitted.reduce((n, b) => n + blockText(b), 0);
      if (total <= L.messageTotalText || !shrinkLongest(fitted, total - L.messageTotalText)) break;
    }
  }
  return fitted;
}
