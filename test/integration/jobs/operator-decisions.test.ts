import type { Actor } from "../../../src/jobs";
import { decodeStep } from "../../../src/bot/blocks/action-ids";
import { renderRunMessage } from "../../../src/bot/blocks/render-run-message";
import { createHarness, isSettled, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";
import { codeOf } from "./helpers/code-of";

const requester: Actor = { userId: "UREQ" };
const approver: Actor = { userId: "UAPP1" };


/** The value of the run message's button with this action id (what a click sends back). */
function buttonValue(run: Parameters<typeof renderRunMessage>[0], actionId: string): ReturnType<typeof decodeStep> {
  const blocks = renderRunMessage(run).blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[];
  const button = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === actionId);
  if (button?.value === undefined) throw new Error(`no ${actionId} button on the run message`);
  return decodeStep(button.value);
}

/**
 * Issue 12 point 7, through the real engine, BullMQ, Redis and sshd:
 * per-run approvals and the operator decisions after a failure.
 */
describe("per-run mode and operator decisions", () => {
  let h: Harness;
  beforeAll(async () => {
    h = createHarness("operator", { perrun: "{ mode: per-run }", perstep: "{}", shortrun: "{ mode: per-run, expiresAfter: 1s }" });
    await h.startWorker({});
  });
  afterAll(async () => {
    await h.close();
  });

  it("a Retry of a failed destructive step in per-run mode asks again, at the new attempt; the requester cannot approve it", async () => {
    const plan = testPlan("perrun", [{ id: "risky", kind: "exec", destructive: true, targets: [{ host: "h2", command: "exit 3" }] }]);
    const run = await h.engine.start(plan, requester);
    await waitForRun(h.engine, run.id, (r) => r.state === "awaiting_approval");
    await h.engine.approve({ runId: run.id, stepIndex: null, attempt: 1, planHash: plan.planHash }, approver);
    const failed = await waitForRun(h.engine, run.id, isSettled);
    expect(failed.steps[0]).toMatchObject({ state: "failed", attempt: 1 });

    const retried = await h.engine.retry(run.id, 0, requester, buttonValue(failed, "intervene.retry").attempt);
    expect(retried.state).toBe("awaiting_approval");
    expect(retried.gate).toMatchObject({ stepIndex: 0, attempt: 2, status: "open" });
    const approve = buttonValue(retried, "intervene.approve");
    expect(approve).toMatchObject({ stepIndex: 0, attempt: 2 });
    expect(await codeOf(h.engine.approve({ runId: run.id, stepIndex: 0, attempt: 2, planHash: plan.planHash }, requester))).toBe("SELF_APPROVAL");
    await h.engine.approve({ runId: run.id, stepIndex: approve.stepIndex, attempt: approve.attempt, planHash: approve.planHash }, approver);
    const again = await waitForRun(h.engine, run.id, isSettled);
    expect(again.steps[0]).toMatchObject({ state: "failed", attempt: 2 });
    await h.engine.abort(run.id, requester, "now");
  });

  it("per-run mode: after the run gate expired and Retry re-opened it, the Approve button carries the gate's attempt and is accepted", async () => {
    const plan = testPlan("shortrun", [{ id: "risky", kind: "exec", destructive: true, targets: [{ host: "h2", command: "true" }] }]);
    const run = await h.engine.start(plan, requester);
    const expired = await waitForRun(h.engine, run.id, (r) => r.state === "paused" && r.gate?.status === "expired", 15_000);
    const reopened = await h.engine.retry(run.id, 0, requester);
    expect(reopened.gate).toMatchObject({ stepIndex: null, status: "open" });
    const approve = buttonValue(reopened, "intervene.approve");
    expect(approve.attempt).toBe(reopened.gate!.attempt);
    expect(approve.attempt).toBeGreaterThan(expired.gate!.attempt);
    await h.engine.approve({ runId: run.id, stepIndex: approve.stepIndex, attempt: approve.attempt, planHash: approve.planHash }, approver);
    expect((await waitForRun(h.engine, run.id, isSettled)).state).toBe("succeeded");
  });

  it("skipping a failed check takes an approver who is not the requester; a plain failed step may be skipped by the requester", async () => {
    const plan = testPlan("perstep", [
      { id: "safety", kind: "check", targets: [{ host: "h2", command: "exit 1" }] },
      { id: "plain", kind: "exec", targets: [{ host: "h3", command: "exit 1" }] },
    ]);
    const run = await h.engine.start(plan, requester);
    await waitForRun(h.engine, run.id, isSettled);
    expect(await codeOf(h.engine.skip(run.id, 0, requester, "I am sure"))).toBe("SELF_APPROVAL");
    expect(await codeOf(h.engine.skip(run.id, 0, { userId: "USTRANGER" }, "why not"))).toBe("NOT_REQUESTER");
    await h.engine.skip(run.id, 0, approver, "checked by hand: the node is down");
    const second = await waitForRun(h.engine, run.id, (r) => r.state === "paused" && r.cursor === 1);
    await h.engine.skip(run.id, 1, requester, "done by hand", second.steps[1]!.attempt);
    expect((await waitForRun(h.engine, run.id, isSettled)).state).toBe("succeeded");
    const skipped = (await h.engine.audit(run.id)).filter((e) => e.type === "skipped").map((e) => `${e.stepIndex} ${e.actor}`);
    expect(skipped).toEqual(["0 UAPP1", "1 UREQ"]);
  });

  it("Retry, Skip and Continue are bound to the attempt they were shown for: a stale click is refused", async () => {
    const plan = testPlan("perstep", [
      { id: "flaky", kind: "exec", targets: [{ host: "h2", command: "exit 1" }] },
      { id: "look", kind: "confirm", prompt: "all good?" },
    ]);
    const run = await h.engine.start(plan, requester);
    const first = await waitForRun(h.engine, run.id, isSettled);
    const shown = buttonValue(first, "intervene.retry");
    await h.engine.retry(run.id, 0, requester, shown.attempt);
    await waitForRun(h.engine, run.id, (r) => isSettled(r) && r.steps[0]!.attempt === 2);
    // The first message's buttons are for attempt 1; the step is at attempt 2 now.
    expect(await codeOf(h.engine.retry(run.id, 0, requester, shown.attempt))).toBe("STALE_GATE");
    expect(await codeOf(h.engine.skip(run.id, 0, requester, "skip it", shown.attempt))).toBe("STALE_GATE");
    await h.engine.skip(run.id, 0, requester, "skip it", 2);
    const atConfirm = await waitForRun(h.engine, run.id, (r) => r.state === "awaiting_confirmation");
    expect(await codeOf(h.engine.confirm(run.id, 1, requester, 7))).toBe("STALE_GATE");
    await h.engine.confirm(run.id, 1, requester, buttonValue(atConfirm, "intervene.continue").attempt);
    expect((await waitForRun(h.engine, run.id, isSettled)).state).toBe("succeeded");
  });
});
