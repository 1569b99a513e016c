import { diffSnapshots, intendedNodes } from "../../report/diff-snapshots";
import type { ApproverSet, Decision, RunRecord, StepRecord } from "../../jobs/run-types";
import { TERMINAL_RUN_STATES } from "../../jobs/run-types";
import { backupsTaken, currentRollback } from "../../jobs/rollback-state";
import type { PlannedStep } from "../../procedures/model/step";
import { ACTION, encodeStep } from "./action-ids";
import { mrkdwn, plain, type Block, type ButtonElement, type MessagePayload } from "./block-types";
import { fitBlocks } from "./fit-blocks";
import { codeBlockTail, escapeMrkdwn, truncatePlain } from "./fit-text";
import {
  durationBetween,
  formatParams,
  groupMention,
  runEmoji,
  runStateLabel,
  slackDate,
  stepEmoji,
  stepHosts,
  userMention,
} from "./format";
import { chunkCodeLines, gateCommandLines, isCommandLine } from "./gate-command-lines";
import { codeBlock, packSections } from "./pack-sections";

/** What the notifier knows beyond the run record. */
export interface RunMessageContext {
  /** From the latest `approval.requested` event: who is asked (else the run's open gate says). */
  readonly approvers?: ApproverSet;
  /** Latest output of the running step (from `step.output` events), shown live. */
  readonly live?: { readonly stepIndex: number; readonly host: string; readonly tail: string };
}

function stepLine(run: RunRecord, step: PlannedStep, record: StepRecord | undefined): string {
  const state = record?.state ?? "pending";
  const current = run.cursor === step.index && !TERMINAL_RUN_STATES.includes(run.state);
  const title = `${step.index + 1}. ${escapeMrkdwn(step.title)}`;
  const attempt = record !== undefined && record.attempt > 1 ? ` (attempt ${record.attempt})` : "";
  const took = durationBetween(record?.startedAt, record?.finishedAt);
  const hosts = stepHosts(step);
  return `${stepEmoji(state)} ${current ? `*${title}*` : title}${step.destructive ? " :warning:" : ""}${hosts ? ` \u2014 ${escapeMrkdwn(hosts)}` : ""}${attempt}${took !== undefined ? ` \u00b7 ${took}` : ""}`;
}

function decisionText(d: Decision): string {
  const verb = d.decision === "approved" ? ":white_check_mark: approved" : ":no_entry: rejected";
  return `${verb} by ${userMention(d.userId)} ${slackDate(d.at)}${d.reason !== undefined ? `: ${escapeMrkdwn(d.reason)}` : ""}`;
}

function button(actionId: string, text: string, value: string, style?: "primary" | "danger", confirm?: { title: string; text: string; ok: string }): ButtonElement {
  return {
    type: "button",
    action_id: actionId,
    text: plain(text),
    value,
    ...(style === undefined ? {} : { style }),
    ...(confirm === undefined
      ? {}
      : { confirm: { title: plain(confirm.title), text: mrkdwn(truncatePlain(confirm.text, 300)), confirm: plain(confirm.ok), deny: plain("Cancel"), ...(style === "danger" ? { style } : {}) } }),
  };
}

/**
 * On every active run message. It opens a form that asks why (the reason goes
 * to the audit and the summary); the engine refuses anyone but the requester
 * and the approvers, and a click bound to a step the run has left.
 */
function abortButton(value: string, consequence: string): ButtonElement {
  return button(ACTION.abort, "Abort run", value, "danger", { title: "Abort the run?", text: `${consequence} You will be asked for a reason.`, ok: "Abort" });
}

function approverText(approvers: ApproverSet | undefined, decisions: readonly Decision[]): string {
  const approved = decisions.filter((d) => d.decision === "approved").length;
  if (approvers === undefined) return `${approved} approval(s) so far`;
  const who = [...approvers.users.map(userMention), ...approvers.userGroups.map(groupMention)].join(" ") || "the configured approvers";
  return `Approvers: ${who} \u2014 ${approved} of ${approvers.minApprovals} approval${approvers.minApprovals === 1 ? "" : "s"}`;
}

function gateBlocks(run: RunRecord, ctx: RunMessageContext): Block[] {
  const step = run.plan.steps[run.cursor];
  const record = run.steps[run.cursor];
  const stepGate = step !== undefined && record?.state === "awaiting_approval";
  const decisions = stepGate ? record.approvals : (run.runApprovals ?? []);
  const what = stepGate ? `step ${step.index + 1}: *${escapeMrkdwn(step.title)}*` : "this run (every destructive step below)";
  const commands = gateCommandLines(run, stepGate ? step.index : null);
  const fit = fitCommandLines(commands, 2600);
  // A per-run gate re-opened after expiry has a later attempt: the buttons carry the gate's own.
  const value = encodeStep({ runId: run.id, stepIndex: stepGate ? step.index : null, attempt: stepGate ? record.attempt : (run.gate?.attempt ?? 1), planHash: run.plan.planHash });
  const blocks: Block[] = [
    { type: "divider" },
    {
      type: "section",
      text: mrkdwn(`:raised_hand: *Approval needed* for ${what}\n${approverText(ctx.approvers ?? run.gate?.approvers, decisions)}${decisions.length > 0 ? `\n${decisions.map(decisionText).join("\n")}` : ""}`),
    },
    {
      type: "section",
      text: mrkdwn(
        fit.hidden === 0
          ? `Exactly what will run, host by host:\n${codeBlock(commands, 2900)}`
          : `Exactly what will run, host by host (the first ${fit.total - fit.hidden} of ${fit.total} commands):\n${codeBlock(fit.shown, 2900)}\n*${fit.hidden} more command${fit.hidden === 1 ? "" : "s"} not shown here.* Review all ${fit.total} to approve.`,
      ),
    },
  ];
  if (stepGate && step.approvalDetail !== undefined) blocks.push({ type: "section", text: mrkdwn(escapeMrkdwn(step.approvalDetail)) });
  blocks.push({
    type: "actions",
    block_id: "gate",
    elements: [
      // Too long for the message: Approve lives in a modal that shows every command, so nobody approves what they could not see.
      fit.hidden === 0
        ? button(ACTION.approve, "Approve", value, "primary", { title: "Approve and run?", text: `This runs the commands shown on ${run.plan.cluster}.`, ok: "Approve" })
        : button(ACTION.review, `Review all ${fit.total} commands to approve`, value, "primary"),
      button(ACTION.reject, "Reject", value, "danger"),
      abortButton(value, "Nothing runs: the run ends at this gate and the cluster is unlocked."),
    ],
  });
  return blocks;
}

/** Where the cluster stands past a point of no return, and the manual way back (issue 11 point 13). */
function rollbackBlocks(run: RunRecord): Block[] {
  const rollback = currentRollback(run);
  if (rollback === undefined) return [];
  return [{ type: "section", text: mrkdwn(truncatePlain(`:rewind: *State since step ${rollback.step.index + 1}, and the way back by hand:* ${escapeMrkdwn(rollback.text)}`, 2900)) }];
}

function backupBlocks(run: RunRecord): Block[] {
  const backups = backupsTaken(run);
  if (backups.length === 0) return [];
  const lines = backups.map((b) => `\u2022 \`${escapeMrkdwn(b.host)}:${escapeMrkdwn(b.path)}\` \u2014 ${escapeMrkdwn(b.what)}${b.partial ? " (its step did not finish: check it)" : ""}`);
  return [{ type: "section", text: mrkdwn(truncatePlain(`:floppy_disk: *Backups taken by this run*\n${lines.join("\n")}`, 2900)) }];
}

/** The first code block's worth of whole lines, and how many commands are left out of it. */
export function fitCommandLines(lines: readonly string[], max: number): { readonly shown: string[]; readonly hidden: number; readonly total: number } {
  const total = lines.filter(isCommandLine).length;
  const first = chunkCodeLines(lines, max)[0] ?? [];
  // A first line longer than the block alone is not shown: the review modal has it.
  const shown = first.length === 1 && codeBlock(first, Number.MAX_SAFE_INTEGER).length > max ? [] : first;
  return { shown, hidden: total - shown.filter(isCommandLine).length, total };
}

/**
 * Issue 15 point 6: a retry re-runs only the hosts that failed or never ran
 * (not for steps with captures, which read every host's output of one
 * attempt); the button says which before it is pressed.
 */
function retryConfirm(step: PlannedStep, record: StepRecord): { title: string; text: string; ok: string } {
  const hosts = [...new Set(step.targets.map((t) => t.host))];
  const done = (step.captures ?? []).length > 0 ? [] : [...new Set(record.outputs.filter((o) => o.ok === true).map((o) => o.host))];
  const again = hosts.filter((h) => !done.includes(h));
  const text =
    done.length === 0
      ? `Runs step ${step.index + 1} again on ${again.join(", ") || "its targets"}.`
      : `Runs step ${step.index + 1} again only on ${again.join(", ")}: ${done.join(", ")} already succeeded and keep their output.`;
  return { title: `Retry step ${step.index + 1}?`, text, ok: "Retry" };
}

function failureBlocks(run: RunRecord, step: PlannedStep, record: StepRecord): Block[] {
  const value = encodeStep({ runId: run.id, stepIndex: step.index, attempt: record.attempt, planHash: run.plan.planHash });
  const what = record.state === "interrupted" ? "was interrupted (its worker stopped mid-step; it is not safe to re-run blindly)" : "failed";
  const lastOutput = [...record.outputs].reverse().find((o) => o.tail.length > 0 || o.error !== undefined);
  const detail = lastOutput === undefined ? "" : `\n*${escapeMrkdwn(lastOutput.host)}* exit ${lastOutput.exitCode ?? lastOutput.signal ?? "?"}\n${codeBlockTail(lastOutput.error ?? lastOutput.tail, 1200)}`;
  return [
    { type: "divider" },
    { type: "section", text: mrkdwn(`:x: *Step ${step.index + 1} ${what}*: ${escapeMrkdwn(record.error ?? "see the output in the thread")}${detail}`) },
    ...rollbackBlocks(run),
    {
      type: "actions",
      block_id: "failure",
      elements: [
        button(ACTION.retry, "Retry step", value, "primary", retryConfirm(step, record)),
        button(ACTION.skip, "Skip step", value),
        abortButton(value, "No further step will run."),
      ],
    },
  ];
}

function confirmBlocks(run: RunRecord, step: PlannedStep, record: StepRecord | undefined): Block[] {
  const value = encodeStep({ runId: run.id, stepIndex: step.index, attempt: record?.attempt ?? 1, planHash: run.plan.planHash });
  return [
    { type: "divider" },
    { type: "section", text: mrkdwn(`:eyes: *Check before continuing* (step ${step.index + 1}): ${escapeMrkdwn(step.kind === "confirm" ? step.prompt : step.title)}`) },
    {
      type: "actions",
      block_id: "confirm",
      elements: [button(ACTION.continue, "Continue", value, "primary"), abortButton(value, "No further step will run.")],
    },
  ];
}

function summaryBlocks(run: RunRecord): Block[] {
  const counts = new Map<string, number>();
  for (const s of run.steps) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  const tally = [...counts].map(([state, n]) => `${n} ${state}`).join(", ");
  const took = durationBetween(run.startedAt ?? run.requestedAt, run.finishedAt);
  const reason = run.reason !== undefined ? `\n${escapeMrkdwn(run.reason)}` : "";
  return [
    { type: "divider" },
    { type: "section", text: mrkdwn(`${runEmoji(run.state)} *${runStateLabel(run.state)}*${took !== undefined ? ` in ${took}` : ""} \u2014 ${run.plan.steps.length} steps: ${tally || "none run"}${reason}`) },
    ...(run.state === "succeeded" ? [] : rollbackBlocks(run)),
    ...backupBlocks(run),
    ...clusterDiffBlocks(run),
  ];
}

/** Issue 16 point 2: what the run changed in the cluster, and what it should not have. */
function clusterDiffBlocks(run: RunRecord): Block[] {
  const diff = diffSnapshots(run.snapshots?.before, run.snapshots?.after, run.plan.procedureId, intendedNodes(run));
  if (diff === undefined) return [];
  const lines = [
    ...diff.warnings.map((w) => `:warning: ${escapeMrkdwn(w)}`),
    ...diff.changes.slice(0, 12).map((c) => `• ${escapeMrkdwn(c)}`),
    ...(diff.changes.length > 12 ? [`…and ${diff.changes.length - 12} more (see the incident report)`] : []),
  ];
  return [{ type: "section", text: mrkdwn(truncatePlain(`*Cluster before → after*\n${lines.length > 0 ? lines.join("\n") : "no difference in nodes, states or ring hashes"}`, 2900)) }];
}

function activeBlocks(run: RunRecord, ctx: RunMessageContext): Block[] {
  const blocks: Block[] = [];
  const step = run.plan.steps[run.cursor];
  const live = ctx.live;
  if (step !== undefined && live !== undefined && live.stepIndex === run.cursor && live.tail.length > 0) {
    blocks.push({ type: "section", text: mrkdwn(`*Now:* ${run.cursor + 1}. ${escapeMrkdwn(step.title)} on ${escapeMrkdwn(live.host)}\n${codeBlockTail(live.tail, 800)}`) });
  }
  const value = encodeStep({ runId: run.id, stepIndex: null, attempt: 0, planHash: run.plan.planHash });
  blocks.push({
    type: "actions",
    block_id: "run",
    elements: [abortButton(value, "The run stops after the current step.")],
  });
  return blocks;
}

/**
 * The one message per run, updated in place: who/what/where, the checklist,
 * and the decision the run waits for (approval, confirmation, failure) with
 * its buttons, or the final summary.
 */
export function renderRunMessage(run: RunRecord, ctx: RunMessageContext = {}): MessagePayload {
  const plan = run.plan;
  const blocks: Block[] = [
    { type: "header", text: plain(truncatePlain(`${plan.procedureTitle} \u00b7 ${plan.cluster}`, 150)) },
    {
      type: "section",
      text: mrkdwn(
        `${runEmoji(run.state)} *${runStateLabel(run.state)}* \u00b7 run \`${escapeMrkdwn(run.id)}\` \u00b7 requested by ${userMention(run.requestedBy)} ${slackDate(run.requestedAt)}\n` +
          `*Cluster* \`${escapeMrkdwn(plan.cluster)}\` (${plan.clusterKind}) \u00b7 *Procedure* \`${escapeMrkdwn(plan.procedureId)}\` \u00b7 *Parameters* ${formatParams(plan.params)}` +
          (run.abortRequested !== undefined
            ? `\n:octagonal_sign: abort requested by ${userMention(run.abortRequested.by)} (${run.abortRequested.mode})${run.abortRequested.reason !== undefined ? `: ${escapeMrkdwn(run.abortRequested.reason)}` : ""}`
            : ""),
      ),
    },
    ...packSections(plan.steps.map((s) => stepLine(run, s, run.steps[s.index]))),
  ];
  const decided = plan.steps.flatMap((s) => (run.steps[s.index]?.approvals ?? []).map((d) => `${s.index + 1}. ${decisionText(d)}`));
  const runDecisions = (run.runApprovals ?? []).map((d) => `run ${decisionText(d)}`);
  const history = [...runDecisions, ...decided];
  const awaiting = run.state === "awaiting_approval";
  if (history.length > 0 && !awaiting) blocks.push({ type: "context", elements: [mrkdwn(history.slice(-8).join("\n"))] });

  const step = plan.steps[run.cursor];
  const record = run.steps[run.cursor];
  if (TERMINAL_RUN_STATES.includes(run.state)) {
    blocks.push(...summaryBlocks(run));
  } else if (awaiting) {
    blocks.push(...gateBlocks(run, ctx));
  } else if (run.state === "awaiting_confirmation" && step !== undefined) {
    blocks.push(...confirmBlocks(run, step, record));
  } else if (run.state === "paused" && step !== undefined && record !== undefined && (record.state === "failed" || record.state === "interrupted")) {
    blocks.push(...failureBlocks(run, step, record));
  } else {
    blocks.push(...activeBlocks(run, ctx));
  }
  blocks.push({ type: "context", elements: [mrkdwn(`plan \`${plan.planHash.slice(0, 12)}\` \u00b7 v${run.version}`)] });
  const text = `${plan.procedureTitle} on ${plan.cluster}: ${runStateLabel(run.state)}`;
  return { text: truncatePlain(text, 3000), blocks: fitBlocks(blocks, "message") };
}
