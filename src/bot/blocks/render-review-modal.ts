import type { RunRecord } from "../../jobs/run-types";
import { VIEW, type StepValue } from "./action-ids";
import { BLOCK_LIMITS } from "./block-limits";
import { mrkdwn, plain, type Block, type ModalView } from "./block-types";
import { escapeMrkdwn } from "./fit-text";
import { chunkCodeLines, gateCommandLines, isCommandLine } from "./gate-command-lines";
import { codeBlock } from "./pack-sections";

/** What the review modal carries to its submission: the exact gate it approves. */
export interface ReviewModalState {
  readonly step: StepValue;
  readonly channelId: string;
}

/** Room left for the intro, the closing context and Slack's own margin. */
const RESERVED_BLOCKS = 3;

/**
 * Every command of a gate whose list does not fit the run message (issue 12
 * point 6), in code blocks of whole lines, and Approve as the modal's submit:
 * the approver has the whole list in front of them when they approve. A list
 * longer than a modal can hold (100 blocks of 3,000 characters) cannot be
 * approved here: the modal says so and points to the CLI, which prints it all.
 */
export function renderReviewModal(run: RunRecord, state: ReviewModalState): ModalView {
  const stepIndex = state.step.stepIndex;
  const lines = gateCommandLines(run, stepIndex);
  const total = lines.filter(isCommandLine).length;
  const chunks = chunkCodeLines(lines, BLOCK_LIMITS.sectionText - 100);
  const what = stepIndex === null ? "this run (every destructive step)" : `step ${stepIndex + 1}`;
  const fits = chunks.length <= BLOCK_LIMITS.modalBlocks - RESERVED_BLOCKS;
  const blocks: Block[] = [
    { type: "section", text: mrkdwn(`Approving ${what} of run \`${escapeMrkdwn(run.id)}\` on \`${escapeMrkdwn(run.plan.cluster)}\` runs exactly these ${total} commands, host by host:`) },
    ...(fits
      ? chunks.map((c): Block => ({ type: "section", text: mrkdwn(codeBlock(c, BLOCK_LIMITS.sectionText)) }))
      : [{ type: "section", text: mrkdwn(`:warning: The ${total} commands do not fit in a Slack form. Read them with \`intervene show ${escapeMrkdwn(run.id)}\` and approve there.`) } as Block]),
    { type: "context", elements: [mrkdwn(`plan \`${run.plan.planHash.slice(0, 12)}\` \u00b7 attempt ${state.step.attempt}`)] },
  ];
  return {
    type: "modal",
    callback_id: VIEW.review,
    title: plain("Review and approve"),
    ...(fits ? { submit: plain("Approve") } : {}),
    close: plain("Cancel"),
    private_metadata: JSON.stringify(state),
    blocks,
  };
}

export function decodeReviewModalState(metadata: string): ReviewModalState {
  const state = JSON.parse(metadata) as ReviewModalState;
  if (typeof state.step?.runId !== "string" || typeof state.step.attempt !== "number" || typeof state.step.planHash !== "string") throw new Error("review form metadata is incomplete");
  return state;
}
