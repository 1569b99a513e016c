import type { Plan } from "../../procedures/model/plan";
import { ACTION, encodeStart } from "./action-ids";
import { mrkdwn, plain, type Block, type ButtonElement, type MessagePayload } from "./block-types";
import { fitBlocks } from "./fit-blocks";
import { escapeMrkdwn, truncatePlain } from "./fit-text";
import { formatParams, slackDate, stepCommandLines, stepHosts, userMention } from "./format";
import { codeBlock, packSections } from "./pack-sections";

/** The run that holds the cluster's lock, as the preview shows it. */
export interface BusyCluster {
  readonly runId: string;
  readonly requestedBy: string;
  /** When the holder started (or was requested), ISO. */
  readonly since: string;
  readonly procedureTitle: string;
  /** Permalink to the holder's run message, when Slack gave one. */
  readonly link?: string;
}

export interface PlanPreviewOptions {
  /** A dry run shows the plan without a Start button. */
  readonly dryRun?: boolean;
  /** The cluster is locked by another run: no Start button, only Dismiss, and who holds it. */
  readonly busy?: BusyCluster;
}

function busyText(busy: BusyCluster): string {
  const run = busy.link !== undefined ? `<${busy.link}|run \`${escapeMrkdwn(busy.runId)}\`>` : `run \`${escapeMrkdwn(busy.runId)}\``;
  return `:lock: *The cluster is busy* with ${run} (${escapeMrkdwn(busy.procedureTitle)}) requested by ${userMention(busy.requestedBy)} since ${slackDate(busy.since)}. One intervention runs per cluster: start this one when that run has ended.`;
}

function stepChunk(plan: Plan, index: number): string {
  const step = plan.steps[index];
  if (step === undefined) return "";
  const flag = step.destructive ? "  :warning: *destructive: approval required*" : "";
  const note = step.note !== undefined ? `\n_${escapeMrkdwn(step.note)}_` : "";
  const hosts = stepHosts(step);
  return `*${index + 1}. ${escapeMrkdwn(step.title)}*${flag}\n${step.kind}${hosts ? ` on ${escapeMrkdwn(hosts)}` : ""}${note}\n${codeBlock(stepCommandLines(step), 1500)}`;
}

/**
 * What the operator reviews before anything runs: every step with its hosts
 * and exact commands, destructive steps flagged; Start/Cancel carry the plan
 * hash so a plan that changed meanwhile is refused.
 */
export function renderPlanPreview(plan: Plan, options: PlanPreviewOptions = {}): MessagePayload {
  const destructive = plan.steps.filter((s) => s.destructive).length;
  const blocks: Block[] = [
    { type: "header", text: plain(truncatePlain(`${options.dryRun === true ? "Dry run" : "Plan"}: ${plan.procedureTitle}`, 150)) },
    {
      type: "section",
      text: mrkdwn(
        `*Cluster* \`${escapeMrkdwn(plan.cluster)}\` (${plan.clusterKind}) · *Procedure* \`${escapeMrkdwn(plan.procedureId)}\`\n` +
          `*Parameters* ${formatParams(plan.params)}\n` +
          `${plan.steps.length} steps, ${destructive} destructive (each needs approval before it runs)`,
      ),
    },
    ...packSections(plan.steps.map((_, i) => stepChunk(plan, i)), "\n\n"),
    { type: "context", elements: [mrkdwn(`plan \`${plan.planHash.slice(0, 12)}\``)] },
  ];
  const value = encodeStart({ procedureId: plan.procedureId, cluster: plan.cluster, params: plan.params, planHash: plan.planHash, ...(plan.plannedAt !== undefined ? { plannedAt: plan.plannedAt } : {}) });
  const cancel: ButtonElement = { type: "button", action_id: ACTION.cancel, text: plain(options.dryRun === true || options.busy !== undefined ? "Dismiss" : "Cancel"), value };
  if (options.busy !== undefined) blocks.splice(2, 0, { type: "section", text: mrkdwn(busyText(options.busy)) });
  if (options.dryRun === true || options.busy !== undefined) {
    if (options.dryRun === true) blocks.push({ type: "context", elements: [mrkdwn("Dry run: nothing was started. Run the command again without `--dry-run` to start it.")] });
    blocks.push({ type: "actions", block_id: "plan-actions", elements: [cancel] });
  } else {
    const start: ButtonElement = {
      type: "button",
      action_id: ACTION.start,
      text: plain("Start"),
      style: "primary",
      value,
      confirm: {
        title: plain("Start this intervention?"),
        text: mrkdwn(truncatePlain(escapeMrkdwn(`${plan.procedureTitle} on ${plan.cluster}: ${plan.steps.length} steps, ${destructive} destructive.`), 300)),
        confirm: plain("Start"),
        deny: plain("Not yet"),
      },
    };
    blocks.push({ type: "actions", block_id: "plan-actions", elements: [start, cancel] });
  }
  return {
    text: truncatePlain(`${options.dryRun === true ? "Dry run" : "Plan"}: ${plan.procedureTitle} on ${plan.cluster} (${plan.steps.length} steps)`, 3000),
    blocks: fitBlocks(blocks, "message"),
  };
}
