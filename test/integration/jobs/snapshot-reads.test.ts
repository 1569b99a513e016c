import type { Actor, RunEvent } from "../../../src/jobs";
import { createEngine, inventoryPolicyResolver, type EngineHandle } from "../../../src/jobs";
import { redisKeys } from "../../../src/jobs/store/redis-keys";
import { createHarness, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";

const requester: Actor = { userId: "UREQ" };

/**
 * Issue 13 point 3: an engine that takes cluster snapshots for some
 * procedures (the bot's, with SNAPSHOT_PROCEDURES) read the whole record of
 * every run at its start, and again at its end on hearing `run.finished`,
 * only to find that the run's procedure takes none. It now decides from the
 * plan it has at hand and reads nothing for such a run.
 */
describe("cluster snapshots of runs whose procedure takes none", () => {
  let h: Harness;
  let engine: EngineHandle;

  beforeAll(async () => {
    h = createHarness("snapshot-reads", { c1: "{}" });
    await h.startWorker();
    engine = createEngine({ redis: h.redisUrl, prefix: h.prefix, policy: inventoryPolicyResolver(h.inventory), snapshots: (procedureId) => procedureId === "leofs.some-other-procedure" });
  });
  afterAll(async () => {
    await engine.close();
    await h.close();
  });

  it("cost the engine no read of the run, at its start or at its end", async () => {
    const reads: string[] = [];
    const get = engine.store.get.bind(engine.store);
    jest.spyOn(engine.store, "get").mockImplementation((runId: string) => {
      reads.push(runId);
      return get(runId);
    });
    let finished: (event: RunEvent) => void = () => undefined;
    const ended = new Promise<RunEvent>((resolve) => (finished = resolve));
    const unsubscribe = await engine.subscribe((event) => {
      if (event.type === "run.finished") finished(event);
    });
    try {
      const run = await engine.start(testPlan("c1", [{ id: "one", kind: "exec", targets: [{ host: "h2", command: "true" }] }]), requester);
      // Through the harness's own engine (another store): a bounded wait that says where the run stopped.
      await waitForRun(h.engine, run.id, (r) => r.finishedAt !== undefined);
      const end = await ended;
      expect(end.type === "run.finished" && end.run.id === run.id && end.run.state).toBe("succeeded");
      // The end watcher hears the same event; what it would start, it starts before the next macrotask.
      await new Promise((resolve) => setImmediate(resolve));
      expect(reads).toEqual([]);
    } finally {
      await unsubscribe();
      jest.restoreAllMocks();
    }
  });
});

/**
 * An engine with snapshots on subscribes to run events in the background
 * from its creation. Closed before that SUBSCRIBE was answered (a CLI
 * command is done in milliseconds), it left the subscribed connection open
 * for good, which kept the process alive: every full jest run printed "A
 * worker process has failed to exit gracefully" (cli.test.ts left four).
 */
describe("an engine with snapshots on, closed at once", () => {
  let h: Harness;

  beforeAll(() => {
    h = createHarness("snapshot-close", { c1: "{}" });
  });
  afterAll(async () => {
    await h.close();
  });

  it("leaves no connection subscribed to its run events", async () => {
    const channel = redisKeys(h.prefix).eventsChannel;
    for (let i = 0; i < 5; i++) {
      const engine = createEngine({ redis: h.redisUrl, prefix: h.prefix, policy: inventoryPolicyResolver(h.inventory), snapshots: () => true });
      await engine.close();
    }
    // A subscription that outlived its engine would land within a round trip or two of its close.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [, subscribers] = (await h.engine.store.redis.pubsub("NUMSUB", channel)) as [string, number];
    expect(subscribers).toBe(0);
  });
});
