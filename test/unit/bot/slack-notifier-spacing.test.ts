import pino from "pino";
import { renderRunMessage } from "../../../src/bot/blocks/render-run-message";
import type { SlackApi } from "../../../src/bot/notifier/slack-api";
import type { MessageRef, NotifierStore } from "../../../src/bot/notifier/notifier-store";
import { SlackNotifier } from "../../../src/bot/notifier/slack-notifier";
import type { RunRecord } from "../../../src/jobs/run-types";
import { ManualClock } from "../../helpers/slack/manual-clock";
import { MemorySlackApi } from "../../helpers/slack/memory-slack-api";
import { makePlan, makeRun, withStep } from "../../helpers/slack/run-fixtures";

/**
 * A Web API whose requests take `transitMs(n)` to reach Slack: MemorySlackApi
 * records each call when it arrives, which is the time Slack's limits see.
 */
class SlowSlackApi implements SlackApi {
  private calls = 0;

  constructor(
    readonly inner: MemorySlackApi,
    private readonly clock: ManualClock,
    private readonly transitMs: (n: number) => number,
  ) {}

  apiCall(method: string, args?: Record<string, unknown>): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.clock.setTimeout(() => void this.inner.apiCall(method, args).then(resolve, reject), this.transitMs(this.calls++));
    });
  }
}

function setup(): { clock: ManualClock; api: MemorySlackApi; notifier: SlackNotifier } {
  const clock = new ManualClock();
  const api = new MemorySlackApi(() => clock.now());
  // Every other request is slow on its way: with spacing counted from the request, the fast one would catch up.
  const slow = new SlowSlackApi(api, clock, (n) => (n % 2 === 0 ? 700 : 0));
  const notifier = new SlackNotifier({ api: slow, channelFor: () => "C0LEOFSPROD", logger: pino({ level: "silent" }), clock, minPostIntervalMs: 1000 });
  return { clock, api, notifier };
}

function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

/** `count` new messages in all, each at least a second after the one before. */
function expectPostsSpaced(api: MemorySlackApi, count: number): void {
  const posts = api.callsOf("chat.postMessage").map((c) => c.at);
  expect(posts).toHaveLength(count);
  for (const gap of gaps(posts)) expect(gap).toBeGreaterThanOrEqual(1000);
}

describe("Slack sees its limits kept even when requests are slow to arrive", () => {
  it("new messages in a channel arrive at least a second apart", async () => {
    const { clock, api, notifier } = setup();
    let run: RunRecord = makeRun(makePlan(4, {}, () => ({})));
    notifier.handle({ type: "run.created", run });
    for (let i = 0; i < 4; i++) {
      run = withStep(run, i, { state: "succeeded" }, { cursor: i + 1 });
      notifier.handle({ type: "step.finished", run, stepIndex: i });
    }
    run = { ...run, version: run.version + 1, state: "succeeded", finishedAt: "2026-01-01T10:05:00Z" };
    notifier.handle({ type: "run.finished", run });
    await clock.advance(60_000);
    await notifier.flush();

    expectPostsSpaced(api, 6);
  });

  it("the run message is written at most once a second, its post included, and ends equal to the last state", async () => {
    const { clock, api, notifier } = setup();
    let run: RunRecord = makeRun(makePlan(2, {}, () => ({})));
    notifier.handle({ type: "run.created", run });
    for (let v = 0; v < 60; v++) {
      run = { ...run, version: run.version + 1, reason: `tick ${v}` };
      notifier.handle({ type: "run.updated", run });
      await clock.advance(100);
    }
    await clock.advance(10_000);
    await notifier.flush();

    const post = api.callsOf("chat.postMessage")[0];
    const writes = [post?.at ?? 0, ...api.callsOf("chat.update").map((c) => c.at)];
    expect(writes.length).toBeGreaterThan(2);
    for (const gap of gaps(writes)) expect(gap).toBeGreaterThanOrEqual(1000);
    const ts = [...api.messages.values()].find((m) => m.thread_ts === undefined)?.ts ?? "";
    expect(api.latest(ts)?.blocks).toEqual(renderRunMessage(run).blocks);
  });

  it("runs sharing a channel: their posts a second apart, and one run's report waiting on its end snapshot holds no other run's post", async () => {
    const clock = new ManualClock();
    const api = new MemorySlackApi(() => clock.now());
    let reportsAsked = 0;
    // The report of the first run waits 20 s (its end snapshot comes late) and then has nothing to share.
    const report = (): Promise<string | undefined> => {
      reportsAsked++;
      return new Promise((resolve) => clock.setTimeout(() => resolve(undefined), 20_000));
    };
    const notifier = new SlackNotifier({ api, channelFor: () => "C0LEOFSPROD", logger: pino({ level: "silent" }), clock, minPostIntervalMs: 1000, report });
    const plan = makePlan(1, {}, () => ({}));
    const first = makeRun(plan, { id: "run-first" });
    notifier.handle({ type: "run.created", run: first });
    notifier.handle({ type: "run.finished", run: { ...first, version: 2, state: "succeeded", finishedAt: "2026-01-01T10:05:00Z" } });
    await clock.advance(2500);
    expect(reportsAsked).toBe(1);
    const second = makeRun(plan, { id: "run-second" });
    notifier.handle({ type: "run.created", run: second });
    await clock.advance(1500);
    const postsOf = (runId: string): number[] =>
      api
        .callsOf("chat.postMessage")
        .filter((c) => (c.args.metadata as { event_payload?: { run_id?: string } } | undefined)?.event_payload?.run_id === runId)
        .map((c) => c.at);
    // Posted within its second in line, not after the first run's 20 s report.
    expect(postsOf("run-second")).toHaveLength(1);
    expect(postsOf("run-second")[0]!).toBeLessThan(4000);
    await clock.advance(30_000);
    await notifier.flush();
    expectPostsSpaced(api, 3);
  });

  it("a run whose message ref is slow to save (Redis in a failover) holds no other run's post: the line is freed once the post is answered", async () => {
    const clock = new ManualClock();
    const api = new MemorySlackApi(() => clock.now());
    const refs = new Map<string, MessageRef>();
    // The first save waits 20 s, as a write to Redis would through a failover; the others are at once.
    let saves = 0;
    const store: NotifierStore = {
      load: (runId) => Promise.resolve(refs.get(runId)),
      save: (runId, ref) => {
        refs.set(runId, ref);
        return saves++ === 0 ? new Promise((resolve) => clock.setTimeout(resolve, 20_000)) : Promise.resolve();
      },
    };
    const notifier = new SlackNotifier({ api, channelFor: () => "C0LEOFSPROD", logger: pino({ level: "silent" }), clock, minPostIntervalMs: 1000, store });
    const plan = makePlan(1, {}, () => ({}));
    notifier.handle({ type: "run.created", run: makeRun(plan, { id: "run-slow-save" }) });
    await clock.advance(100);
    notifier.handle({ type: "run.created", run: makeRun(plan, { id: "run-next" }) });
    await clock.advance(2000);
    const posts = api.callsOf("chat.postMessage").map((c) => c.at);
    // The second run's message went out a second after the first's, not after the first's save.
    expect(posts).toHaveLength(2);
    expect(posts[1]! - posts[0]!).toBeGreaterThanOrEqual(1000);
    expect(posts[1]!).toBeLessThan(5000);
    await clock.advance(30_000);
    await notifier.flush();
  });
});
