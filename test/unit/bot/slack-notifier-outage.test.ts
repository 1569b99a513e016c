import pino from "pino";
import { renderRunMessage } from "../../../src/bot/blocks/render-run-message";
import type { NotifierLease } from "../../../src/bot/notifier/notifier-lease";
import { SlackNotifier } from "../../../src/bot/notifier/slack-notifier";
import { ManualClock } from "../../helpers/slack/manual-clock";
import { MemorySlackApi } from "../../helpers/slack/memory-slack-api";
import { makePlan, makeRun } from "../../helpers/slack/run-fixtures";

// A Slack outage longer than the caller's back-off (found by `npm run chaos`, Slack 5xx storm):
// what was given up on is tried again later, without a second message, and the message ends equal to the run.
function setup(lease?: NotifierLease, report?: () => Promise<string | undefined>): { clock: ManualClock; api: MemorySlackApi; notifier: SlackNotifier } {
  const clock = new ManualClock();
  const api = new MemorySlackApi(() => clock.now());
  const notifier = new SlackNotifier({
    api,
    channelFor: () => "C0LEOFSPROD",
    logger: pino({ level: "silent" }),
    clock,
    minPostIntervalMs: 0,
    retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, maxRateLimitWaits: 5 },
    ...(lease === undefined ? {} : { lease }),
    ...(report === undefined ? {} : { report }),
  });
  return { clock, api, notifier };
}

const topLevel = (api: MemorySlackApi): string[] => [...api.messages.values()].filter((m) => m.thread_ts === undefined).map((m) => m.ts);

describe("the notifier through a Slack outage", () => {
  it("a post whose 500 hid a success, with every look-up failing too, is found later: one message, brought to the latest state", async () => {
    const { clock, api, notifier } = setup();
    api.failNext("chat.postMessage", { kind: "500", commit: true });
    // Every look-up of the caller's back-off fails: it gives up without knowing whether the post landed.
    api.failNext("conversations.history", { kind: "500" }, 5);
    let run = makeRun(makePlan(2));
    notifier.handle({ type: "run.created", run });
    await clock.advance(3000);
    run = { ...run, version: run.version + 1, cursor: 1 };
    notifier.handle({ type: "run.updated", run });
    await clock.advance(60_000);
    await notifier.flush();

    expect(api.callsOf("chat.postMessage")).toHaveLength(1);
    expect(topLevel(api)).toHaveLength(1);
    // The message found is the first attempt's (the state at run.created): an update brings it to the state now.
    expect(api.latest(topLevel(api)[0] ?? "")?.blocks).toEqual(renderRunMessage(run).blocks);
  });

  it("with a lease (bots look for the run message before posting it), a look-up that fails is no answer: no second message", async () => {
    const alone: NotifierLease = { ttlMs: 5000, hold: () => Promise.resolve("held"), finish: () => Promise.resolve() };
    const { clock, api, notifier } = setup(alone);
    api.failNext("chat.postMessage", { kind: "500", commit: true });
    api.failNext("conversations.history", { kind: "500" }, 12);
    let run = makeRun(makePlan(2));
    notifier.handle({ type: "run.created", run });
    await clock.advance(10_000);
    // A later event tries the run message again while Slack still fails its look-ups.
    run = { ...run, version: run.version + 1, cursor: 1 };
    notifier.handle({ type: "run.updated", run });
    await clock.advance(120_000);
    await notifier.flush();

    expect(topLevel(api)).toHaveLength(1);
    expect(api.latest(topLevel(api)[0] ?? "")?.blocks).toEqual(renderRunMessage(run).blocks);
  });

  it("an update that failed past the caller's retries is sent again later, so the final state lands", async () => {
    const { clock, api, notifier } = setup();
    let run = makeRun(makePlan(2));
    notifier.handle({ type: "run.created", run });
    await clock.advance(2000);
    api.failNext("chat.update", { kind: "500" }, 5);
    run = { ...run, version: run.version + 1, state: "succeeded", finishedAt: "2026-01-01T10:01:00Z" };
    notifier.handle({ type: "run.finished", run });
    await clock.advance(60_000);
    await notifier.flush();

    expect(api.callsOf("chat.update").map((c) => c.outcome)).toEqual(["500", "500", "500", "500", "500", "ok"]);
    expect(api.latest(topLevel(api)[0] ?? "")?.blocks).toEqual(renderRunMessage(run).blocks);
  });

  describe("the incident report", () => {
    const REPORT = "# Incident report: run r1\n\n– step 1 on `h00`: succeeded ✓\n";

    /** A 1-step run that starts and succeeds, Slack failing as `failing` says; the run message's ts. */
    async function finishRun(failing: (api: MemorySlackApi) => void): Promise<{ api: MemorySlackApi; ts: string }> {
      const { clock, api, notifier } = setup(undefined, () => Promise.resolve(REPORT));
      failing(api);
      let run = makeRun(makePlan(1));
      notifier.handle({ type: "run.created", run });
      await clock.advance(2000);
      run = { ...run, version: run.version + 1, state: "succeeded", finishedAt: "2026-01-01T10:01:00Z" };
      notifier.handle({ type: "run.finished", run });
      await clock.advance(60_000);
      await notifier.flush();
      return { api, ts: topLevel(api)[0] ?? "" };
    }

    // Before: the upload went to the API straight, and any failure lost the report ("giving up on a message").
    it("a ticket and the bytes' POST that fail are tried again, a rate-limited share waits: the report is shared once, whole, in the run's thread", async () => {
      const { api, ts } = await finishRun((slack) => {
        slack.failNext("files.getUploadURLExternal", { kind: "500" }, 2);
        slack.failNext("upload", { kind: "network" }, 2);
        slack.failNext("files.completeUploadExternal", { kind: "429", retryAfterSeconds: 1 });
      });
      expect(api.files).toEqual([{ id: expect.any(String) as string, title: `Incident report: run ${makeRun(makePlan(1)).id}`, content: REPORT, channel: "C0LEOFSPROD", threadTs: ts }]);
      expect(api.callsOf("files.getUploadURLExternal").map((c) => c.outcome)).toEqual(["500", "500", "ok"]);
      expect(api.callsOf("upload").map((c) => c.outcome)).toEqual(["network", "network", "ok"]);
      expect(api.callsOf("files.completeUploadExternal").map((c) => c.outcome)).toEqual(["429", "ok"]);
    });

    it.each([
      ["that took effect", true, 1],
      ["that did not", false, 0],
    ])("a share answered with a 5xx %s is not sent again: never two reports", async (_name, commit, shared) => {
      const { api } = await finishRun((slack) => slack.failNext("files.completeUploadExternal", { kind: "500", commit }));
      expect(api.callsOf("files.completeUploadExternal")).toHaveLength(1);
      expect(api.files).toHaveLength(shared);
    });
  });

  it("the lease is renewed while the run's posts wait out the outage, and a renewal is not logged as a takeover", async () => {
    const holds: number[] = [];
    const clock = new ManualClock();
    const lease: NotifierLease = { ttlMs: 4000, hold: () => (holds.push(clock.now()), Promise.resolve("held")), finish: () => Promise.resolve() };
    const api = new MemorySlackApi(() => clock.now());
    const lines: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
    const notifier = new SlackNotifier({ api, channelFor: () => "C0LEOFSPROD", logger, clock, minPostIntervalMs: 0, retry: { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 200, maxRateLimitWaits: 2 }, lease, leaseCheckMs: 1000 });
    // Every post fails for a minute: the run's queue is stuck retrying the run message.
    api.failNext("chat.postMessage", { kind: "500" }, 8);
    const run = makeRun(makePlan(2));
    notifier.handle({ type: "run.created", run });
    await clock.advance(30_000);
    expect(api.callsOf("chat.postMessage").every((c) => c.outcome === "500")).toBe(true);
    // Renewed about every check (1 s), never left for a TTL (4 s), stuck queue or not.
    const gaps = holds.slice(1).map((h, i) => h - holds[i]!);
    expect(holds.length).toBeGreaterThanOrEqual(25);
    expect(Math.max(...gaps)).toBeLessThan(lease.ttlMs);
    expect(lines.filter((l) => l.includes("lease taken"))).toHaveLength(0);
    // The outage ends: the run message goes out once.
    await clock.advance(120_000);
    await notifier.close();
    expect(topLevel(api)).toHaveLength(1);
  });
});
