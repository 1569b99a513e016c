import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Actor, RunEvent } from "../../../src/jobs";
import { shellQuote } from "../../../src/util/shell-quote";
import { createHarness, isSettled, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";

const requester: Actor = { userId: "UREQ" };
const q = (p: string): string => shellQuote(p);

describe("step kinds and execution", () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    h = createHarness("steps", { c1: "{}" });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-steps-"));
    await h.startWorker({ hostConcurrency: 1 });
  });
  afterAll(async () => {
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("copies a file host to host (verified), waits as a delayed job, and checks expectations", async () => {
    const src = path.join(dir, "app.config");
    const dst = path.join(dir, "copied", "app.config");
    fs.writeFileSync(src, "listen = 10010\n");
    const plan = testPlan("c1", [
      { id: "copy-config", kind: "copy", copy: { fromHost: "h2", fromPath: src, toHost: "h3", toPath: dst } },
      { id: "settle", kind: "wait", wait: { delayMs: 300 } },
      { id: "config-ok", kind: "check", targets: [{ host: "h3", command: `cat ${q(dst)}` }], expect: { type: "stdout-includes", text: "listen = 10010" } },
      { id: "config-has-no-debug", kind: "check", targets: [{ host: "h3", command: `cat ${q(dst)}` }], expect: { type: "stdout-includes", text: "debug" } },
    ]);
    const run = await h.engine.start(plan, requester);
    const paused = await waitForRun(h.engine, run.id, isSettled);
    expect(fs.readFileSync(dst, "utf8")).toBe("listen = 10010\n");
    expect(paused.steps.map((s) => s.state)).toEqual(["succeeded", "succeeded", "succeeded", "failed"]);
    expect(paused.state).toBe("paused");
    expect(paused.steps[3]!.error).toMatch(/h3: .*debug/);
    // The wait step was a delayed job: it was queued with a notBefore and ran no earlier.
    const settle = paused.steps[1]!;
    expect(Date.parse(settle.startedAt!)).toBeGreaterThanOrEqual(Date.parse(settle.notBefore!));
    await h.engine.abort(run.id, requester, "now");
  });

  it("polls a wait step's check until it holds", async () => {
    const flag = path.join(dir, "ready.flag");
    const plan = testPlan("c1", [
      { id: "until-ready", kind: "wait", targets: [{ host: "h4", command: `cat ${q(flag)} 2>/dev/null || true` }], wait: { delayMs: 10_000, poll: { intervalMs: 100, expect: { type: "stdout-includes", text: "up" } } } },
    ]);
    const run = await h.engine.start(plan, requester);
    await waitForRun(h.engine, run.id, (r) => r.steps[0]!.state === "running");
    await new Promise((r) => setTimeout(r, 300));
    fs.writeFileSync(flag, "up\n");
    const done = await waitForRun(h.engine, run.id, (r) => r.state === "succeeded");
    expect(done.steps[0]!.outputs[0]!.tail).toBe("up\n");
  });

  it("runs parallel targets together up to the step's limit", async () => {
    const barrier = path.join(dir, "barrier");
    fs.mkdirSync(barrier);
    // Each target waits until all three are present: it only succeeds if they really run at the same time.
    const meet = (host: string) => ({
      host,
      command: `touch ${q(path.join(barrier, host))}; for i in $(seq 100); do [ $(ls ${q(barrier)} | wc -l) -ge 3 ] && exit 0; sleep 0.05; done; exit 1`,
    });
    const plan = testPlan("c1", [{ id: "together", kind: "exec", parallel: { limit: 3 }, targets: [meet("h2"), meet("h3"), meet("h4")] }]);
    const run = await h.engine.start(plan, requester);
    const done = await waitForRun(h.engine, run.id, isSettled);
    expect(done.state).toBe("succeeded");
    expect(done.steps[0]!.outputs.map((o) => o.host).sort()).toEqual(["h2", "h3", "h4"]);
  });

  it("keeps per-host SSH concurrency in Redis: with a limit of 1, parallel targets on one host never overlap", async () => {
    const busy = path.join(dir, "busy");
    const counts = path.join(dir, "counts");
    fs.mkdirSync(busy);
    const target = (n: number) => ({ host: "h2", command: `ls ${q(busy)} | wc -l >> ${q(counts)}; touch ${q(path.join(busy, String(n)))}; sleep 0.1; rm ${q(path.join(busy, String(n)))}` });
    const plan = testPlan("c1", [{ id: "one-at-a-time", kind: "exec", parallel: { limit: 4 }, targets: [0, 1, 2, 3].map(target) }]);
    const run = await h.engine.start(plan, requester);
    const done = await waitForRun(h.engine, run.id, isSettled);
    expect(done.state).toBe("succeeded");
    expect(fs.readFileSync(counts, "utf8").trim().split("\n").map(Number)).toEqual([0, 0, 0, 0]);
    expect(await h.engine.store.redis.zcard(`${h.prefix}:sem:c1:h2`)).toBe(0);
  });

  it("substitutes captures before the gate; confirm steps wait for the requester or an approver; events reach subscribers", async () => {
    const events: RunEvent[] = [];
    const unsubscribe = await h.engine.subscribe((e) => events.push(e));
    const out = path.join(dir, "killed.log");
    try {
      const plan = testPlan("c1", [
        { id: "find-epmd", kind: "check", targets: [{ host: "h2", command: "printf '4242 epmd\\n4343 epmd\\n'" }], captures: [{ name: "pids", pattern: "^(\\d+) epmd$", valuePattern: "\\d+" }] },
        { id: "kill-epmd", kind: "exec", destructive: true, targets: [{ host: "h2", command: `echo kill {{pids}} >> ${q(out)}` }] },
        { id: "logs-clean", kind: "confirm", prompt: "no errors in the logs?" },
      ]);
      const run = await h.engine.start(plan, requester);
      const gated = await waitForRun(h.engine, run.id, (r) => r.state === "awaiting_approval");
      expect(gated.steps[0]!.captured).toEqual({ pids: ["4242", "4343"] });
      expect(gated.steps[1]!.resolvedCommands).toEqual([{ host: "h2", command: `echo kill 4242 4343 >> ${q(out)}` }]);
      await h.engine.approve({ runId: run.id, stepIndex: 1, attempt: 1, planHash: plan.planHash }, { userId: "UAPP1" });
      await waitForRun(h.engine, run.id, (r) => r.state === "awaiting_confirmation");
      expect(fs.readFileSync(out, "utf8")).toBe("kill 4242 4343\n");
      await expect(h.engine.confirm(run.id, 2, { userId: "USTRANGER" })).rejects.toMatchObject({ code: "NOT_REQUESTER" });
      await expect(h.engine.confirm(run.id, 1, requester)).rejects.toMatchObject({ code: "INVALID_STATE" });
      const done = await h.engine.confirm(run.id, 2, { userId: "UAPP3" });
      expect(done.state).toBe("succeeded");
      const deadline = Date.now() + 5000;
      while (!events.some((e) => e.type === "run.finished" && e.run.id === run.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const mine = events.filter((e) => ("run" in e ? e.run.id : e.runId) === run.id);
      expect(mine.filter((e) => e.type === "step.finished").map((e) => (e as { stepIndex: number }).stepIndex)).toEqual([0, 1, 2]);
      expect(mine.some((e) => e.type === "step.output" && e.host === "h2" && e.chunk.includes("4242 epmd"))).toBe(true);
      expect(mine.find((e) => e.type === "approval.requested")).toMatchObject({ stepIndex: 1 });
      expect(mine.at(-1)).toMatchObject({ type: "run.finished", run: { state: "succeeded" } });
    } finally {
      await unsubscribe();
    }
  });

  it("keeps the output's tail in the record and the full text under a key with a TTL", async () => {
    const plan = testPlan("c1", [{ id: "chatty", kind: "exec", targets: [{ host: "h3", command: "seq 1 3000; echo oops >&2" }] }]);
    const run = await h.engine.start(plan, requester);
    const done = await waitForRun(h.engine, run.id, isSettled);
    const output = done.steps[0]!.outputs[0]!;
    expect(output.head?.startsWith("1\n2\n3\n")).toBe(true);
    expect(output.tail.endsWith("2999\n3000\n[stderr]\noops\n")).toBe(true);
    const full = await h.engine.store.readOutput(output.outputKey!);
    expect(full!.split("\n")).toHaveLength(3000 + 3);
    expect(await h.engine.store.redis.pttl(output.outputKey!)).toBeGreaterThan(0);
    expect(await h.engine.store.fullOutput(output)).toBe(full);
  });

  it("keeps an output that fits in the record's tail there only: no second copy under a key", async () => {
    const plan = testPlan("c1", [{ id: "short", kind: "exec", targets: [{ host: "h3", command: "echo short; echo warn >&2" }] }]);
    const run = await h.engine.start(plan, requester);
    const done = await waitForRun(h.engine, run.id, isSettled);
    const output = done.steps[0]!.outputs[0]!;
    expect(output.tail).toBe("short\n[stderr]\nwarn\n");
    expect(output.outputKey).toBeUndefined();
    expect(output.head).toBeUndefined();
    expect(await h.engine.store.redis.keys(`${h.prefix}:out:${run.id}:*`)).toEqual([]);
    expect(await h.engine.store.fullOutput(output)).toBe("short\n[stderr]\nwarn\n");
  });
});
