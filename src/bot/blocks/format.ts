import type { PlannedStep } from "../../procedures/model/step";
import type { RunState, StepRecord, StepState } from "../../jobs/run-types";
import { escapeMrkdwn } from "./fit-text";

const STEP_EMOJI: Record<StepState, string> = {
  pending: ":white_large_square:",
  awaiting_approval: ":raised_hand:",
  queued: ":hourglass_flowing_sand:",
  running: ":arrows_counterclockwise:",
  succeeded: ":white_check_mark:",
  failed: ":x:",
  skipped: ":fast_forward:",
  interrupted: ":warning:",
  not_run: ":heavy_minus_sign:",
};

const RUN_EMOJI: Record<RunState, string> = {
  planned: ":memo:",
  running: ":arrows_counterclockwise:",
  awaiting_approval: ":raised_hand:",
  awaiting_confirmation: ":eyes:",
  paused: ":double_vertical_bar:",
  succeeded: ":white_check_mark:",
  failed: ":x:",
  aborted: ":octagonal_sign:",
};

export function stepEmoji(state: StepState): string {
  return STEP_EMOJI[state];
}

export function runEmoji(state: RunState): string {
  return RUN_EMOJI[state];
}

export function runStateLabel(state: RunState): string {
  return state.replace(/_/g, " ");
}

export function userMention(userId: string): string {
  return `<@${userId}>`;
}

export function groupMention(groupId: string): string {
  return `<!subteam^${groupId}>`;
}

/** Slack renders this in each reader's time zone; the fallback is UTC. */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  const fallback = new Date(ms).toISOString().replace("T", " ").slice(0, 16) + " UTC";
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${fallback}>`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function durationBetween(from: string | undefined, to: string | undefined): string | undefined {
  if (from === undefined || to === undefined) return undefined;
  return formatDuration(Date.parse(to) - Date.parse(from));
}

export function stepHosts(step: PlannedStep): string {
  const hosts = [...new Set(step.targets.map((t) => t.host))];
  if (step.kind === "copy" && hosts.length === 0) hosts.push(step.copy.fromHost, step.copy.toHost);
  return hosts.join(", ");
}

/** Exactly what a step runs, host by host: the resolved commands once captures are filled in, else the plan's. */
export function stepCommandLines(step: PlannedStep, record?: StepRecord): string[] {
  if (step.kind === "copy") {
    const c = step.copy;
    return [`copy ${c.fromHost}:${c.fromPath} -> ${c.toHost}:${c.toPath}`];
  }
  if (step.kind === "confirm") return [`(human check) ${step.prompt}`];
  const resolved = record?.resolvedCommands;
  const lines = (resolved !== undefined && resolved.length > 0 ? resolved : step.targets)
    .filter((t) => t.command !== undefined)
    .map((t) => `${t.host}$ ${t.command ?? ""}`);
  if (step.kind === "wait") {
    const what = step.wait.poll !== undefined ? `poll every ${formatDuration(step.wait.poll.intervalMs)} for up to` : "wait";
    lines.unshift(`(${what} ${formatDuration(step.wait.delayMs)})`);
  }
  return lines.length > 0 ? lines : [`(${step.kind} on ${stepHosts(step) || "no host"})`];
}

/** `k=v` pairs, escaped for mrkdwn. */
export function formatParams(params: Readonly<Record<string, unknown>>): string {
  const pairs = Object.entries(params).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return pairs.length === 0 ? "none" : escapeMrkdwn(pairs.join(" "));
}
