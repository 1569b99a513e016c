import pino from "pino";
import type { RunEvent, RunRecord } from "../../../src/jobs/run-types";
import { renderRunMessage } from "../../../src/bot/blocks/render-run-message";
import { validateBlocks } from "../../../src/bot/blocks/validate-blocks";
import type { Block } from "../../../src/bot/blocks/block-types";
import { SlackNotifier } from "../../../src/bot/notifier/slack-notifier";
import { ManualClock } from "../../helpers/slack/manual-clock";
import { MemorySlackApi } from "../../helpers/slack/memory-slack-api";
import { makePlan, makeRun, withStep } from "../../helpers/slack/run-fixtures";

const logger = pino({ level: "silent" });

function setup(options: { minPostIntervalMs?: number } = {}): { clock: ManualClock; api: MemorySlackApi; notifier: SlackNotifier } {
  const clock = new ManualClock();
  const api = new MemorySlackApi(() => clock.now());
  const notifier = new SlackNotifier({
    api,
    channelFor: (cluster) => (cluster === "prod" ? "C0LEOFSPROD" : undefined),
    logger,
    clock,
    minPostIntervalMs: options.minPostIntervalMs ?? 0,
    retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, maxRateLimitWaits: 5 },
  });
  return { clock, api, notifier };
}

function runMessages(api: MemorySlackApi): string[] {
  return [...api.messages.values()].filter((m) => m.thread_ts === undefined).map((m) => m.ts);
}

describe("the run message", () => {
  it("is posted once, then updated at most once a second, and ends equal to the last state", async () => {
    const { clock, api, notifier } = setup();
    const plan = makePlan(3);
    let run = makeRun(plan);
    notifier.handle({ type: "run.created", run });
    await clock.advance(0);
    for (let v = 0; v < 40; v++) {
      run = { ...run, version: run.version + 1 };
      notifier.handle({ type: "step.output", runId: run.id, stepIndex: 0, host: "leofs-m1", chunk: `line ${v}\n` });
      notifier.handle({ type: "run.updated", run });
      await clock.advance(100);
    }
    run = withStep(run, 0, { state: "succeeded" }, { state: "succeeded", finishedAt: "2026-01-01T10:10:00Z" });
    notifier.handle({ type: "run.finished", run });
    await clock.advance(5000);
    await notifier.flush();

    expect(runMessages(api)).toHaveLength(1);
    const updates = api.callsOf("chat.update");
    expect(updates.length).toBeGreaterThan(2);
    expect(updates.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < updates.length; i++) expect((updates[i]?.at ?? 0) - (updates[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    const ts = runMessages(api)[0] ?? "";
    expect(api.latest(ts)?.blocks).toEqual(renderRunMessage(run).blocks);
  });

  it("a 429 on update pushes the next update back by Retry-After, and the final state still lands", async () => {
    const { clock, api, notifier } = setup();
    let run = makeRun(makePlan(2));
    notifier.handle({ type: "run.created", run });
    await clock.advance(0);
    api.failNext("chat.update", { kind: "429", retryAfterSeconds: 3 });
    run = { ...run, version: 2, cursor: 1 };
    notifier.handle({ type: "run.updated", run });
    await clock.advance(0);
    run = { ...run, version: 3, state: "succeeded", finishedAt: "2026-01-01T10:01:00Z" };
    notifier.handle({ type: "run.finished", run });
    await clock.advance(3500);
    expect(api.callsOf("chat.update").map((c) => c.outcome)).toEqual(["429"]);
    await clock.advance(3000);
    await notifier.flush();
    const updates = api.callsOf("chat.update");
    expect(updates.map((c) => c.outcome)).toEqual(["429", "ok"]);
    expect((updates[1]?.at ?? 0) - (updates[0]?.at ?? 0)).toBeGreaterThanOrEqual(3000);
    expect(api.latest(runMessages(api)[0] ?? "")?.blocks).toEqual(renderRunMessage(run).blocks);
  });

  it("a post whose 500 hid a success is found by its metadata key, not posted twice", async () => {
    const { clock, api, notifier } = setup();
    api.failNext("chat.postMessage", { kind: "500", commit: true });
    notifier.handle({ type: "run.created", run: makeRun(makePlan(2)) });
    await clock.advance(5000);
    await notifier.flush();
    expect(api.callsOf("chat.postMessage").map((c) => c.outcome)).toEqual(["500-committed"]);
    expect(api.callsOf("conversations.history")).toHaveLength(1);
    expect(runMessages(api)).toHaveLength(1);
  });

  it("a plain 500 or a network error is retried with back-off, and posts once", async () => {
    const { clock, api, notifier } = setup();
    api.failNext("chat.postMessage", { kind: "500" });
    api.failNext("chat.postMessage", { kind: "network" });
    notifier.handle({ type: "run.created", run: makeRun(makePlan(2)) });
    await clock.advance(5000);
    await notifier.flush();
    const posts = api.callsOf("chat.postMessage");
    expect(posts.map((c) => c.outcome)).toEqual(["500", "network", "ok"]);
    expect((posts[2]?.at ?? 0) - (posts[1]?.at ?? 0)).toBeGreaterThanOrEqual(200);
    expect(runMessages(api)).toHaveLength(1);
  });

  it("a restarted bot updates the message named in notifierState instead of posting", async () => {
    const { clock, api, notifier } = setup();
    await api.apiCall("chat.postMessage", { channel: "C0LEOFSPROD", text: "old" });
    const ts = runMessages(api)[0] ?? "";
    notifier.handle({ type: "run.updated", run: makeRun(makePlan(2), { version: 7, notifierState: { slackChannel: "C0LEOFSPROD", slackTs: ts } }) });
    await clock.advance(2000);
    await notifier.flush();
    expect(api.callsOf("chat.postMessage")).toHaveLength(1);
    expect(api.callsOf("chat.update")).toHaveLength(1);
  });

  it("a cluster without a channel is not announced", async () => {
    const { clock, api, notifier } = setup();
    notifier.handle({ type: "run.created", run: makeRun(makePlan(2, { cluster: "lab" })) });
    await clock.advance(1000);
    await notifier.flush();
    expect(api.calls).toEqual([]);
  });
});

describe("thread replies", () => {
  it("one reply per finished step (not per output line), one mention per gate, a broadcast final summary", async () => {
    const { clock, api, notifier } = setup({ minPostIntervalMs: 1000 });
    const plan = makePlan(3);
    let run: RunRecord = makeRun(plan);
    const events: RunEvent[] = [{ type: "run.created", run }];
    for (let i = 0; i < 3; i++) {
      for (let l = 0; l < 50; l++) events.push({ type: "step.output", runId: run.id, stepIndex: i, host: "leofs-m1", chunk: `out ${i}.${l}\n` });
      if (i === 1) {
        run = withStep(run, 1, { state: "awaiting_approval" }, { state: "awaiting_approval", cursor: 1 });
        const approvers = { users: ["U0APPROVER1"], userGroups: ["S0SREONCALL"], minApprovals: 1 };
        events.push({ type: "approval.requested", run, stepIndex: 1, approvers }, { type: "approval.requested", run, stepIndex: 1, approvers });
      }
      run = withStep(run, i, { state: "succeeded", outputs: [{ host: "leofs-m1", exitCode: 0, signal: null, durationMs: 5, tail: `out ${i}.49`, truncated: false }] }, { state: "running", cursor: i + 1 });
      events.push({ type: "step.finished", run, stepIndex: i }, { type: "step.finished", run, stepIndex: i });
    }
    run = { ...run, version: run.version + 1, state: "succeeded", finishedAt: "2026-01-01T10:05:00Z" };
    events.push({ type: "run.finished", run });
    for (const e of events) notifier.handle(e);
    await clock.advance(20_000);
    await notifier.flush();

    const posts = api.callsOf("chat.postMessage");
    const keys = posts.map((p) => (p.args.metadata as { event_payload: { key: string } }).event_payload.key);
    expect(keys).toEqual(["run", "step:0:1", "gate:1:1", "step:1:1", "step:2:1", "final"]);
    for (let i = 1; i < posts.length; i++) expect((posts[i]?.at ?? 0) - (posts[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    const gate = JSON.stringify(posts[2]?.args.blocks);
    expect(gate).toContain("<@U0APPROVER1> <!subteam^S0SREONCALL>");
    expect(posts[5]?.args.reply_broadcast).toBe(true);
    for (const p of posts) expect(validateBlocks(p.args.blocks as Block[], "message")).toEqual([]);
    const runTs = runMessages(api)[0];
    expect(posts.slice(1).every((p) => p.args.thread_ts === runTs)).toBe(true);
  });
});
