import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Redis from "ioredis";
import { renderError } from "../../../src/bot/blocks/render-error";
import { isEngineError, type Actor, type EngineLogger, type RunRecord } from "../../../src/jobs";
import { shellQuote } from "../../../src/util/shell-quote";
import { startRedisServer, type RedisServerHandle } from "../../../sim/process/redis-server";
import { createHarness, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";

const requester: Actor = { userId: "UREQ" };
const approver: Actor = { userId: "UAPP1" };

/** The worker's log lines, to wait for "it saw Redis refuse" instead of sleeping. */
function recordingLogger(lines: string[]): EngineLogger {
  const text = (o: object): string => JSON.stringify(o, (_k, v: unknown) => (v instanceof Error ? v.message : v));
  const logger: EngineLogger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (o, m) => lines.push(`${m ?? ""} ${text(o)}`),
    error: (o, m) => lines.push(`${m ?? ""} ${text(o)}`),
    child: () => logger,
  };
  return logger;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a refusal");
}

/**
 * Issue 15 point 5: a private Redis at `maxmemory` with `noeviction` (a junk
 * key owned by this test pushes it over). Starts and decisions are refused
 * with an error that says Redis is out of memory and what to do; runs in
 * flight hold where they are (the step's start, its output and its result
 * wait in the worker) and go on once memory is freed or raised; nothing is
 * lost, written twice or marked interrupted.
 */
describe("Redis out of memory (maxmemory, noeviction)", () => {
  let redis: RedisServerHandle;
  let admin: Redis;
  let h: Harness;
  let dir: string;
  const lines: string[] = [];
  const oomSeen = (): boolean => lines.some((l) => l.includes("OOM command not allowed") || l.includes("Redis is out of memory"));

  beforeAll(async () => {
    redis = await startRedisServer({ appendonly: false, maxmemoryPolicy: "noeviction" });
    admin = new Redis(redis.url);
    h = createHarness("oom", { c1: "{}", c2: "{}" }, redis.url);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-oom-"));
  });
  afterAll(async () => {
    await admin.config("SET", "maxmemory", "0").catch(() => undefined);
    admin.disconnect();
    await h.close();
    await redis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(redis.dir, { recursive: true, force: true });
  });

  /** Over the limit: a junk key, then maxmemory below what is used. */
  async function fillRedis(): Promise<void> {
    await admin.config("SET", "maxmemory", "0");
    await admin.del("test-junk");
    const used = Number(/used_memory:(\d+)/.exec(await admin.info("memory"))?.[1]);
    await admin.set("test-junk", Buffer.alloc(2 * 1024 * 1024, 1));
    await admin.config("SET", "maxmemory", String(used + 256 * 1024));
    lines.length = 0;
  }

  const expectOutOfMemory = (error: Error): void => {
    expect(isEngineError(error, "REDIS_OUT_OF_MEMORY")).toBe(true);
    expect(error.message).toMatch(/Redis is out of memory/);
    expect(error.message).toMatch(/nothing changed/);
    expect(error.message).toMatch(/CONFIG SET maxmemory/);
  };

  it("refuses starts and decisions clearly, holds the run in flight, and goes on when memory is back", async () => {
    const file = path.join(dir, "steps.log");
    const marker = path.join(dir, "go");
    const append = (n: number, host: string, before = "sleep 0.05") => ({
      id: `append-${n}`,
      kind: "exec" as const,
      targets: [{ host, command: `${before}; echo ${shellQuote(`line-${n}`)} >> ${shellQuote(file)}` }],
    });
    const plan = testPlan("c1", [
      append(0, "h2"),
      // Runs until the test creates the marker: the command finishes while Redis refuses writes.
      // Its output is longer than the record's head and tail: it is written apart, and that write waits too.
      append(1, "h3", `while [ ! -f ${shellQuote(marker)} ]; do sleep 0.05; done; seq 1 2000`),
      { ...append(2, "h4"), destructive: true },
      append(3, "h2"),
    ]);
    const worker = await h.startWorker({ logger: recordingLogger(lines), autorun: false });
    const run = await h.engine.start(plan, requester);

    // 1. The step's start cannot be written: the worker waits, the step stays queued.
    await fillRedis();
    worker.run();
    await until("the worker to meet the OOM refusal", oomSeen);
    expect((await h.engine.get(run.id))?.steps[0]?.state).toBe("queued");
    // A start is refused before anything is written: no run, no lock.
    const started = await refusal(h.engine.start(testPlan("c2", [append(9, "h2")]), requester));
    expectOutOfMemory(started);
    // What the person who typed the command reads (the bot renders engine refusals as they are).
    expect(renderError(started).text).toMatch(/^:no_entry: Redis is out of memory .*your start was not recorded and nothing changed\..* An operator should free memory in Redis or raise its limit/);
    expect(await h.engine.store.lockHolder("c2")).toBeUndefined();
    expect((await h.engine.list({ cluster: "c2" })).length).toBe(0);
    await admin.config("SET", "maxmemory", "0");

    // 2. A command that runs to its end while Redis is full: its output and result wait in the worker.
    await waitForRun(h.engine, run.id, (r) => r.steps[1]?.state === "running");
    await fillRedis();
    fs.writeFileSync(marker, "");
    await until("the line of step 1", () => fs.existsSync(file) && fs.readFileSync(file, "utf8").includes("line-1"));
    await until("the worker to meet the OOM refusal", oomSeen);
    const held = (await h.engine.get(run.id))!;
    expect(held.steps[1]?.state).toBe("running");
    expect(lines.some((l) => l.includes("Redis is out of memory") && l.includes("CONFIG SET maxmemory"))).toBe(true);
    await admin.del("test-junk");

    // 3. At the gate with Redis full: the approval is refused and the gate stays open, untouched.
    const gated = await waitForRun(h.engine, run.id, (r) => r.state === "awaiting_approval");
    expect(gated.steps[1]).toMatchObject({ state: "succeeded", outputs: [{ host: "h3", exitCode: 0, ok: true }] });
    expect(await admin.get(gated.steps[1]!.outputs[0]!.outputKey!)).toMatch(/^1\n2\n[\s\S]*\n2000\n$/);
    await fillRedis();
    const gate = { runId: run.id, stepIndex: 2, attempt: gated.steps[2]!.attempt, planHash: plan.planHash };
    expectOutOfMemory(await refusal(h.engine.approve(gate, approver)));
    const still: RunRecord = (await h.engine.get(run.id))!;
    expect({ state: still.state, version: still.version, gate: still.gate?.status, approvals: still.steps[2]?.approvals ?? [] }).toEqual({ state: "awaiting_approval", version: gated.version, gate: "open", approvals: [] });

    // 4. Limit raised: the same approval goes through and the run ends, every line once.
    await admin.config("SET", "maxmemory", "0");
    await h.engine.approve(gate, approver);
    const done = await waitForRun(h.engine, run.id, (r) => r.state !== "running" && r.state !== "awaiting_approval");
    expect(done.state).toBe("succeeded");
    expect(fs.readFileSync(file, "utf8").trim().split("\n")).toEqual(["line-0", "line-1", "line-2", "line-3"]);
    const audit = await h.engine.audit(run.id);
    expect(audit.filter((e) => e.type === "interrupted" || e.type === "paused")).toEqual([]);
    expect(audit.filter((e) => e.type === "step.started").map((e) => e.stepIndex)).toEqual([0, 1, 2, 3]);
    expect(await h.engine.store.lockHolder("c1")).toBeUndefined();
    // And a start is accepted again.
    const next = await h.engine.start(testPlan("c2", [append(9, "h2")]), requester);
    expect((await waitForRun(h.engine, next.id, (r) => r.state === "succeeded")).state).toBe("succeeded");
  });
});
