import type { App, BlockAction, ButtonAction, RespondArguments } from "@slack/bolt";
import type { RunRecord } from "../../jobs/run-types";
import { ACTION, decodeStart, decodeStep, gateOf } from "../blocks/action-ids";
import { mrkdwn, type ModalView } from "../blocks/block-types";
import { escapeMrkdwn } from "../blocks/fit-text";
import { renderError } from "../blocks/render-error";
import { renderReasonModal } from "../blocks/render-modals";
import { renderPlanPreview } from "../blocks/render-plan-preview";
import { BotError } from "../bot-errors";
import { actorOf, callEngine, type BotContext } from "./bot-context";
import { ephemeral } from "./register-commands";
import { renderReviewModal } from "../blocks/render-review-modal";

type Respond = (message: RespondArguments) => Promise<unknown>;

interface ActionArgs {
  readonly body: BlockAction;
  readonly action: ButtonAction;
  readonly respond: Respond;
  readonly openView: (view: ModalView) => Promise<unknown>;
}

function note(text: string): RespondArguments {
  return { response_type: "ephemeral", replace_original: false, text, blocks: [{ type: "section", text: mrkdwn(text) }] };
}

function stepName(run: RunRecord, stepIndex: number | null): string {
  return stepIndex === null ? "the run" : `step ${stepIndex + 1} of run \`${escapeMrkdwn(run.id)}\``;
}

/** One handler per button; each re-checks nothing itself: the engine re-validates authority, state and plan hash. */
function handlers(ctx: BotContext): Record<string, (a: ActionArgs) => Promise<void>> {
  const actor = (a: ActionArgs) => actorOf(ctx, a.body.user.id);
  return {
    [ACTION.start]: async (a) => {
      const value = decodeStart(a.action.value);
      const who = await actor(a);
      const plan = await callEngine(ctx, "plan", (e) => e.plan({ procedureId: value.procedureId, cluster: value.cluster, params: value.params, ...(value.plannedAt !== undefined ? { plannedAt: value.plannedAt } : {}) }, who));
      if (plan.planHash !== value.planHash) {
        await a.respond(note(":warning: The plan changed since it was shown (inventory or procedure updated). Review the new plan below before starting."));
        await a.respond(ephemeral(renderPlanPreview(plan)));
        return;
      }
      const run = await callEngine(ctx, "start", (e) => e.start(plan, who));
      const text = `:arrow_forward: Run \`${escapeMrkdwn(run.id)}\` started by <@${a.body.user.id}>: ${escapeMrkdwn(plan.procedureTitle)} on \`${escapeMrkdwn(plan.cluster)}\`. Progress and approvals are in the cluster's channel.`;
      await a.respond({ replace_original: true, text, blocks: [{ type: "section", text: mrkdwn(text) }] });
    },
    [ACTION.cancel]: async (a) => {
      await a.respond({ replace_original: true, text: "Cancelled: nothing was started.", blocks: [{ type: "section", text: mrkdwn(":wastebasket: Cancelled: nothing was started.") }] });
    },
    [ACTION.approve]: async (a) => {
      const value = decodeStep(a.action.value);
      const run = await callEngine(ctx, "approve", async (e) => e.approve(gateOf(value), await actor(a)));
      await a.respond(note(`:white_check_mark: You approved ${stepName(run, value.stepIndex)}.`));
    },
    [ACTION.review]: async (a) => {
      const step = decodeStep(a.action.value);
      const run = await callEngine(ctx, "get", (e) => e.get(step.runId));
      if (run === undefined) throw new BotError("command_invalid", `run ${step.runId} is not known (any more)`, false);
      await a.openView(renderReviewModal(run, { step, channelId: a.body.channel?.id ?? "" }));
    },
    [ACTION.reject]: async (a) => {
      await a.openView(renderReasonModal({ action: "reject", step: decodeStep(a.action.value), channelId: a.body.channel?.id ?? "" }));
    },
    [ACTION.skip]: async (a) => {
      await a.openView(renderReasonModal({ action: "skip", step: decodeStep(a.action.value), channelId: a.body.channel?.id ?? "" }));
    },
    [ACTION.retry]: async (a) => {
      const value = decodeStep(a.action.value);
      if (value.stepIndex === null) throw new BotError("command_invalid", "this button does not name a step", false);
      const stepIndex = value.stepIndex;
      const run = await callEngine(ctx, "retry", async (e) => e.retry(value.runId, stepIndex, await actor(a), value.attempt));
      await a.respond(note(`:repeat: Retrying ${stepName(run, stepIndex)}.`));
    },
    [ACTION.continue]: async (a) => {
      const value = decodeStep(a.action.value);
      if (value.stepIndex === null) throw new BotError("command_invalid", "this button does not name a step", false);
      const stepIndex = value.stepIndex;
      const run = await callEngine(ctx, "confirm", async (e) => e.confirm(value.runId, stepIndex, await actor(a), value.attempt));
      await a.respond(note(`:arrow_forward: Continuing after ${stepName(run, stepIndex)}.`));
    },
    [ACTION.abort]: async (a) => {
      // Say "not allowed" now, not after the clicker has typed a reason.
      const step = decodeStep(a.action.value);
      await callEngine(ctx, "check-operator", async (e) => e.checkOperator(step.runId, await actor(a)));
      await a.openView(renderReasonModal({ action: "abort", step, channelId: a.body.channel?.id ?? "" }));
    },
  };
}

/**
 * A click on a button no listener knows (a message from an older version, or a
 * forged payload) would get no ack: Bolt answers 404 after 3 s and Slack shows
 * the user an error. It is acked at once and answered in words instead. Found
 * by `npm run chaos` (fuzzed interaction payloads).
 */
function registerUnknownActions(app: App, ctx: BotContext, known: ReadonlySet<string>): void {
  app.use(async (args) => {
    const { body, ack, next } = args;
    // Bolt builds an action's full arguments (respond included) before the global middleware runs.
    const respond = (args as { respond?: Respond }).respond;
    const b = body as { type?: unknown; actions?: unknown };
    const actions = Array.isArray(b.actions) ? (b.actions as unknown[]) : undefined;
    const ids = (actions ?? []).map((x) => (typeof x === "object" && x !== null ? (x as { action_id?: unknown }).action_id : undefined));
    if (b.type !== "block_actions" || ids.some((id) => typeof id === "string" && known.has(id))) {
      await next();
      return;
    }
    await ack?.();
    ctx.logger.info({ actionIds: ids.map((id) => String(id).slice(0, 80)) }, "unknown button: acked, nothing done");
    await respond?.(note(":grey_question: This button is not one intervene knows (an old message?): nothing was done. Use the buttons of the run's latest message, or `/leofs help`.")).catch(() => undefined);
  });
}

/** Buttons: ack first (Slack's 3 s), then act; refusals come back as ephemeral messages to the clicker only. */
export function registerActions(app: App, ctx: BotContext): void {
  const all = handlers(ctx);
  registerUnknownActions(app, ctx, new Set(Object.keys(all)));
  for (const [actionId, handle] of Object.entries(all)) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, respond, client }) => {
      await ack();
      const args: ActionArgs = {
        body,
        action,
        respond,
        openView: (view) => client.views.open({ trigger_id: body.trigger_id, view }),
      };
      try {
        await handle(args);
      } catch (err) {
        ctx.logger.info({ action: actionId, user: body.user.id, err: err instanceof Error ? err.message : String(err) }, "action refused");
        await respond(ephemeral(renderError(err))).catch((e: unknown) => ctx.logger.error({ err: e instanceof Error ? e.message : String(e) }, "could not answer an action"));
      }
    });
  }
}
