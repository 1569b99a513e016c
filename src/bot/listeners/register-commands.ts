import type { App, RespondArguments, SlashCommand, webApi } from "@slack/bolt";
import type { MessagePayload } from "../blocks/block-types";
import { renderClusterStatus } from "../blocks/render-cluster-status";
import { renderError } from "../blocks/render-error";
import { renderHelp } from "../blocks/render-help";
import { renderParamsModal } from "../blocks/render-modals";
import { renderRunList } from "../blocks/render-run-list";
import { renderRunMessage } from "../blocks/render-run-message";
import { BotError } from "../bot-errors";
import { parseCommand, type ParsedCommand } from "../commands/parse-command";
import type { RunRecord } from "../../jobs";
import { escapeMrkdwn } from "../blocks/fit-text";
import { refFromNotifierState } from "../notifier/notifier-store";
import { directUploader, uploadTextFile } from "../notifier/upload-file";
import { incidentReportFor } from "../../report/incident-report-for";
import { timeZonesFor } from "../../report/slack-time-zones";
import { withTimeout } from "../with-timeout";
import { actorOf, callEngine, type BotContext } from "./bot-context";
import { planPreviewFor } from "./plan-preview-for";

type Respond = (message: RespondArguments) => Promise<unknown>;

/** A status query waits up to 20 s for a worker (engine side); the listener gives it a little more. */
const STATUS_QUERY_WAIT_MS = 25_000;

export function ephemeral(payload: MessagePayload): RespondArguments {
  return { response_type: "ephemeral", replace_original: false, text: payload.text, blocks: [...payload.blocks] };
}

async function answer(ctx: BotContext, parsed: ParsedCommand, command: SlashCommand, client: webApi.WebClient): Promise<MessagePayload> {
  switch (parsed.type) {
    case "help":
      return renderHelp(parsed.kind);
    case "status": {
      const cluster = parsed.cluster;
      if (cluster !== undefined) {
        const actor = await actorOf(ctx, command.user_id);
        const [result, active] = await Promise.all([
          withTimeout("status", Math.max(ctx.engineTimeoutMs, STATUS_QUERY_WAIT_MS), () => ctx.engine.queryStatus(cluster, actor)),
          callEngine(ctx, "list", (e) => e.list({ active: true, cluster, readableBy: actor })),
        ]);
        return renderClusterStatus(result, { activeRuns: active });
      }
      // Issue 12 point 2: only the clusters this user may read.
      const readableBy = await actorOf(ctx, command.user_id);
      const runs = await callEngine(ctx, "list", (e) => e.list({ active: true, readableBy, ...(parsed.cluster === undefined ? {} : { cluster: parsed.cluster }) }));
      const where = parsed.cluster ?? `all ${parsed.kind} clusters`;
      return renderRunList(`Active runs on ${where}`, runs.filter((r) => r.plan.clusterKind === parsed.kind), `Nothing is running on ${where}; the cluster is not locked.`);
    }
    case "runs": {
      const readableBy = await actorOf(ctx, command.user_id);
      const runs = await callEngine(ctx, "list", (e) => e.list({ limit: 20, readableBy, ...(parsed.cluster === undefined ? {} : { cluster: parsed.cluster }) }));
      const where = parsed.cluster ?? `all ${parsed.kind} clusters`;
      return renderRunList(`Recent runs on ${where}`, runs.filter((r) => r.plan.clusterKind === parsed.kind), "No run yet.");
    }
    case "show": {
      const readableBy = await actorOf(ctx, command.user_id);
      const run = await callEngine(ctx, "get", (e) => e.get(parsed.runId, readableBy));
      if (run === undefined) throw new BotError("command_invalid", `no run \`${parsed.runId}\`; \`/${parsed.kind} runs\` lists recent runs`, false);
      return renderRunMessage(run);
    }
    case "report": {
      const actor = await actorOf(ctx, command.user_id);
      const run = await callEngine(ctx, "get", (e) => e.get(parsed.runId, actor));
      if (run === undefined) throw new BotError("command_invalid", `no run \`${parsed.runId}\`; \`/${parsed.kind} runs\` lists recent runs`, false);
      const report = await incidentReportFor(ctx.engine, run.id, { timeZone: (user) => timeZonesFor(ctx.api).of(user) });
      if (report === undefined) throw new BotError("command_invalid", `no run \`${parsed.runId}\``, false);
      // In the run's thread when the command is typed in its channel, else in the channel it was typed in.
      const ref = refFromNotifierState(run.notifierState);
      const threadTs = ref !== undefined && ref.channel === command.channel_id ? ref.ts : undefined;
      await uploadTextFile(directUploader(ctx.api), { filename: `intervene-${run.id}-report.md`, title: `Incident report: run ${run.id}`, content: report, channel: command.channel_id, ...(threadTs !== undefined ? { threadTs } : {}) });
      const text = `:page_facing_up: Incident report of run \`${run.id}\` shared ${threadTs !== undefined ? "in the run's thread" : "here"}.`;
      return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
    }
    case "approve": {
      const actor = await actorOf(ctx, command.user_id);
      const run = await callEngine(ctx, "get", (e) => e.get(parsed.runId, actor));
      if (run === undefined) throw new BotError("command_invalid", `no run \`${parsed.runId}\`; \`/${parsed.kind} runs\` lists recent runs`, false);
      const ref = { runId: run.id, stepIndex: parsed.stepIndex, attempt: parsed.attempt, planHash: run.plan.planHash };
      // The channel is the verified payload's: break-glass is possible only where the inventory says.
      const breakGlass = parsed.reason !== undefined ? { channel: command.channel_id, reason: parsed.reason } : undefined;
      const after = await callEngine(ctx, "approve", (e) => e.approve(ref, actor, breakGlass !== undefined ? { breakGlass } : undefined));
      const gate = parsed.stepIndex === null ? "the whole run" : `step ${parsed.stepIndex} (${run.plan.steps[parsed.stepIndex]?.id ?? "?"})`;
      const own = breakGlass !== undefined && actor.userId === run.requestedBy;
      if (own) await announceBreakGlass(ctx, client, after, actor.userId, gate, breakGlass);
      const text = `${own ? ":rotating_light: Break-glass approval" : ":white_check_mark: Approved"}: ${gate} of run \`${run.id}\` (attempt ${parsed.attempt}).`;
      return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
    }
    case "abort": {
      const actor = await actorOf(ctx, command.user_id);
      const run = await callEngine(ctx, "abort", (e) => e.abort(parsed.runId, actor, parsed.mode));
      const when = parsed.mode === "now" ? "now" : "after the current step";
      return { text: `Abort of run ${run.id} requested (${when}).`, blocks: [{ type: "section", text: { type: "mrkdwn", text: `:octagonal_sign: Abort of run \`${run.id}\` requested (${when}).` } }] };
    }
    case "procedure": {
      const actor = await actorOf(ctx, command.user_id);
      const plan = await callEngine(ctx, "plan", (e) => e.plan({ procedureId: parsed.procedureId, cluster: parsed.cluster, params: parsed.params }, actor));
      return planPreviewFor(ctx, client, plan, parsed.dryRun);
    }
    case "needs-input":
      throw new Error("needs-input is answered with a modal");
  }
}

/**
 * Issue 12 point 12: a requester's approval of their own gate is posted
 * loudly in the cluster's channel (in the run's thread and the channel),
 * with who, what and why. A failure to post is logged, never silent.
 */
async function announceBreakGlass(ctx: BotContext, client: webApi.WebClient, run: RunRecord, userId: string, gate: string, breakGlass: { channel: string; reason: string }): Promise<void> {
  const channel = ctx.clusters.find((c) => c.name === run.plan.cluster)?.channel;
  if (channel === undefined) return;
  const text = `:rotating_light: *BREAK-GLASS*: <@${userId}> approved their own ${gate} of run \`${run.id}\` (${run.plan.procedureId} on ${run.plan.cluster}) in <#${breakGlass.channel}>, without a second person. Reason: ${escapeMrkdwn(breakGlass.reason)}`;
  try {
    await client.chat.postMessage({ channel, text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] });
  } catch (err) {
    ctx.logger.error({ runId: run.id, channel, err: err instanceof Error ? err.message : String(err) }, "could not announce a break-glass approval in the cluster's channel");
  }
}

/**
 * `/leofs` and `/dirac`: ack at once (Slack's 3 s), then parse and answer
 * ephemerally through response_url; missing parameters open a modal right
 * away, while the trigger_id is still valid.
 */
export function registerCommands(app: App, ctx: BotContext): void {
  for (const name of ["/leofs", "/dirac"]) {
    app.command(name, async ({ command, ack, respond, client }) => {
      await ack();
      // Yield once before the real work: commands that arrived together get
      // their acks out first instead of queueing behind each other's parsing.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const reply: Respond = respond;
      try {
        const parsed = parseCommand({ command: command.command, text: command.text, channelId: command.channel_id }, { clusters: ctx.clusters });
        if (parsed.type === "needs-input") {
          const view = renderParamsModal({
            kind: parsed.kind,
            procedureId: parsed.procedureId,
            cluster: parsed.cluster,
            params: parsed.params,
            missing: parsed.missing,
            dryRun: parsed.dryRun,
            channelId: command.channel_id,
          });
          await client.views.open({ trigger_id: command.trigger_id, view });
          return;
        }
        await reply(ephemeral(await answer(ctx, parsed, command, client)));
      } catch (err) {
        ctx.logger.info({ command: command.command, user: command.user_id, err: err instanceof Error ? err.message : String(err) }, "command refused");
        await reply(ephemeral(renderError(err))).catch((e: unknown) => ctx.logger.error({ err: e instanceof Error ? e.message : String(e) }, "could not answer a command"));
      }
    });
  }
}
