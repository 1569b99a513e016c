import type { Actor } from "../../../src/jobs";
import { redisKeys } from "../../../src/jobs/store/redis-keys";
import { eventuallyTrue } from "../../helpers/eventually";
import { monitorClientsDuring, monitorDuring } from "./helpers/monitor-during";
import { createHarness, isSettled, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";

const requester: Actor = { userId: "UREQ" };

/** One command as Redis received it: its name and its first key. */
interface Seen {
  readonly name: string;
  readonly key: string;
}

async function commandsDuring(redisUrl: string, during: () => Promise<void>): Promise<Seen[]> {
  return (await monitorDuring(redisUrl, during)).map((args) => ({ name: (args[0] ?? "").toLowerCase(), key: args[1] ?? "" }));
}

/**
 * Issue 13: a step's own round trips. The ask for its SSH slot travels with
 * the write that marks it running, and its output with the write of its
 * result, instead of each waiting for the answer before. Redis runs a
 * connection's commands in order, so the order below is also what a reader
 * can rely on: the output is there before the result that names it.
 */
describe("the Redis commands of one step", () => {
  let h: Harness;

  beforeAll(async () => {
    h = createHarness("roundtrips", { c1: "{}", c2: "{}", c5: "{}" });
    await h.startWorker();
  });
  afterAll(async () => {
    await h.close();
  });

  /** The stored data of a step job (BullMQ keeps it in the job's hash), parsed. */
  async function jobData(of: Harness, runId: string, stepIndex = 0, attempt = 1): Promise<Record<string, unknown> | undefined> {
    const text = await of.engine.store.redis.hget(`${redisKeys(of.prefix).bullPrefix}:steps:${runId}:${stepIndex}:${attempt}`, "data");
    return text === null ? undefined : (JSON.parse(text) as Record<string, unknown>);
  }

  it("sends a new run's first job right behind its create, which publishes the run's events; the worker begins the step from the record the job carries and takes it off the job", async () => {
    // A harness of its own whose worker does not reconcile meanwhile: a reconcile pass reads every active run whole.
    const own = createHarness("roundtrips-start", { c4: "{}" });
    const worker = await own.startWorker({ reconcileIntervalMs: 3_600_000 });
    // The pass a worker starts with is not awaited; one more on the same connection is answered after it, with no run to read.
    await worker.reconcile();
    const keys = redisKeys(own.prefix);
    const probe = own.engine.store.redis.duplicate();
    // What the engine's connection sends and when each is answered, seen on the connection itself.
    const connection = own.engine.store.redis;
    const sendCommand = connection.sendCommand.bind(connection);
    const wire: string[] = [];
    connection.sendCommand = ((command: Parameters<typeof sendCommand>[0], stream?: Parameters<typeof sendCommand>[1]) => {
      const args = command.args.map(String);
      // The add is told by the record it carries: a fresh step queue sends commands of its own on the keys too.
      const what = args.includes(keys.runs) ? "create" : args.some((a) => a.includes("writeId")) ? "add" : undefined;
      if (what !== undefined) {
        wire.push(`sent ${what}`);
        command.promise.then(
          () => wire.push(`answered ${what}`),
          () => wire.push(`failed ${what}`),
        );
      }
      return sendCommand(command, stream);
    });
    let runId = "";
    try {
      const seen = await monitorClientsDuring(own.redisUrl, async () => {
        const run = await own.engine.start(testPlan("c4", [{ id: "one", kind: "exec", targets: [{ host: "h2", command: "true" }] }]), requester);
        // One round trip for both: the add was on its way before the create's answer came.
        expect(wire).toEqual(["sent create", "sent add", "answered create", "answered add"]);
        runId = run.id;
        // Polled on a connection of the test's own, by state alone: any read of the whole run below is the product's.
        await eventuallyTrue("the run succeeded", async () => (await probe.hget(keys.run(run.id), "state")) === "succeeded", 20_000);
      });
      const isCreate = (c: (typeof seen)[number]) => c.client !== "lua" && /^eval/i.test(c.args[0] ?? "") && c.args.includes(keys.run(runId)) && c.args.includes(keys.runs);
      const createAt = seen.findIndex(isCreate);
      expect(createAt).toBeGreaterThan(-1);
      const engineClient = seen[createAt]!.client;
      // The engine's next command is the job's add (BullMQ's script on the step queue's keys), sent before the create's answer.
      const next = seen.slice(createAt + 1).findIndex((c) => c.client === engineClient) + createAt + 1;
      expect(seen[next]!.args.some((a) => a.startsWith(`${keys.bullPrefix}:steps:`))).toBe(true);
      expect(seen[next]!.args.some((a) => a.includes("writeId"))).toBe(true);
      // The run's events went out inside the create, before the add.
      const published = seen.findIndex((c, i) => i > createAt && c.client === "lua" && c.args[0]?.toLowerCase() === "publish" && c.args[2]?.includes("run.created") === true);
      expect(published).toBeGreaterThan(createAt);
      expect(published).toBeLessThan(next);
      // Nobody read the whole run: the worker took it from the job, and subscribers had it from the create's event.
      expect(seen.filter((c) => c.args[0]?.toLowerCase() === "hgetall" && c.args[1] === keys.run(runId))).toEqual([]);
      expect(seen.filter((c) => c.args[0]?.toLowerCase() === "hset" && c.args[1] === keys.run(runId))).toHaveLength(3);
      // The completed job, kept for its id, holds no copy of the record.
      expect(await jobData(own, runId)).toEqual({ runId, stepIndex: 0, attempt: 1 });
    } finally {
      connection.sendCommand = sendCommand;
      probe.disconnect();
      await own.close();
    }
  });

  it("takes back the job sent behind a create that the cluster's lock refused: no run, and no job with a record, is left of it", async () => {
    const keys = redisKeys(h.prefix);
    const holder = await h.engine.start(testPlan("c5", [{ id: "slow", kind: "exec", targets: [{ host: "h3", command: "sleep 1" }] }]), requester);
    let refusedId = "";
    const seen = await monitorClientsDuring(h.redisUrl, async () => {
      await expect(h.engine.start(testPlan("c5", [{ id: "never", kind: "exec", targets: [{ host: "h2", command: "echo never" }] }]), requester)).rejects.toMatchObject({ code: "LOCKED" });
    });
    const create = seen.find((c) => c.client !== "lua" && /^eval/i.test(c.args[0] ?? "") && c.args.includes(keys.runs) && !c.args.includes(keys.run(holder.id)));
    refusedId = create!.args.find((a) => a.startsWith(keys.runPrefix))!.slice(keys.runPrefix.length);
    expect(await h.engine.get(refusedId)).toBeUndefined();
    // Removed before any worker took it, or taken and skipped ("no such run") with the record taken off.
    await eventuallyTrue("the refused start's job is gone or holds no record", async () => {
      const data = await jobData(h, refusedId);
      return data === undefined || data.record === undefined;
    }, 5000);
    const done = await waitForRun(h.engine, holder.id, isSettled);
    expect(done.state).toBe("succeeded");
  });

  it("a job whose carried record is older than the run's (the run was aborted before a worker took it) does not run its step", async () => {
    const stale = createHarness("roundtrips-stale", { c6: "{}" });
    try {
      const run = await stale.engine.start(testPlan("c6", [{ id: "never", kind: "exec", targets: [{ host: "h2", command: "echo ran" }] }]), requester);
      const carried = JSON.parse((await stale.engine.store.redis.hget(`${redisKeys(stale.prefix).bullPrefix}:steps:${run.id}:0:1`, "data"))!) as { record?: { run: { version: number } } };
      expect(carried.record?.run.version).toBe(1);
      expect((await stale.engine.abort(run.id, requester, "after-step")).state).toBe("aborted");
      await stale.startWorker();
      await eventuallyTrue("the job was taken and skipped", async () => (await stale.engine.store.redis.hget(`${redisKeys(stale.prefix).bullPrefix}:steps:${run.id}:0:1`, "returnvalue")) === JSON.stringify("skipped"), 10_000);
      const after = (await stale.engine.get(run.id))!;
      expect(after.state).toBe("aborted");
      expect(after.steps[0]!.outputs).toEqual([]);
      expect((await stale.engine.audit(run.id)).some((e) => e.type === "step.started")).toBe(false);
    } finally {
      await stale.close();
    }
  });

  it("asks for the SSH slot before the step's start is answered, and stores the output before its result; no slot is left held", async () => {
    const keys = redisKeys(h.prefix);
    const runKey = (id: string) => keys.run(id);
    const lease = keys.semaphore("c1", "h2");
    let runId = "";
    const seen = await commandsDuring(h.redisUrl, async () => {
      // Longer than the record's head and tail, so that it is stored apart (a shorter one is not).
      const run = await h.engine.start(testPlan("c1", [{ id: "one", kind: "exec", targets: [{ host: "h2", command: "seq 1 2000" }] }]), requester);
      runId = run.id;
      expect((await waitForRun(h.engine, run.id, isSettled)).state).toBe("succeeded");
    });
    // The worker's own connection: the script calls (EVALSHA) in the order they were sent, with what they did.
    const touched = seen.filter((c) => c.name === "zadd" || c.name === "zrem" || c.name === "set" || (c.name === "hset" && c.key === runKey(runId)));
    const order = touched.map((c) => (c.name === "hset" ? "record" : c.name === "set" && c.key.includes(":out:") && c.key.includes(runId) ? "output" : c.key === lease ? `slot:${c.name}` : `${c.name}:${c.key}`));
    const records = order.flatMap((o, i) => (o === "record" ? [i] : []));
    // create, begin, finish: three record writes.
    expect(records).toHaveLength(3);
    const [, begin, finish] = records as [number, number, number];
    const slotTaken = order.indexOf("slot:zadd");
    const output = order.indexOf("output");
    // The slot's ask was sent before the begin's answer came: Redis ran it before the begin itself.
    expect(slotTaken).toBeGreaterThan(-1);
    expect(slotTaken).toBeLessThan(begin);
    // The output is stored before the result that names it.
    expect(output).toBeGreaterThan(begin);
    expect(output).toBeLessThan(finish);
    expect(order.indexOf("slot:zrem")).toBeGreaterThan(output);
    const stored = (await h.engine.get(runId))!.steps[0]!.outputs[0]!;
    expect(await h.engine.store.readOutput(stored.outputKey!)).toContain("\n1999\n2000\n");
    expect(await h.engine.store.redis.zcard(lease)).toBe(0);
  });

  it("begins a carried step in the write of the result before it, and asks for its slot before that write", async () => {
    const keys = redisKeys(h.prefix);
    const lease = (host: string) => keys.semaphore("c2", host);
    let runId = "";
    const hosts = ["h2", "h3", "h2"];
    const seen = await commandsDuring(h.redisUrl, async () => {
      const plan = testPlan("c2", hosts.map((host, i) => ({ id: `s${i}`, kind: "exec" as const, targets: [{ host, command: `echo ${i}` }] })));
      const run = await h.engine.start(plan, requester);
      runId = run.id;
      expect((await waitForRun(h.engine, run.id, isSettled)).state).toBe("succeeded");
    });
    const order = seen
      .filter((c) => c.name === "zadd" || (c.name === "hset" && c.key === keys.run(runId)))
      .map((c) => (c.name === "hset" ? "record" : c.key === lease("h2") ? "slot:h2" : c.key === lease("h3") ? "slot:h3" : `zadd:${c.key}`))
      .filter((o) => !o.startsWith("zadd:"));
    // Create, begin 0, result 0 with begin 1, result 1 with begin 2, result 2: five writes, not seven.
    expect(order).toEqual(["record", "slot:h2", "record", "slot:h3", "record", "slot:h2", "record", "record"]);
    const audit = await h.engine.audit(runId);
    const at = (type: string, stepIndex: number) => audit.find((e) => e.type === type && e.stepIndex === stepIndex)?.at;
    for (const i of [1, 2]) {
      expect(at("step.started", i)).toBeDefined();
      expect(at("step.started", i)).toBe(at("step.finished", i - 1));
    }
    expect((await h.engine.get(runId))!.steps.map((s) => s.state)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(await h.engine.store.redis.zcard(lease("h2"))).toBe(0);
  });

  it("gives up each step's execution lease in the write of its result, with no command of its own", async () => {
    const keys = redisKeys(h.prefix);
    let runId = "";
    const seen = await monitorClientsDuring(h.redisUrl, async () => {
      const plan = testPlan("c5", ["h2", "h3"].map((host, i) => ({ id: `s${i}`, kind: "exec" as const, targets: [{ host, command: `echo ${i}` }] })));
      const run = await h.engine.start(plan, requester);
      runId = run.id;
      expect((await waitForRun(h.engine, run.id, isSettled)).state).toBe("succeeded");
    });
    for (const stepIndex of [0, 1]) {
      const lease = keys.stepLease(runId, stepIndex, 1);
      const naming = seen.flatMap((c, i) => (c.args.includes(lease) ? [{ ...c, i }] : []));
      // Set by the worker (and perhaps renewed), then named by the write of the result only: nobody sent a release of it.
      const sent = naming.filter((c) => c.client !== "lua");
      expect(sent[0]?.args[0]?.toLowerCase()).toBe("set");
      expect(sent.filter((c) => c.args[0]?.toLowerCase() !== "set").every((c) => c.args.includes(keys.run(runId)))).toBe(true);
      const deleted = naming.find((c) => c.client === "lua" && c.args[0]?.toLowerCase() === "del");
      expect(deleted).toBeDefined();
      // The script that deleted it is the one that wrote the step's result (the run's HSET just before, in it).
      const script = seen.slice(0, deleted!.i).findLast((c) => c.client !== "lua")!;
      expect(script.args).toContain(keys.run(runId));
      expect(script.args).toContain(lease);
      const inScript = seen.slice(seen.indexOf(script) + 1, deleted!.i);
      expect(inScript.some((c) => c.args[0]?.toLowerCase() === "hset" && c.args[1] === keys.run(runId) && c.args.includes(`s:${stepIndex}`))).toBe(true);
      expect(await h.engine.store.redis.exists(lease)).toBe(0);
    }
  });

  it("asks for a target's slot while the target before it runs, one ahead per lane, and gives back what a failed step did not take", async () => {
    const keys = redisKeys(h.prefix);
    const lease = (host: string) => keys.semaphore("c1", host);
    const hosts = ["h2", "h3", "h4"];
    const seen = await commandsDuring(h.redisUrl, async () => {
      // One at a time (no parallel limit): the lane runs h2, h3, h4 in turn.
      const run = await h.engine.start(testPlan("c1", [{ id: "each", kind: "exec", targets: hosts.map((host) => ({ host, command: "true" })) }]), requester);
      expect((await waitForRun(h.engine, run.id, isSettled)).state).toBe("succeeded");
    });
    const slotOps = seen.filter((c) => (c.name === "zadd" || c.name === "zrem") && hosts.some((x) => c.key === lease(x))).map((c) => `${c.name} ${hosts.find((x) => c.key === lease(x))!}`);
    // h3's slot is asked for with h2's, before h2 ran; h4's when h3's turn came (after h2's release).
    expect(slotOps).toEqual(["zadd h2", "zadd h3", "zrem h2", "zadd h4", "zrem h3", "zrem h4"]);

    // A step that fails on its first target: the slot asked ahead for the second is given back.
    const failing = await h.engine.start(testPlan("c1", [{ id: "fails", kind: "exec", targets: [{ host: "h2", command: "exit 3" }, { host: "h3", command: "true" }] }]), requester);
    const failed = await waitForRun(h.engine, failing.id, (r) => r.steps[0]!.state === "failed" || isSettled(r));
    expect(failed.steps[0]!.outputs.map((o) => o.host)).toEqual(["h2"]);
    await eventuallyTrue("the slots of the failed step are given back", async () => (await h.engine.store.redis.zcard(lease("h2"))) + (await h.engine.store.redis.zcard(lease("h3"))) === 0, 5000);
  });

  it("stops asking for a slot the step will not take once the step is over, even while that host stays full", async () => {
    const keys = redisKeys(h.prefix);
    // c2: c1 is held by the paused run of the test before.
    const busy = keys.semaphore("c2", "h3");
    const redis = h.engine.store.redis;
    // h3 is full (4 holders of another worker, leases a minute long): an ask for it polls.
    const until = (await redis.time()).map(Number);
    const expiry = until[0]! * 1000 + Math.floor(until[1]! / 1000) + 60_000;
    await redis.zadd(busy, expiry, "other:1", expiry, "other:2", expiry, "other:3", expiry, "other:4");
    try {
      const run = await h.engine.start(testPlan("c2", [{ id: "fails-first", kind: "exec", targets: [{ host: "h2", command: "sleep 0.3; exit 3" }, { host: "h3", command: "true" }] }]), requester);
      await waitForRun(h.engine, run.id, (r) => r.steps[0]!.state === "failed" || isSettled(r));
      // The step is over: an ask left polling h3 would call the semaphore script every 25 to 75 ms.
      const after = await commandsDuring(h.redisUrl, () => new Promise((resolve) => setTimeout(resolve, 400)));
      expect(after.filter((c) => c.key === busy && c.name !== "zrem")).toEqual([]);
      expect(await redis.zcard(busy)).toBe(4);
    } finally {
      await redis.del(busy);
    }
  });

  it("gives back the slot asked for a step that is then not run (this worker refuses it after its start is written)", async () => {
    const refusing = createHarness("roundtrips-refuse", { c3: "{}" });
    try {
      await refusing.startWorker({ authority: { refusal: () => "not this worker's step (test)" } });
      const lease = redisKeys(refusing.prefix).semaphore("c3", "h3");
      const seen = await commandsDuring(refusing.redisUrl, async () => {
        const run = await refusing.engine.start(testPlan("c3", [{ id: "refused", kind: "exec", targets: [{ host: "h3", command: "echo never" }] }]), requester);
        const done = await waitForRun(refusing.engine, run.id, (r) => r.steps[0]!.state === "failed" || isSettled(r));
        expect(done.steps[0]!.error).toContain("not this worker's step (test)");
        await eventuallyTrue("the refused step's slot is given back", async () => (await refusing.engine.store.redis.zcard(lease)) === 0, 5000);
      });
      // The slot was asked for with the start (so it was taken), and given back although nothing ran.
      expect(seen.filter((c) => c.key === lease && (c.name === "zadd" || c.name === "zrem")).map((c) => c.name)).toEqual(["zadd", "zrem"]);
    } finally {
      await refusing.close();
    }
  });
});
