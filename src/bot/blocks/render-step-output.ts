import type { StepRecord } from "../../jobs/run-types";
import type { PlannedStep } from "../../procedures/model/step";
import { BLOCK_LIMITS } from "./block-limits";
import { mrkdwn, type Block, type MessagePayload } from "./block-types";
import { fitBlocks } from "./fit-blocks";
import { codeBlockTail, escapeMrkdwn, truncatePlain } from "./fit-text";
import { durationBetween, formatDuration, stepEmoji } from "./format";

/** Room for output across all targets of one reply, under the per-message text ceiling. */
const OUTPUT_BUDGET = BLOCK_LIMITS.messageTotalText - 2000;

/**
 * The thread reply for a finished step: one code block per target with the
 * tail of its output (the record keeps only the tail; we keep less).
 */
export function renderStepOutput(step: PlannedStep, record: StepRecord): MessagePayload {
  const took = durationBetween(record.startedAt, record.finishedAt);
  const attempt = record.attempt > 1 ? ` (attempt ${record.attempt})` : "";
  const blocks: Block[] = [
    {
      type: "section",
      text: mrkdwn(
        `${stepEmoji(record.state)} *${step.index + 1}. ${escapeMrkdwn(step.title)}* \u2014 ${record.state}${attempt}${took !== undefined ? ` in ${took}` : ""}` +
          (record.error !== undefined ? `\n${escapeMrkdwn(record.error)}` : ""),
      ),
    },
  ];
  const shown = record.outputs.slice(0, 45);
  const perTarget = Math.max(200, Math.min(BLOCK_LIMITS.sectionText - 200, Math.floor(OUTPUT_BUDGET / Math.max(1, shown.length))));
  for (const out of shown) {
    const status = out.error !== undefined ? `error: ${escapeMrkdwn(out.error)}` : out.signal !== null ? `signal ${out.signal}` : `exit ${out.exitCode ?? "?"}`;
    const head = `*${escapeMrkdwn(out.host)}* ${status} \u00b7 ${formatDuration(out.durationMs)}${out.truncated ? " \u00b7 _output truncated, tail shown_" : ""}`;
    const body = out.tail.trim().length > 0 ? `\n${codeBlockTail(out.tail, perTarget - head.length - 1)}` : " \u00b7 _no output_";
    blocks.push({ type: "section", text: mrkdwn(head + body) });
  }
  if (record.outputs.length > shown.length) {
    blocks.push({ type: "context", elements: [mrkdwn(`\u2026 ${record.outputs.length - shown.length} more hosts not shown`)] });
  }
  return {
    text: truncatePlain(`${step.index + 1}. ${step.title}: ${record.state}`, 3000),
    blocks: fitBlocks(blocks, "message"),
  };
}
