import fs from "node:fs";
import Redis from "ioredis";
import { startRedisServer } from "../../../sim/process/redis-server";
import type { Actor, RunEvent, RunRecord } from "../../../src/jobs";
import { redisKeys } from "../../../src/jobs/store/redis-keys";
import { CloseGaveUpError } from "../../../src/util/settle-within";
import { eventuallyTrue } from "../../helpers/eventually";
import { createHarness, isSettled, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";

const requester: Actor = { userId: "UREQ" };

/**
 * Issue 13 point 3: run events carry a transition's change, and each
 * subscriber rebuilds whole runs on its own views, reading a run only when it
 * lacks the version a delta was computed from. Real engine, workers, Redis
 * pub/sub and sshd.
 */
describe("run events as deltas", () => {
  let h: Harness;
  let wire: Redis;
  const messages: string[] = [];

  beforeAll(async () => {
    h = createHarness("event-deltas", { c1: "{}" });
    await h.startWorker();
    wire = new Redis(h.redisUrl);
    wire.on("message", (_channel: string, text: string) => messages.push(text));
    await wire.subscribe(redisKeys(h.prefix).eventsChannel);
  });
  afterAll(async () => {
    wire.disconnect();
    await h.close();
  });

  const steps = Array.from({ length: 6 }, (_, i) => ({ id: `step-${i}`, kind: "exec" as const, title: `step ${i}: ${"a title of some length ".repeat(4)}`, targets: [{ host: "h2", command: `echo step ${i} ${"x".repeat(300)}` }] }));

  it("listeners get whole runs equal to the stored versions, while the channel carries only the changes", async () => {
    const heard: RunEvent[] = [];
    const unsubscribe = await h.engine.subscribe((e) => heard.push(e));
    try {
      const run = await h.engine.start(testPlan("c1", steps), requester);
      const done = await waitForRun(h.engine, run.id, isSettled);
      expect(done.state).toBe("succeeded");
      await eventuallyTrue("the end is heard", () => heard.some((e) => e.type === "run.finished" && e.run.id === run.id));

      const ours = heard.filter((e): e is Extract<RunEvent, { run: RunRecord }> => "run" in e && e.run.id === run.id);
      // Every version from creation to the end, in order, each run.updated once.
      const versions = ours.filter((e) => e.type === "run.updated").map((e) => e.run.version);
      expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
      expect(ours.at(-1)!.run).toEqual(done);
      expect(ours.filter((e) => e.type === "step.finished").map((e) => (e as { stepIndex: number }).stepIndex)).toEqual([0, 1, 2, 3, 4, 5]);

      const onWire = messages.map((m) => JSON.parse(m) as { run?: RunRecord; delta?: { id: string; set: Record<string, unknown> } }).filter((m) => (m.run ?? m.delta)?.id === run.id);
      const whole = onWire.filter((m) => m.run !== undefined);
      const deltas = onWire.filter((m) => m.delta !== undefined);
      // The creation goes out whole; every transition after it as a delta, never with the plan.
      expect(whole).toHaveLength(1);
      // One begin, then six results: the begins of steps 1 to 5 go out with the results before them.
      expect(deltas.length).toBeGreaterThanOrEqual(7);
      expect(deltas.every((m) => !("plan" in m.delta!.set))).toBe(true);
      const bytes = (ms: typeof onWire): number => ms.reduce((n, m) => n + JSON.stringify(m).length, 0) / ms.length;
      expect(bytes(deltas)).toBeLessThan(JSON.stringify(done).length / 3);
    } finally {
      await unsubscribe();
    }
  });

  it("a subscriber that starts mid-run gets whole runs (it reads the run it lacks), then follows its deltas", async () => {
    const plan = testPlan("c1", [...steps.slice(0, 2), { id: "gate", kind: "exec", destructive: true, targets: [{ host: "h2", command: "true" }] }, ...steps.slice(2, 4)]);
    const run = await h.engine.start(plan, requester);
    await waitForRun(h.engine, run.id, (r) => r.state === "awaiting_approval");
    const heard: RunEvent[] = [];
    const unsubscribe = await h.engine.subscribe((e) => heard.push(e));
    try {
      await h.engine.approve({ runId: run.id, stepIndex: 2, attempt: 1, planHash: run.plan.planHash }, { userId: "UAPP1" });
      const done = await waitForRun(h.engine, run.id, isSettled);
      await eventuallyTrue("the end is heard", () => heard.some((e) => e.type === "run.finished"));
      const ours = heard.filter((e): e is Extract<RunEvent, { run: RunRecord }> => "run" in e && e.run.id === run.id);
      expect(ours[0]!.run.steps[0]!.state).toBe("succeeded");
      expect(ours.at(-1)!.run).toEqual(done);
    } finally {
      await unsubscribe();
    }
  });

  it("a listener that throws does not keep events from the others", async () => {
    const heard: RunEvent[] = [];
    const offBroken = await h.engine.subscribe(() => {
      throw new Error("listener bug");
    });
    const offGood = await h.engine.subscribe((e) => heard.push(e));
    try {
      const run = await h.engine.start(testPlan("c1", steps.slice(0, 2)), requester);
      await waitForRun(h.engine, run.id, isSettled);
      await eventuallyTrue("the end is heard", () => heard.some((e) => e.type === "run.finished" && e.run.id === run.id));
      expect(heard.filter((e) => e.type === "step.finished" && e.run.id === run.id)).toHaveLength(2);
    } finally {
      await offBroken();
      await offGood();
    }
  });

  it("with Redis gone, unsubscribing and closing the engine end in bounded time and say what they gave up on", async () => {
    // Last session's silent give-up: the unsubscribe's bounded wait ended and nothing said so, so a
    // SIGTERM with Redis down could exit as if every connection had closed cleanly.
    const server = await startRedisServer({ appendonly: false });
    const own = createHarness("event-deltas-gone", { c1: "{}" }, server.url);
    try {
      const unsubscribe = await own.engine.subscribe(() => undefined);
      await server.stop("SIGKILL");
      const left = await unsubscribe().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(left).toBeInstanceOf(CloseGaveUpError);
      expect((left as CloseGaveUpError).gaveUp).toEqual(["run-event unsubscribe"]);
      expect((left as CloseGaveUpError).message).toBe("run-event unsubscribe did not finish within 3000 ms; connections cut");
      // The rest of the engine's close may or may not need to give up (BullMQ closes a queue whose
      // connection is down at once); it ends either way, and fails with nothing but a give-up report.
      const closing = await own.engine.close().then(
        () => undefined,
        (err: unknown) => err,
      );
      if (closing !== undefined) expect(closing).toBeInstanceOf(CloseGaveUpError);
    } finally {
      // Not own.close(): its key clean-up would wait on the dead Redis; the engine closed above.
      await own.pool.close();
      fs.rmSync(server.dir, { recursive: true, force: true });
    }
  });

  it("after its connection drops, a subscriber reads runs afresh and goes on with whole, current runs", async () => {
    // Its own Redis: cutting every subscriber there touches no other test file's connections.
    const server = await startRedisServer({ appendonly: false });
    const own = createHarness("event-deltas-reconnect", { c1: "{}" }, server.url);
    const heard: RunEvent[] = [];
    const admin = new Redis(server.url);
    try {
      await own.startWorker();
      const unsubscribe = await own.engine.subscribe((e) => heard.push(e));
      const plan = testPlan("c1", [...steps.slice(0, 1), { id: "gate", kind: "exec", destructive: true, targets: [{ host: "h2", command: "true" }] }, ...steps.slice(1, 3)]);
      const run = await own.engine.start(plan, requester);
      await waitForRun(own.engine, run.id, (r) => r.state === "awaiting_approval");
      await eventuallyTrue("the gate is heard", () => heard.some((e) => e.type === "approval.requested"));
      // As a Redis restart or failover would: every subscriber connection cut; ioredis reconnects and resubscribes.
      await admin.call("CLIENT", "KILL", "TYPE", "pubsub");
      await eventuallyTrue("the subscriber is back", async () => /flags=P/.test((await admin.client("LIST")) as string));
      await own.engine.approve({ runId: run.id, stepIndex: 1, attempt: 1, planHash: run.plan.planHash }, { userId: "UAPP1" });
      const done = await waitForRun(own.engine, run.id, isSettled);
      await eventuallyTrue("the end is heard", () => heard.some((e) => e.type === "run.finished" && e.run.id === run.id));
      const last = heard.filter((e): e is Extract<RunEvent, { run: RunRecord }> => "run" in e && e.run.id === run.id).at(-1)!;
      expect(last.run).toEqual(done);
      await unsubscribe();
    } finally {
      admin.disconnect();
      await own.close();
      await server.stop();
      fs.rmSync(server.dir, { recursive: true, force: true });
    }
  });

  it("with EVENT_DELTAS off, publishers send whole runs (for subscribers of an earlier version)", async () => {
    const plain = createHarness("event-deltas-off", { c1: "{}" });
    const listener = new Redis(plain.redisUrl);
    const texts: string[] = [];
    listener.on("message", (_c: string, t: string) => texts.push(t));
    await listener.subscribe(redisKeys(plain.prefix).eventsChannel);
    try {
      await plain.startWorker({ eventDeltas: false });
      const run = await plain.engine.start(testPlan("c1", steps.slice(0, 2)), requester);
      await waitForRun(plain.engine, run.id, isSettled);
      await eventuallyTrue("the worker's transitions are heard", () => texts.length >= 4);
      const fromWorker = texts.map((t) => JSON.parse(t) as { run?: unknown; delta?: unknown }).filter((m) => m.delta !== undefined);
      // Only the engine (deltas on by default) may have sent deltas: its transitions here are none after creation.
      expect(fromWorker).toEqual([]);
    } finally {
      listener.disconnect();
      await plain.close();
    }
  });
});
