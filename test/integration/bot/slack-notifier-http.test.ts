import type { RunRecord } from "../../../src/jobs/run-types";
import type { Block } from "../../../src/bot/blocks/block-types";
import { renderRunMessage } from "../../../src/bot/blocks/render-run-message";
import { validateBlocks } from "../../../src/bot/blocks/validate-blocks";
import { makePlan, makeRun, withStep } from "../../helpers/slack/run-fixtures";
import { startHarness, type Harness } from "./app-harness";

/** Server-side receipt times jitter by a few ms around the sender's 1 s spacing. */
const LOOPBACK_JITTER_MS = 50;

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
  await h.handle.whenConnected();
  await h.fake.waitFor(() => h.handle.health().events === "subscribed");
});

afterEach(async () => {
  await h.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function runMessageTs(): string {
  const [message] = h.fake.topLevel("C0LEOFSPROD");
  if (message === undefined) throw new Error("no run message");
  return message.ts;
}

describe("the notifier against the fake Slack Web API", () => {
  it("a 429 on chat.postMessage is waited out (Retry-After) and the message posted once", async () => {
    h.fake.inject("chat.postMessage", { status: 429, retryAfter: 1 });
    const run = makeRun(makePlan(2), { id: "run-429" });
    h.engine.emit({ type: "run.created", run });
    await h.handle.notifier!.flush();
    const posts = h.fake.callsOf("chat.postMessage");
    expect(posts.map((c) => c.status)).toEqual([429, 200]);
    expect((posts[1]?.at ?? 0) - (posts[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000 - LOOPBACK_JITTER_MS);
    expect(h.fake.topLevel()).toHaveLength(1);
  });

  it("a 429 on chat.update delays the next update by Retry-After, and the final state still lands", async () => {
    let run = makeRun(makePlan(2), { id: "run-u429" });
    h.engine.emit({ type: "run.created", run });
    await h.fake.waitFor(() => h.fake.topLevel().length === 1);
    h.fake.inject("chat.update", { status: 429, retryAfter: 2 });
    run = withStep(run, 0, { state: "running" });
    h.engine.emit({ type: "run.updated", run });
    await sleep(100);
    run = withStep(run, 0, { state: "succeeded" }, { state: "succeeded", finishedAt: new Date().toISOString(), cursor: 2 });
    h.engine.emit({ type: "run.finished", run });
    await h.handle.notifier!.flush();
    const updates = h.fake.callsOf("chat.update");
    expect(updates.map((c) => c.status)).toEqual([429, 200]);
    expect((updates[1]?.at ?? 0) - (updates[0]?.at ?? 0)).toBeGreaterThanOrEqual(2000 - LOOPBACK_JITTER_MS);
    expect(h.fake.latest(runMessageTs())?.blocks).toEqual(renderRunMessage(run).blocks);
  });

  it.each([
    ["a 500 that did not post", false],
    ["a 500 that hid a successful post", true],
  ])("%s is retried without a duplicate message", async (_name, commit) => {
    h.fake.inject("chat.postMessage", { status: 500, commit });
    h.engine.emit({ type: "run.created", run: makeRun(makePlan(2), { id: `run-500-${String(commit)}` }) });
    await h.handle.notifier!.flush();
    expect(h.fake.topLevel()).toHaveLength(1);
    expect(h.fake.callsOf("chat.postMessage").map((c) => c.status)).toEqual(commit ? [500] : [500, 200]);
    expect(h.fake.callsOf("conversations.history")).toHaveLength(1);
  });

  it("a 30-step run with chatty output: at most one update per second, one reply per step, every payload within limits, final message equal to the final state", async () => {
    const plan = makePlan(30, {}, (i) => ({ destructive: i % 7 === 3, targets: [{ host: `leofs-s${i % 3}`, command: `leofs-adm status # ${i} ${"x".repeat(200)}` }] }));
    let run: RunRecord = makeRun(plan, { id: "run-30" });
    h.engine.emit({ type: "run.created", run });
    for (let i = 0; i < 30; i++) {
      run = withStep(run, i, { state: "running", startedAt: new Date().toISOString() }, { cursor: i });
      h.engine.emit({ type: "run.updated", run });
      for (let line = 0; line < 25; line++) {
        h.engine.emit({ type: "step.output", runId: run.id, stepIndex: i, host: `leofs-s${i % 3}`, chunk: `[${i}.${line}] ${"output <&> ```".repeat(5)}\n` });
      }
      await sleep(100);
      const tail = Array.from({ length: 25 }, (_, line) => `[${i}.${line}] done`).join("\n");
      run = withStep(run, i, { state: "succeeded", finishedAt: new Date().toISOString(), outputs: [{ host: `leofs-s${i % 3}`, exitCode: 0, signal: null, durationMs: 100, tail, truncated: false }] }, { cursor: i + 1 });
      h.engine.emit({ type: "step.finished", run, stepIndex: i });
    }
    run = { ...run, version: run.version + 1, state: "succeeded", finishedAt: new Date().toISOString() };
    h.engine.emit({ type: "run.finished", run });
    await h.handle.notifier!.flush();

    const ts = runMessageTs();
    const updates = h.fake.callsOf("chat.update").filter((c) => c.args.ts === ts);
    expect(updates.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < updates.length; i++) expect((updates[i]?.at ?? 0) - (updates[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(1000 - LOOPBACK_JITTER_MS);

    const replies = h.fake.replies(ts);
    expect(replies).toHaveLength(31);
    expect(h.fake.violations).toEqual([]);
    for (const call of [...h.fake.callsOf("chat.postMessage"), ...h.fake.callsOf("chat.update")]) {
      expect(call.status).toBe(200);
      expect(validateBlocks(call.args.blocks as Block[], "message")).toEqual([]);
    }
    expect(h.fake.latest(ts)?.blocks).toEqual(renderRunMessage(run).blocks);
    expect(h.fake.latest(ts)?.text).toBe(renderRunMessage(run).text);
  });
});
