import type { ApproverSet, RunRecord } from "../../jobs/run-types";
import { mrkdwn, type MessagePayload } from "./block-types";
import { fitBlocks } from "./fit-blocks";
import { escapeMrkdwn, truncatePlain } from "./fit-text";
import { durationBetween, groupMention, runEmoji, runStateLabel, userMention } from "./format";

/**
 * The thread reply that asks for approval: editing the run message notifies
 * nobody, a new message with mentions does.
 */
export function renderApprovalRequest(run: RunRecord, stepIndex: number | null, approvers: ApproverSet): MessagePayload {
  const step = stepIndex === null ? undefined : run.plan.steps[stepIndex];
  const what = step === undefined ? "this run" : `step ${step.index + 1}: *${escapeMrkdwn(step.title)}*`;
  const who = [...approvers.users.map(userMention), ...approvers.userGroups.map(groupMention)].join(" ") || "approvers";
  const need = approvers.minApprovals > 1 ? ` (${approvers.minApprovals} approvals needed)` : "";
  const text = `:raised_hand: ${who}: approval needed for ${what} on \`${escapeMrkdwn(run.plan.cluster)}\`${need}. The exact commands and the Approve/Reject buttons are in the run message above.`;
  return { text: truncatePlain(`Approval needed: ${run.plan.procedureTitle} on ${run.plan.cluster}`, 3000), blocks: fitBlocks([{ type: "section", text: mrkdwn(text) }], "message") };
}

/** The closing reply, broadcast to the channel. */
export function renderFinalReply(run: RunRecord): MessagePayload {
  const took = durationBetween(run.startedAt ?? run.requestedAt, run.finishedAt);
  const done = run.steps.filter((s) => s.state === "succeeded").length;
  const text =
    `${runEmoji(run.state)} *${escapeMrkdwn(run.plan.procedureTitle)}* on \`${escapeMrkdwn(run.plan.cluster)}\` ${runStateLabel(run.state)}` +
    `${took !== undefined ? ` in ${took}` : ""} \u2014 ${done} of ${run.plan.steps.length} steps succeeded` +
    (run.reason !== undefined ? `\n${escapeMrkdwn(run.reason)}` : "");
  return { text: truncatePlain(`${run.plan.procedureTitle} on ${run.plan.cluster}: ${runStateLabel(run.state)}`, 3000), blocks: fitBlocks([{ type: "section", text: mrkdwn(text) }], "message") };
}
