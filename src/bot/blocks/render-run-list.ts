import type { RunRecord } from "../../jobs/run-types";
import { mrkdwn, plain, type Block, type MessagePayload } from "./block-types";
import { fitBlocks } from "./fit-blocks";
import { escapeMrkdwn, truncatePlain } from "./fit-text";
import { runEmoji, runStateLabel, slackDate, userMention } from "./format";
import { packSections } from "./pack-sections";

export function runLine(run: RunRecord): string {
  const step = run.plan.steps[run.cursor];
  const where = step !== undefined && run.state !== "succeeded" ? ` \u00b7 step ${run.cursor + 1}/${run.plan.steps.length}` : "";
  return `${runEmoji(run.state)} \`${escapeMrkdwn(run.id)}\` ${escapeMrkdwn(run.plan.procedureTitle)} on \`${escapeMrkdwn(run.plan.cluster)}\` \u2014 ${runStateLabel(run.state)}${where} \u00b7 ${userMention(run.requestedBy)} ${slackDate(run.requestedAt)}`;
}

/** Answer to `status` and `runs`: one line per run, newest first. */
export function renderRunList(title: string, runs: readonly RunRecord[], empty: string): MessagePayload {
  const blocks: Block[] = [{ type: "header", text: plain(truncatePlain(title, 150)) }];
  if (runs.length === 0) blocks.push({ type: "section", text: mrkdwn(escapeMrkdwn(empty)) });
  else blocks.push(...packSections(runs.map(runLine)));
  return { text: truncatePlain(title, 3000), blocks: fitBlocks(blocks, "message") };
}
