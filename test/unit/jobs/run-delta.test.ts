import { approveGate } from "../../../src/jobs/run-machine/gate-decisions";
import { abortRun } from "../../../src/jobs/run-machine/operator-decisions";
import { beginStep, finishStep } from "../../../src/jobs/run-machine/step-lifecycle";
import { applyRunDelta, runDelta } from "../../../src/jobs/events/run-delta";
import type { RunRecord } from "../../../src/jobs/run-types";
import { RunViews, type EventMessage } from "../../../src/jobs/events/run-views";
import type { RunEvent } from "../../../src/jobs/run-types";
import { apply, ok, started, step } from "./run-fixtures";
import type { RunDraft } from "../../../src/jobs/run-machine/run-draft";

/** One committed transition as the transitioner makes it: the draft's run, one version on. */
function commit(run: RunRecord, fn: (d: RunDraft) => void): RunRecord {
  return { ...apply(run, fn).run, version: run.version + 1 };
}

/** As it travels: through JSON, so nothing is shared with the publisher's objects. */
const wire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const output = { host: "h1", exitCode: 0, signal: null, durationMs: 5, tail: "x".repeat(1500), truncated: false };

describe("a transition's delta", () => {
  const steps = Array.from({ length: 10 }, (_, i) => step(i, { title: `a long enough step title to weigh something ${i}`, targets: [{ host: "h1", command: `echo ${"y".repeat(200)} ${i}` }] }));
  const v1 = { ...started(steps), version: 1 };

  it("holds only what changed, and rebuilds the next record exactly from the one before", () => {
    const v2 = commit(v1, (d) => beginStep(d, 0, 1));
    const v3 = commit(v2, (d) => finishStep(d, 0, 1, { ok: true, outputs: [output], durationMs: 5 }));
    for (const [before, after] of [[v1, v2], [v2, v3]] as const) {
      const delta = wire(runDelta(before, after));
      expect(delta.set).not.toHaveProperty("plan");
      expect(delta.steps.length).toBeLessThanOrEqual(2);
      expect(applyRunDelta(wire(before), delta)).toEqual(wire(after));
      // Far smaller than the run it describes.
      expect(JSON.stringify(delta).length).toBeLessThan(JSON.stringify(after).length / 2);
    }
  });

  it("removes the fields a transition removed, and carries a gate and its approvals", () => {
    const gated = { ...started([step(0, { destructive: true })]), version: 1 };
    expect(gated.gate?.status).toBe("open");
    const approved = commit(gated, (d) => approveGate(d, { runId: gated.id, stepIndex: 0, attempt: 1, planHash: gated.plan.planHash }, { userId: "UA" }));
    expect(applyRunDelta(wire(gated), wire(runDelta(gated, approved)))).toEqual(wire(approved));
    const withReason = { ...gated, reason: "old" } as RunRecord;
    const cleared = { ...withReason, version: 2, reason: undefined } as unknown as RunRecord;
    const delta = runDelta(withReason, cleared);
    expect(delta.unset).toEqual(["reason"]);
    expect(applyRunDelta(withReason, delta)).not.toHaveProperty("reason");
  });

  it("does not apply to a view of another version (a message was missed)", () => {
    const v2 = commit(v1, (d) => beginStep(d, 0, 1));
    const v3 = commit(v2, (d) => finishStep(d, 0, 1, ok));
    expect(applyRunDelta(v1, runDelta(v2, v3))).toBeUndefined();
  });
});

describe("a subscriber's run views", () => {
  const steps = [step(0, {}), step(1, {}), step(2, {})];
  const v1 = { ...started(steps), version: 1 };
  const v2 = commit(v1, (d) => beginStep(d, 0, 1));
  const v3 = commit(v2, (d) => finishStep(d, 0, 1, ok));
  const v4 = commit(v3, (d) => abortRun(d, { userId: "UA" }, "now"));
  const asDelta = (before: RunRecord, after: RunRecord): EventMessage => ({ kind: "delta", delta: wire(runDelta(before, after)), events: [{ type: "run.updated" }] });

  function subscriber(stored: () => RunRecord | undefined): { views: RunViews; seen: RunEvent[]; reads: () => number } {
    let reads = 0;
    const views = new RunViews({
      fetchRun: async () => {
        reads++;
        await new Promise((r) => setTimeout(r, 20));
        return wire(stored());
      },
    });
    return { views, seen: [], reads: () => reads };
  }

  it("applies each delta to the view it knows and hands listeners whole runs", () => {
    const s = subscriber(() => undefined);
    s.views.receive({ kind: "run", run: wire(v1), events: [{ type: "run.created" }] }, (e) => s.seen.push(e));
    s.views.receive(asDelta(v1, v2), (e) => s.seen.push(e));
    s.views.receive(asDelta(v2, v3), (e) => s.seen.push(e));
    expect(s.seen.map((e) => ("run" in e ? e.run.version : -1))).toEqual([1, 2, 3]);
    expect(s.seen.at(-1)).toEqual({ type: "run.updated", run: wire(v3) });
    expect(s.reads()).toBe(0);
  });

  it("reads the run once when it starts mid-run, and keeps that run's later events in order behind the read", async () => {
    const s = subscriber(() => v3);
    const deliver = (e: RunEvent): void => void s.seen.push(e);
    s.views.receive(asDelta(v2, v3), deliver);
    s.views.receive({ kind: "plain", events: [{ type: "step.output", runId: v1.id, stepIndex: 1, host: "h1", chunk: "later" }] }, deliver);
    s.views.receive(asDelta(v3, v4), deliver);
    expect(s.seen).toEqual([]);
    await s.views.idle();
    expect(s.seen.map((e) => e.type)).toEqual(["run.updated", "step.output", "run.updated"]);
    expect(s.seen.map((e) => ("run" in e ? e.run.version : "output"))).toEqual([3, "output", 4]);
    expect((s.seen[2] as { run: RunRecord }).run).toEqual(wire(v4));
    expect(s.reads()).toBe(1);
  });

  it("after a missed message reads the run again instead of applying a delta to the wrong version", async () => {
    const s = subscriber(() => v4);
    s.views.receive({ kind: "run", run: wire(v1), events: [] }, (e) => s.seen.push(e));
    s.views.receive(asDelta(v3, v4), (e) => s.seen.push(e));
    await s.views.idle();
    expect(s.reads()).toBe(1);
    expect((s.seen[0] as { run: RunRecord }).run).toEqual(wire(v4));
    // v4 ended the run, so its view was not kept: a late message reads it, and gets the newer truth.
    s.views.receive(asDelta(v2, v3), (e) => s.seen.push(e));
    await s.views.idle();
    expect(s.reads()).toBe(2);
    expect((s.seen[1] as { run: RunRecord }).run.version).toBe(4);
  });

  it("a late delta for a version its view is already past changes nothing and reads nothing", () => {
    const s = subscriber(() => undefined);
    s.views.receive({ kind: "run", run: wire(v3), events: [] }, (e) => s.seen.push(e));
    s.views.receive(asDelta(v1, v2), (e) => s.seen.push(e));
    expect(s.reads()).toBe(0);
    expect((s.seen[0] as { run: RunRecord }).run.version).toBe(3);
  });

  it("applies a change without events to the view, and does not read a run for one it cannot apply", async () => {
    const s = subscriber(() => v3);
    s.views.receive({ kind: "run", run: wire(v1), events: [] }, (e) => s.seen.push(e));
    s.views.receive({ kind: "delta", delta: wire(runDelta(v1, v2)), events: [] }, (e) => s.seen.push(e));
    s.views.receive(asDelta(v2, v3), (e) => s.seen.push(e));
    expect(s.reads()).toBe(0);
    expect((s.seen[0] as { run: RunRecord }).run).toEqual(wire(v3));
    s.views.receive({ kind: "delta", delta: wire(runDelta(v1, v2)), events: [] }, (e) => s.seen.push(e));
    s.views.receive({ kind: "delta", delta: wire(runDelta(v3, v4)), events: [] }, (e) => s.seen.push(e));
    await s.views.idle();
    expect(s.reads()).toBe(0);
  });

  it("after a reset (its connection dropped) reads a run again before applying its next delta", async () => {
    const s = subscriber(() => v3);
    s.views.receive({ kind: "run", run: wire(v1), events: [] }, (e) => s.seen.push(e));
    s.views.receive(asDelta(v1, v2), (e) => s.seen.push(e));
    s.views.reset();
    s.views.receive(asDelta(v2, v3), (e) => s.seen.push(e));
    await s.views.idle();
    expect(s.reads()).toBe(1);
    expect((s.seen.at(-1) as { run: RunRecord }).run).toEqual(wire(v3));
  });
});
