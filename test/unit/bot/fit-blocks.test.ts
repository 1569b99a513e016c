import fc from "fast-check";
import { readFileSync } from "node:fs";
import { BlockLimitError } from "../../../src/bot/bot-errors";
import { BLOCK_LIMITS } from "../../../src/bot/blocks/block-limits";
import { mrkdwn, plain, type Block } from "../../../src/bot/blocks/block-types";
import { fitBlocks } from "../../../src/bot/blocks/fit-blocks";
import { codeBlockTail, truncateMrkdwn } from "../../../src/bot/blocks/fit-text";
import { validateBlocks } from "../../../src/bot/blocks/validate-blocks";
import { slackReferencePath } from "../../../sim/slack/slack-reference";

const LIMITS_FILE = slackReferencePath("blockkit-limits.json");

/** Text made of the pieces that break naive truncation: mentions, entities, fences, emoji, newlines. */
const piece = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom("<@U0APPROVER1>", "<!subteam^S0SREONCALL>", "&amp;", "&lt;", "```", "\n", "\u{1F525}", "`", "<https://x.example/a|a link>", "*bold*"),
);
const text = fc.array(piece, { maxLength: 400 }).map((parts) => parts.join(""));
const balanced = text.map((t) => (t.split("```").length % 2 === 0 ? `${t}\n\`\`\`` : t));
const nonEmpty = balanced.map((t) => (t.length === 0 ? "x" : t));

const block: fc.Arbitrary<Block> = fc.oneof(
  nonEmpty.map((t): Block => ({ type: "header", text: plain(t) })),
  nonEmpty.map((t): Block => ({ type: "section", text: mrkdwn(t) })),
  fc.array(nonEmpty, { minLength: 1, maxLength: 14 }).map((fs): Block => ({ type: "section", fields: fs.map(mrkdwn) })),
  fc.array(nonEmpty, { minLength: 1, maxLength: 14 }).map((es): Block => ({ type: "context", elements: es.map(mrkdwn) })),
  fc.array(nonEmpty, { minLength: 1, maxLength: 5 }).map((ts): Block => ({
    type: "actions",
    elements: ts.map((t, i) => ({ type: "button" as const, action_id: `a${i}`, text: plain(t), value: "v" })),
  })),
  fc.constant<Block>({ type: "divider" }),
);

function texts(blocks: readonly Block[]): string[] {
  return blocks.flatMap((b) => {
    switch (b.type) {
      case "header":
        return [b.text.text];
      case "section":
        return [b.text?.text ?? "", ...(b.fields ?? []).map((f) => f.text)];
      case "context":
        return b.elements.map((e) => e.text);
      case "actions":
        return b.elements.map((e) => e.text.text);
      default:
        return [];
    }
  });
}

const angleTokens = (s: string): string[] => s.match(/<[^<>]*>/g) ?? [];

describe("limits", () => {
  it("our constants equal the reference limits file", () => {
    const file = JSON.parse(readFileSync(LIMITS_FILE, "utf8")) as { limits: { key: string; value: unknown }[] };
    const ref = new Map(file.limits.map((l) => [l.key, l.value]));
    const pairs: [string, number][] = [
      ["message.blocks.max_items", BLOCK_LIMITS.messageBlocks],
      ["modal.blocks.max_items", BLOCK_LIMITS.modalBlocks],
      ["home.blocks.max_items", BLOCK_LIMITS.homeBlocks],
      ["block_id.max_length", BLOCK_LIMITS.blockId],
      ["action_id.max_length", BLOCK_LIMITS.actionId],
      ["text_object.text.max_length", BLOCK_LIMITS.textMax],
      ["section.text.max_length", BLOCK_LIMITS.sectionText],
      ["section.fields.max_items", BLOCK_LIMITS.sectionFields],
      ["section.fields[].text.max_length", BLOCK_LIMITS.sectionFieldText],
      ["header.text.max_length", BLOCK_LIMITS.headerText],
      ["context.elements.max_items", BLOCK_LIMITS.contextElements],
      ["actions.elements.max_items", BLOCK_LIMITS.actionsElements],
      ["button.text.max_length", BLOCK_LIMITS.buttonText],
      ["button.value.max_length", BLOCK_LIMITS.buttonValue],
      ["confirm.title.text.max_length", BLOCK_LIMITS.confirmTitle],
      ["confirm.text.text.max_length", BLOCK_LIMITS.confirmText],
      ["confirm.confirm.text.max_length", BLOCK_LIMITS.confirmButton],
      ["option.text.text.max_length", BLOCK_LIMITS.optionText],
      ["static_select.options.max_items", BLOCK_LIMITS.staticSelectOptions],
      ["placeholder.text.max_length", BLOCK_LIMITS.placeholder],
      ["input.label.text.max_length", BLOCK_LIMITS.inputLabel],
      ["view.private_metadata.max_length", BLOCK_LIMITS.privateMetadata],
      ["view.callback_id.max_length", BLOCK_LIMITS.callbackId],
      ["modal.title.text.max_length", BLOCK_LIMITS.modalTitle],
      ["modal.submit.text.max_length", BLOCK_LIMITS.modalButton],
    ];
    for (const [key, ours] of pairs) expect([key, ref.get(key)]).toEqual([key, ours]);
    expect(BLOCK_LIMITS.messageTotalText).toBeLessThanOrEqual(13000);
  });
});

describe("truncating text safely", () => {
  it("never splits a mention, an entity or a surrogate pair, and closes an open fence", () => {
    fc.assert(
      fc.property(balanced, fc.integer({ min: 1, max: 400 }), (t, max) => {
        const out = truncateMrkdwn(t, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect((out.split("```").length - 1) % 2).toBe(0);
        for (const token of angleTokens(out)) expect(t).toContain(token);
        expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(out)).toBe(false);
        if (t.length <= max) expect(out).toBe(t);
      }),
      { numRuns: 300 },
    );
  });

  it("cuts before a mention rather than through it", () => {
    expect(truncateMrkdwn("approve please <@U0APPROVER1> now", 20)).toBe("approve please \u2026");
    expect(truncateMrkdwn("a &amp; b", 4)).toBe("a \u2026");
  });

  it("a code tail keeps the last lines, escaped, with fences that cannot be broken by the output", () => {
    const raw = Array.from({ length: 200 }, (_, i) => `line ${i} <tag> & \`\`\` done`).join("\n");
    const out = codeBlockTail(raw, 500);
    expect(out.length).toBeLessThanOrEqual(500);
    expect(out.startsWith("```\n\u2026\n")).toBe(true);
    expect(out.endsWith("line 199 &lt;tag&gt; &amp; `\u200b`` done\n```")).toBe(true);
    expect(out.split("```").length - 1).toBe(2);
  });
});

describe("fitBlocks", () => {
  it("makes any blocks fit a message, keeping mentions whole and fences balanced", () => {
    fc.assert(
      fc.property(fc.array(block, { maxLength: 80 }), (blocks) => {
        const fitted = fitBlocks(blocks, "message");
        expect(validateBlocks(fitted, "message")).toEqual([]);
        const before = texts(blocks).join("\n");
        for (const t of texts(fitted)) for (const token of angleTokens(t)) expect(before).toContain(token);
      }),
      { numRuns: 150 },
    );
  });

  it("leaves blocks that already fit untouched", () => {
    fc.assert(
      fc.property(fc.array(block, { maxLength: 80 }), (blocks) => {
        if (validateBlocks(blocks, "message").length === 0) expect(fitBlocks(blocks, "message")).toEqual(blocks);
      }),
      { numRuns: 100 },
    );
  });

  it("keeps header and buttons when blocks must be dropped, and says how many were", () => {
    const blocks: Block[] = [
      { type: "header", text: plain("Run") },
      ...Array.from({ length: 70 }, (_, i): Block => ({ type: "section", text: mrkdwn(`s${i}`) })),
      { type: "actions", elements: [{ type: "button", action_id: "abort", text: plain("Abort"), value: "x" }] },
    ];
    const fitted = fitBlocks(blocks, "message");
    expect(fitted).toHaveLength(50);
    expect(fitted[0]).toEqual(blocks[0]);
    expect(fitted[49]).toEqual(blocks[71]);
    expect(JSON.stringify(fitted)).toContain("23 more blocks not shown");
  });

  it("refuses to cut a button value (it would act on something else)", () => {
    const blocks: Block[] = [{ type: "actions", elements: [{ type: "button", action_id: "a", text: plain("A"), value: "x".repeat(2001) }] }];
    expect(() => fitBlocks(blocks, "message")).toThrow(BlockLimitError);
  });
});
