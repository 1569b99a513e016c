import type { App, ViewSubmitAction } from "@slack/bolt";
import type { webApi } from "@slack/bolt";
import type { MessagePayload } from "../blocks/block-types";
import { gateOf, VIEW } from "../blocks/action-ids";
import { renderError } from "../blocks/render-error";
import { decodeParamsModalState, decodeReasonModalState, readParamsSubmission, readReasonSubmission } from "../blocks/render-modals";
import { mrkdwn } from "../blocks/block-types";
import { escapeMrkdwn } from "../blocks/fit-text";
import { actorOf, callEngine, type BotContext } from "./bot-context";
import { planPreviewFor } from "./plan-preview-for";
import { decodeReviewModalState } from "../blocks/render-review-modal";

async function tellUser(ctx: BotContext, client: webApi.WebClient, channel: string, user: string, payload: MessagePayload): Promise<void> {
  try {
    await client.chat.postEphemeral({ channel, user, text: payload.text, blocks: payload.blocks });
  } catch (err) {
    ctx.logger.error({ channel, user, err: err instanceof Error ? err.message : String(err) }, "could not post an ephemeral answer");
  }
}

/**
 * Modal submissions: fields are validated before the ack (so Slack shows the
 * errors next to them); the engine is called after it.
 */
export function registerViews(app: App, ctx: BotContext): void {
  // Approve from the review modal (a gate too long for its message): the engine checks the approver and the binding as for the button.
  app.view<ViewSubmitAction>(VIEW.review, async ({ ack, body, view, client }) => {
    const state = decodeReviewModalState(view.private_metadata);
    await ack();
    try {
      const actor = await actorOf(ctx, body.user.id);
      const run = await callEngine(ctx, "approve", (e) => e.approve(gateOf(state.step), actor));
      const what = state.step.stepIndex === null ? "the run" : `step ${state.step.stepIndex + 1} (${run.plan.steps[state.step.stepIndex]?.title ?? ""})`;
      await tellUser(ctx, client, state.channelId, body.user.id, {
        text: `You approved ${what}.`,
        blocks: [{ type: "section", text: mrkdwn(`:white_check_mark: You approved ${escapeMrkdwn(what)} of run \`${escapeMrkdwn(run.id)}\`, after reviewing every command.`) }],
      });
    } catch (err) {
      await tellUser(ctx, client, state.channelId, body.user.id, renderError(err));
    }
  });

  app.view<ViewSubmitAction>(VIEW.params, async ({ ack, body, view, client }) => {
    const state = decodeParamsModalState(view.private_metadata);
    const result = readParamsSubmission(state, view.state.values);
    if ("errors" in result) {
      await ack({ response_action: "errors", errors: result.errors });
      return;
    }
    await ack();
    try {
      const actor = await actorOf(ctx, body.user.id);
      const plan = await callEngine(ctx, "plan", (e) => e.plan({ procedureId: state.procedureId, cluster: state.cluster, params: result.params }, actor));
      await tellUser(ctx, client, state.channelId, body.user.id, await planPreviewFor(ctx, client, plan, state.dryRun));
    } catch (err) {
      await tellUser(ctx, client, state.channelId, body.user.id, renderError(err));
    }
  });

  app.view<ViewSubmitAction>(VIEW.reason, async ({ ack, body, view, client }) => {
    const state = decodeReasonModalState(view.private_metadata);
    const result = readReasonSubmission(view.state.values);
    if ("errors" in result) {
      await ack({ response_action: "errors", errors: result.errors });
      return;
    }
    await ack();
    try {
      const actor = await actorOf(ctx, body.user.id);
      const { step } = state;
      if (state.action === "reject") await callEngine(ctx, "reject", (e) => e.reject(gateOf(step), actor, result.reason));
      else if (state.action === "abort") {
        const run = await callEngine(ctx, "abort", (e) => e.abort(step.runId, actor, "after-step", { reason: result.reason, at: { stepIndex: step.stepIndex, attempt: step.attempt } }));
        await tellUser(ctx, client, state.channelId, body.user.id, {
          text: `Abort of run ${run.id} requested.`,
          blocks: [{ type: "section", text: mrkdwn(`:octagonal_sign: Abort of run \`${escapeMrkdwn(run.id)}\` requested${run.state === "aborted" ? ": the run has ended and the cluster is unlocked." : ": it stops after the current step."}`) }],
        });
      } else if (step.stepIndex !== null) {
        const stepIndex = step.stepIndex;
        await callEngine(ctx, "skip", (e) => e.skip(step.runId, stepIndex, actor, result.reason, step.attempt));
      }
    } catch (err) {
      await tellUser(ctx, client, state.channelId, body.user.id, renderError(err));
    }
  });
}
