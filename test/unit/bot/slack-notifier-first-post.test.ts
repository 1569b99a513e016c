import pino from "pino";
import type { LeaseState, NotifierLease } from "../../../src/bot/notifier/notifier-lease";
import { MemoryNotifierStore, type MessageRef, type NotifierStore } from "../../../src/bot/notifier/notifier-store";
import { SlackNotifier } from "../../../src/bot/notifier/slack-notifier";
import { ManualClock } from "../../helpers/slack/manual-clock";
import { MemorySlackApi } from "../../helpers/slack/memory-slack-api";
import { makePlan, makeRun } from "../../helpers/slack/run-fixtures";

/** A lease that gives the answers in turn, then the last one for good. */
function scriptedLease(...answers: LeaseState[]): NotifierLease {
  let next = 0;
  return { ttlMs: 4000, hold: () => Promise.resolve(answers[Math.min(next++, answers.length - 1)]!), finish: () => Promise.resolve() };
}

function setup(lease: NotifierLease | undefined, store?: NotifierStore): { clock: ManualClock; api: MemorySlackApi; notifier: SlackNotifier } {
  const clock = new ManualClock();
  const api = new MemorySlackApi(() => clock.now());
  const notifier = new SlackNotifier({
    api,
    channelFor: () => "C0LEOFSPROD",
    logger: pino({ level: "silent" }),
    clock,
    minPostIntervalMs: 0,
    retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 200, maxRateLimitWaits: 2 },
    ...(lease === undefined ? {} : { lease }),
    ...(store === undefined ? {} : { store }),
  });
  return { clock, api, notifier };
}

const topLevel = (api: MemorySlackApi): string[] => [...api.messages.values()].filter((m) => m.thread_ts === undefined).map((m) => m.ts);

/**
 * Before posting a run message, a bot looks in the channel for one that a
 * bot which died after posting left behind (conversations.history, a Tier 3
 * method). A bot that holds the run's lease since nobody held it (issue 13)
 * knows there is none: it posts without looking.
 */
describe("the run message's post under a notifier lease", () => {
  it("the run's first holder posts without looking in the channel", async () => {
    const { clock, api, notifier } = setup(scriptedLease("first", "held"));
    notifier.handle({ type: "run.created", run: makeRun(makePlan(2)) });
    await clock.advance(5000);
    await notifier.flush();
    expect(api.callsOf("conversations.history")).toHaveLength(0);
    expect(api.callsOf("chat.postMessage").map((c) => c.outcome)).toEqual(["ok"]);
  });

  it("a bot that took the lease after another held it looks first, and finds the message the other left behind", async () => {
    const { clock, api, notifier } = setup(scriptedLease("held"));
    const run = makeRun(makePlan(2));
    // The other bot's post, which it died before saving.
    const left = await api.apiCall("chat.postMessage", { channel: "C0LEOFSPROD", text: "run", metadata: { event_type: "intervene_message", event_payload: { run_id: run.id, key: "run" } } });
    notifier.handle({ type: "run.created", run });
    await clock.advance(5000);
    await notifier.flush();
    expect(api.callsOf("conversations.history")).toHaveLength(1);
    expect(topLevel(api)).toEqual([left.ts]);
  });

  it("a first holder that lost the lease and took it back looks first: another bot may have posted meanwhile", async () => {
    const clock = new ManualClock();
    const api = new MemorySlackApi(() => clock.now());
    // Run B's lease: first, then another bot's for a while, then this bot's again.
    const lease: NotifierLease = {
      ttlMs: 4000,
      hold: (runId) => Promise.resolve(runId !== "run-b" ? "first" : clock.now() < 1500 ? "first" : clock.now() < 2500 ? "busy" : "held"),
      finish: () => Promise.resolve(),
    };
    // Posts 4 s apart in the channel: run B's post waits behind run A's while its lease changes hands.
    const notifier = new SlackNotifier({ api, channelFor: () => "C0LEOFSPROD", logger: pino({ level: "silent" }), clock, minPostIntervalMs: 4000, lease });
    notifier.handle({ type: "run.created", run: makeRun(makePlan(2), { id: "run-a" }) });
    await clock.advance(0);
    notifier.handle({ type: "run.created", run: makeRun(makePlan(2), { id: "run-b" }) });
    await clock.advance(20_000);
    await notifier.flush();
    // A's post did not look; B's did.
    expect(api.callsOf("conversations.history")).toHaveLength(1);
    expect(topLevel(api)).toHaveLength(2);
  });

  it.each([
    ["with a lease", scriptedLease("first", "held")],
    ["without one", undefined],
  ])("a post whose ref could not be saved is saved again later, not posted again (%s)", async (_name, lease) => {
    const saved = new MemoryNotifierStore();
    let failures = 1;
    const store: NotifierStore = {
      load: (runId) => saved.load(runId),
      save: (runId: string, ref: MessageRef) => (failures-- > 0 ? Promise.reject(new Error("Redis is out of reach")) : saved.save(runId, ref)),
    };
    const { clock, api, notifier } = setup(lease, store);
    const run = makeRun(makePlan(2));
    notifier.handle({ type: "run.created", run });
    await clock.advance(1000);
    notifier.handle({ type: "run.updated", run: { ...run, version: run.version + 1, cursor: 1 } });
    await clock.advance(2000);
    await notifier.flush();
    expect(api.callsOf("chat.postMessage")).toHaveLength(1);
    expect(await saved.load(run.id)).toEqual({ channel: "C0LEOFSPROD", ts: topLevel(api)[0] });
  });
});
