import { EngineError } from "../../../src/jobs/engine-error";
import { approveGate, expireGate } from "../../../src/jobs/run-machine/gate-decisions";
import { apply, failed, ok, policy, started, step, T0 } from "./run-fixtures";
import { abortRun, retryStep } from "../../../src/jobs/run-machine/operator-decisions";
import { beginStep, finishStep } from "../../../src/jobs/run-machine/step-lifecycle";
import { carriedStep, carryNextStep, releaseCarriedStep } from "../../../src/jobs/run-machine/carry-next-step";
import type { RunRecord } from "../../../src/jobs/run-types";

describe("the run state machine", () => {
  it("queues a harmless first step and gates a destructive one", () => {
    expect(started([step(0, {})]).steps[0]!.state).toBe("queued");
    const gated = started([step(0, { destructive: true })]);
    expect(gated.state).toBe("awaiting_approval");
    expect(gated.gate).toMatchObject({ stepIndex: 0, attempt: 1, status: "open", expiresAt: "2026-01-01T00:01:00.000Z" });
  });

  it("runIf: a destructive step whose captures are all empty is skipped with its reason, audited, and no gate opens; with a value it is gated", () => {
    const steps = [
      step(0, { captures: [{ name: "left_a", pattern: "^left (\\d+)$", valuePattern: "\\d+" }] }),
      step(1, { destructive: true, runIf: { anyCapture: ["left_a"], reason: "every agent ended its cycle by itself" } }),
      step(2, {}),
    ];
    const run = started(steps);
    const running = apply(run, (d) => beginStep(d, 0, 1)).run;
    const none = apply(running, (d) => finishStep(d, 0, 1, { ...ok, captured: { left_a: [] } }));
    expect(none.run.steps[1]).toMatchObject({ state: "skipped", skipReason: "not needed: every agent ended its cycle by itself" });
    expect(none.run.gate).toBeUndefined();
    expect(none.run.cursor).toBe(2);
    expect(none.run.steps[2]!.state).toBe("queued");
    expect(none.audit.some((e) => e.type === "skipped" && e.stepIndex === 1 && e.actor === "engine")).toBe(true);

    const some = apply(running, (d) => finishStep(d, 0, 1, { ...ok, captured: { left_a: ["4242"] } })).run;
    expect(some.state).toBe("awaiting_approval");
    expect(some.steps[1]!.state).toBe("awaiting_approval");
  });

  it("counts distinct approvers towards the quorum", () => {
    const gated = started([step(0, { destructive: true })], { ...policy, minApprovals: 2 });
    const ref = { runId: "r1", stepIndex: 0, attempt: 1, planHash: gated.plan.planHash };
    const once = apply(gated, (d) => approveGate(d, ref, { userId: "UA" }), T0, { ...policy, minApprovals: 2 }).run;
    expect(once.state).toBe("awaiting_approval");
    expect(() => apply(once, (d) => approveGate(d, ref, { userId: "UA" }), T0, { ...policy, minApprovals: 2 })).toThrow(EngineError);
    const twice = apply(once, (d) => approveGate(d, ref, { userId: "UX", userGroups: ["SOPS"] }), T0, { ...policy, minApprovals: 2 }).run;
    expect(twice.steps[0]!.state).toBe("queued");
  });

  it("an approval after the expiry time expires the gate and refuses EXPIRED", () => {
    const gated = started([step(0, { destructive: true })]);
    const late = new Date(T0.getTime() + 60_001);
    const draft = apply(gated, (d) => approveGate(d, { runId: "r1", stepIndex: 0, attempt: 1, planHash: gated.plan.planHash }, { userId: "UA" }), late);
    expect(draft.refusal?.code).toBe("EXPIRED");
    expect(draft.run.state).toBe("paused");
    expect(apply(gated, (d) => expireGate(d, 0, 1), late, { ...policy, onExpiry: "abort" }).run.state).toBe("aborted");
  });

  it("a step found running again is interrupted unless idempotent", () => {
    const run = started([step(0, {}), step(1, { kind: "check", idempotent: true })]);
    const running = apply(run, (d) => beginStep(d, 0, 1)).run;
    expect(running.steps[0]!.state).toBe("running");
    let verdict = "";
    const again = apply(running, (d) => (verdict = beginStep(d, 0, 1))).run;
    expect(verdict).toBe("skip");
    expect(again.state).toBe("paused");
    expect(again.steps[0]!.state).toBe("interrupted");

    const second = apply(apply(running, (d) => finishStep(d, 0, 1, ok)).run, (d) => beginStep(d, 1, 1)).run;
    const rerun = apply(second, (d) => (verdict = beginStep(d, 1, 1)));
    expect(verdict).toBe("run");
    expect(rerun.audit[0]).toMatchObject({ type: "step.started", data: { rerunAfterCrash: true } });
  });

  it("retries an idempotent step automatically, then pauses; an operator retry starts a new attempt", () => {
    let run = started([step(0, { kind: "check", idempotent: true, retries: { max: 1, backoffMs: 500 } })]);
    run = apply(run, (d) => beginStep(d, 0, 1)).run;
    const first = apply(run, (d) => finishStep(d, 0, 1, failed));
    expect(first.run.steps[0]).toMatchObject({ state: "queued", attempt: 2, retriesUsed: 1, notBefore: "2026-01-01T00:00:00.500Z" });
    expect(first.effects).toEqual([{ type: "enqueue-step", stepIndex: 0, attempt: 2, delayMs: 500 }]);
    run = apply(first.run, (d) => beginStep(d, 0, 2)).run;
    run = apply(run, (d) => finishStep(d, 0, 2, failed)).run;
    expect(run.state).toBe("paused");
    const retried = apply(run, (d) => retryStep(d, 0, { userId: "UREQ" }), T0, policy, "UREQ").run;
    expect(retried.steps[0]).toMatchObject({ state: "queued", attempt: 3, retriesUsed: 0 });
    // A finish from a stale attempt changes nothing.
    expect(apply(retried, (d) => finishStep(d, 0, 2, ok)).changed).toBe(false);
  });

  it("pauses before a step whose command refers to a capture nobody made", () => {
    const run = started([step(0, { targets: [{ host: "h1", command: "kill {{pids}}" }] })]);
    expect(run.state).toBe("paused");
    expect(run.steps[0]!.error).toMatch(/pids/);
  });

  it("abort while a step runs only records the request (and kills it when `now`)", () => {
    const running = apply(started([step(0, {}), step(1, {})]), (d) => beginStep(d, 0, 1)).run;
    const now = apply(running, (d) => abortRun(d, { userId: "UREQ" }, "now"));
    expect(now.run.state).toBe("running");
    expect(now.effects).toEqual([{ type: "kill-step", stepIndex: 0 }]);
    const after = apply(now.run, (d) => finishStep(d, 0, 1, { ...failed, aborted: true })).run;
    expect(after).toMatchObject({ state: "aborted", reason: "aborted by UREQ" });
    expect(() => apply(running, (d) => abortRun(d, { userId: "USTRANGER" }, "now"))).toThrow(/requester/);
  });

  describe("one job per segment between gates (carry-next-step)", () => {
    const J = "r1:0:1";
    const finishAndCarry = (run: RunRecord, index: number) => {
      let carried;
      const d = apply(run, (x) => {
        finishStep(x, index, 1, ok);
        carried = carryNextStep(x, index, J);
      });
      return { d, carried };
    };

    it("carries the next step when it is queued to run at once: no enqueue, the carrier recorded in the same write", () => {
      let run = apply(started([step(0, {}), step(1, {}), step(2, { destructive: true })]), (d) => beginStep(d, 0, 1)).run;
      const { d, carried } = finishAndCarry(run, 0);
      expect(carried).toEqual({ stepIndex: 1, attempt: 1 });
      expect(d.effects).toEqual([]);
      expect(d.run.steps[1]).toMatchObject({ state: "queued", carrier: { jobId: J, attempt: 1 } });
      run = d.run;
      expect(carriedStep(run, J)).toEqual({ stepIndex: 1, attempt: 1 });
      expect(carriedStep(run, "r1:1:1")).toBeUndefined();
      // Step 2 is gated: nothing is carried past the gate.
      run = apply(run, (x) => beginStep(x, 1, 1)).run;
      const next = finishAndCarry(run, 1);
      expect(next.carried).toBeUndefined();
      expect(next.d.run.state).toBe("awaiting_approval");
    });

    it("does not carry a wait, a backoff or a failure's pause", () => {
      const wait = apply(started([step(0, {}), step(1, { kind: "wait", targets: [], wait: { delayMs: 500 } })]), (d) => beginStep(d, 0, 1)).run;
      expect(finishAndCarry(wait, 0).carried).toBeUndefined();
      const retrying = apply(started([step(0, { idempotent: true, retries: { max: 2, backoffMs: 100 } })]), (d) => beginStep(d, 0, 1)).run;
      const d = apply(retrying, (x) => {
        finishStep(x, 0, 1, failed);
        expect(carryNextStep(x, 0, J)).toBeUndefined();
      });
      expect(d.effects).toEqual([{ type: "enqueue-step", stepIndex: 0, attempt: 2, delayMs: 100 }]);
    });

    it("releases a claim: the step loses its carrier (and, not begun, gets its own job); a later claim check finds nothing", () => {
      const run = apply(started([step(0, {}), step(1, {})]), (d) => beginStep(d, 0, 1)).run;
      const carriedRun = finishAndCarry(run, 0).d.run;
      const handedBack = apply(carriedRun, (x) => expect(releaseCarriedStep(x, J, true)).toBe(true));
      expect(handedBack.run.steps[1]!.carrier).toBeUndefined();
      expect(handedBack.effects).toEqual([{ type: "enqueue-step", stepIndex: 1, attempt: 1, delayMs: 0 }]);
      expect(carriedStep(handedBack.run, J)).toBeUndefined();
      // A carried step already running is only released (the reconciler then gives it its own job, which finds it running).
      const runningCarried = apply(carriedRun, (x) => beginStep(x, 1, 1)).run;
      const released = apply(runningCarried, (x) => expect(releaseCarriedStep(x, J, false)).toBe(true));
      expect(released.run.steps[1]).toMatchObject({ state: "running" });
      expect(released.run.steps[1]!.carrier).toBeUndefined();
      expect(released.effects).toEqual([]);
      expect(apply(runningCarried, (x) => expect(releaseCarriedStep(x, J, true)).toBe(false)).changed).toBe(false);
    });
  });
});

