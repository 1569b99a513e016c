import { renderRunMessage } from "../src/bot/blocks/render-run-message";
import { refFromNotifierState } from "../src/bot/notifier/notifier-store";
import type { RunRecord } from "../src/jobs";
import type { FakeSlackDump } from "./fake-slack-client";

export interface SlackDiscipline {
  /** Peak update rate of any one run message: 1000 / the shortest gap between two chat.update calls on it. */
  readonly maxUpdatesPerSecPerMessage: number;
  /** The same counting the post as a write: 1000 / the shortest gap between any two versions of a message. */
  readonly maxWritesPerSecPerMessage: number;
  /** Shortest gap (ms) between two new messages in one channel (Slack: about one per second). */
  readonly minPostGapMsPerChannel: number;
  /** Runs whose Slack message, at the end, is not the rendering of the run's final state. */
  readonly lostUpdates: number;
  readonly lostRunIds: readonly string[];
  /** Why each lost run counts as lost: no message, or where its last version differs from the run (for the log). */
  readonly lostWhy: readonly string[];
  /** Web API calls (auth.test aside) per run. */
  readonly callsPerRun: number;
  readonly callsByMethod: Readonly<Record<string, number>>;
  /** Calls Slack would have refused or that failed (status != 200 or ok: false). */
  readonly failedCalls: number;
}

function minGap(times: readonly number[]): number {
  let gap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < times.length; i++) gap = Math.min(gap, times[i]! - times[i - 1]!);
  return gap;
}

/**
 * Reads what reached the fake Slack Web API for `runs` (final records, after
 * the notifier has flushed): how fast each run message was rewritten, how
 * fast each channel got new messages, and whether each message ends equal to
 * the run's final state, rendered as the notifier renders it.
 */
export function analyseSlack(dump: FakeSlackDump, runs: readonly RunRecord[]): SlackDiscipline {
  const { calls } = dump;
  let updateGap = Number.POSITIVE_INFINITY;
  let writeGap = Number.POSITIVE_INFINITY;
  const lostRunIds: string[] = [];
  const lostWhy: string[] = [];
  for (const run of runs) {
    const ref = refFromNotifierState(run.notifierState);
    const message = ref === undefined ? undefined : dump.messages.get(ref.ts);
    if (message === undefined) {
      lostRunIds.push(run.id);
      lostWhy.push(`${run.id}: no message (state ${run.state}, notifier state ${JSON.stringify(run.notifierState ?? null)})`);
      continue;
    }
    const times = message.versions.map((v) => v.at);
    updateGap = Math.min(updateGap, minGap(times.slice(1)));
    writeGap = Math.min(writeGap, minGap(times));
    const expected = renderRunMessage(run, {});
    const last = message.versions[message.versions.length - 1]!;
    if (JSON.stringify({ text: last.text, blocks: last.blocks }) !== JSON.stringify({ text: expected.text, blocks: expected.blocks })) {
      lostRunIds.push(run.id);
      lostWhy.push(`${run.id}: ${differences(expected, last, message.versions.length, run)}`);
    }
  }
  const posts = new Map<string, number[]>();
  const callsByMethod: Record<string, number> = {};
  let counted = 0;
  let failedCalls = 0;
  for (const call of calls) {
    if (call.method === "auth.test") continue;
    counted++;
    callsByMethod[call.method] = (callsByMethod[call.method] ?? 0) + 1;
    if (call.status !== 200 || call.response.ok !== true) failedCalls++;
    if (call.method === "chat.postMessage") {
      const channel = String(call.args.channel);
      posts.set(channel, [...(posts.get(channel) ?? []), call.at]);
    }
  }
  const postGap = Math.min(...[...posts.values()].map(minGap));
  return {
    maxUpdatesPerSecPerMessage: Number.isFinite(updateGap) ? 1000 / Math.max(updateGap, 1) : 0,
    maxWritesPerSecPerMessage: Number.isFinite(writeGap) ? 1000 / Math.max(writeGap, 1) : 0,
    minPostGapMsPerChannel: postGap,
    lostUpdates: lostRunIds.length,
    lostRunIds,
    lostWhy,
    callsPerRun: runs.length === 0 ? 0 : counted / runs.length,
    callsByMethod,
    failedCalls,
  };
}

/** Where a run's last message version differs from the run rendered (the first differing block, both sides). */
function differences(expected: { text?: unknown; blocks?: unknown }, last: { text?: unknown; blocks?: unknown }, versions: number, run: RunRecord): string {
  const want = (expected.blocks ?? []) as unknown[];
  const got = (last.blocks ?? []) as unknown[];
  const at = Array.from({ length: Math.max(want.length, got.length) }, (_, i) => i).find((i) => JSON.stringify(want[i]) !== JSON.stringify(got[i]));
  const cut = (v: unknown): string => JSON.stringify(v ?? null).slice(0, 400);
  const head = `run ${run.state} v${run.version}, ${versions} message versions`;
  if (at === undefined) return `${head}; text differs: expected ${cut(expected.text)}, last ${cut(last.text)}`;
  return `${head}; block ${at} of ${want.length} (last has ${got.length}): expected ${cut(want[at])}, last ${cut(got[at])}`;
}
