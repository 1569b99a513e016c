import type { webApi } from "@slack/bolt";
import type { Plan } from "../../procedures/model/plan";
import type { MessagePayload } from "../blocks/block-types";
import { renderPlanPreview, type BusyCluster } from "../blocks/render-plan-preview";
import { refFromNotifierState } from "../notifier/notifier-store";
import { callEngine, type BotContext } from "./bot-context";

async function permalinkOf(ctx: BotContext, client: webApi.WebClient, channel: string, ts: string): Promise<string | undefined> {
  try {
    return (await client.chat.getPermalink({ channel, message_ts: ts })).permalink;
  } catch (err) {
    // The preview still names the run; only the link is lost.
    ctx.logger.info({ channel, ts, err: err instanceof Error ? err.message : String(err) }, "no permalink for the busy run's message");
    return undefined;
  }
}

/**
 * The preview as the requester should see it now: when another run holds
 * the cluster, it says which, whose and since when, and offers no Start. The
 * lock is still taken atomically at Start; this only spares a click that
 * could not succeed.
 */
export async function planPreviewFor(ctx: BotContext, client: webApi.WebClient, plan: Plan, dryRun: boolean): Promise<MessagePayload> {
  const active = await callEngine(ctx, "list", (e) => e.list({ cluster: plan.cluster, active: true }));
  const holder = active.find((r) => r.plan.cluster === plan.cluster);
  if (holder === undefined) return renderPlanPreview(plan, { dryRun });
  const ref = refFromNotifierState(holder.notifierState);
  const link = ref === undefined ? undefined : await permalinkOf(ctx, client, ref.channel, ref.ts);
  const busy: BusyCluster = {
    runId: holder.id,
    requestedBy: holder.requestedBy,
    since: holder.startedAt ?? holder.requestedAt,
    procedureTitle: holder.plan.procedureTitle,
    ...(link !== undefined ? { link } : {}),
  };
  return renderPlanPreview(plan, { dryRun, busy });
}
