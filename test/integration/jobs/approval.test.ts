import { EngineError, type Actor, type AuditEntry, type RunEvent } from "../../../src/jobs";
import { createHarness, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";
import { codeOf } from "./helpers/code-of";

const requester: Actor = { userId: "UREQ" };
const approver1: Actor = { userId: "UAPP1" };
const approver2: Actor = { userId: "UAPP2" };

function refusalCode(result: PromiseSettledResult<unknown>): string | undefined {
  return result.status === "rejected" && result.reason instanceof EngineError ? result.reason.code : undefined;
}


const refusals = (audit: readonly AuditEntry[]): AuditEntry[] => audit.filter((e) => e.type === "refused");

describe("approvals", () => {
  let h: Harness;

  beforeAll(() => {
    h = createHarness("approval", {
      single: "{}",
      quorum: "{ minApprovals: 2 }",
      shortlived: "{ expiresAfter: 1s }",
      perrun: "{ mode: per-run }",
      glass: "{ minApprovals: 2, breakGlass: { channel: C0GLASS } }",
    });
  });
  afterAll(async () => {
    await h.close();
  });

  const destructivePlan = (cluster: string) =>
    testPlan(cluster, [
      { id: "move-mnesia-aside", kind: "exec", destructive: true, targets: [{ host: "h2", command: "true" }] },
      { id: "check", kind: "check", targets: [{ host: "h2", command: "true" }] },
    ]);

  it("100 concurrent approvals of one step make exactly one transition; the other 99 are refused and audited", async () => {
    const run = await h.engine.start(destructivePlan("single"), requester);
    expect(run.state).toBe("awaiting_approval");
    expect(run.steps[0]!.state).toBe("awaiting_approval");
    const gate = { runId: run.id, stepIndex: 0, attempt: 1, planHash: run.plan.planHash };
    const actors: Actor[] = Array.from({ length: 100 }, (_, i) => ({ userId: `U${String(i).padStart(3, "0")}`, userGroups: ["SOPS"] }));

    const results = await Promise.allSettled(actors.map((a) => h.engine.approve(gate, a)));

    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.map(refusalCode).filter((c) => c === "ALREADY_DECIDED")).toHaveLength(99);
    const after = (await h.engine.get(run.id))!;
    expect(after.steps[0]!.state).toBe("queued");
    expect(after.steps[0]!.approvals).toHaveLength(1);
    expect(after.gate?.status).toBe("approved");
    const audit = await h.engine.audit(run.id);
    expect(audit.filter((e) => e.type === "approved")).toHaveLength(1);
    expect(audit.filter((e) => e.type === "step.queued" && e.stepIndex === 0)).toHaveLength(1);
    expect(refusals(audit)).toHaveLength(99);
    expect(refusals(audit).every((e) => e.data?.code === "ALREADY_DECIDED" && e.data.operation === "approve")).toBe(true);
    await h.engine.abort(run.id, requester, "now");
  });

  it("refuses the requester, a non-approver, a stale plan hash or attempt, each with a code, and audits every refusal", async () => {
    const run = await h.engine.start(destructivePlan("single"), requester);
    const gate = { runId: run.id, stepIndex: 0, attempt: 1, planHash: run.plan.planHash };

    expect(await codeOf(h.engine.approve(gate, requester))).toBe("SELF_APPROVAL");
    expect(await codeOf(h.engine.approve(gate, { userId: "USTRANGER", userGroups: ["SOTHER"] }))).toBe("NOT_APPROVER");
    expect(await codeOf(h.engine.approve({ ...gate, planHash: "0".repeat(64) }, approver1))).toBe("STALE_GATE");
    expect(await codeOf(h.engine.approve({ ...gate, attempt: 2 }, approver1))).toBe("STALE_GATE");
    expect(await codeOf(h.engine.approve({ ...gate, stepIndex: 1 }, approver1))).toBe("STALE_GATE");
    expect(await codeOf(h.engine.approve({ ...gate, runId: "rnosuchrun" }, approver1))).toBe("NOT_FOUND");

    const still = (await h.engine.get(run.id))!;
    expect(still.state).toBe("awaiting_approval");
    expect(still.steps[0]!.approvals).toEqual([]);
    const codes = refusals(await h.engine.audit(run.id)).map((e) => [e.actor, e.data?.code]);
    expect(codes).toEqual([
      ["UREQ", "SELF_APPROVAL"],
      ["USTRANGER", "NOT_APPROVER"],
      ["UAPP1", "STALE_GATE"],
      ["UAPP1", "STALE_GATE"],
      ["UAPP1", "STALE_GATE"],
    ]);
    // A member of an approver user group may approve.
    const approved = await h.engine.approve(gate, { userId: "UONCALL", userGroups: ["SOPS"] });
    expect(approved.steps[0]!.state).toBe("queued");
    await h.engine.abort(run.id, requester, "now");
  });

  it("break-glass (issue 12 point 12): the requester approves their own gate only in the break-glass channel, with a reason; it opens the gate alone and is marked", async () => {
    const run = await h.engine.start(destructivePlan("glass"), approver1);
    const gate = { runId: run.id, stepIndex: 0, attempt: 1, planHash: run.plan.planHash };
    // Four-eyes everywhere else, and the refusal says where the break-glass channel is.
    const selfRefusal = await h.engine.approve(gate, approver1).catch((e: unknown) => e);
    expect(selfRefusal).toMatchObject({ code: "SELF_APPROVAL" });
    expect(String((selfRefusal as Error).message)).toContain("break-glass channel C0GLASS");
    expect(await codeOf(h.engine.approve(gate, approver1, { breakGlass: { channel: "C0OTHER", reason: "site down" } }))).toBe("SELF_APPROVAL");
    expect(await codeOf(h.engine.approve(gate, approver1, { breakGlass: { channel: "C0GLASS", reason: "  " } }))).toBe("PARAMS");
    const approved = await h.engine.approve(gate, approver1, { breakGlass: { channel: "C0GLASS", reason: "storage down, nobody else on call" } });
    // minApprovals is 2, but the emergency approval opens the gate on its own.
    expect(approved.steps[0]!.state).toBe("queued");
    expect(approved.steps[0]!.approvals).toEqual([expect.objectContaining({ userId: "UAPP1", breakGlass: { channel: "C0GLASS", reason: "storage down, nobody else on call" } })]);
    const entry = (await h.engine.audit(run.id)).find((e) => e.type === "approved");
    expect(entry?.data).toMatchObject({ breakGlass: { channel: "C0GLASS", reason: "storage down, nobody else on call" } });
    await h.engine.abort(run.id, approver1, "now");
  });

  it("without a break-glass channel the requester is never an approver of their own run", async () => {
    const run = await h.engine.start(destructivePlan("single"), approver1);
    const gate = { runId: run.id, stepIndex: 0, attempt: 1, planHash: run.plan.planHash };
    await expect(h.engine.approve(gate, approver1, { breakGlass: { channel: "C0GLASS", reason: "please" } })).rejects.toMatchObject({ code: "SELF_APPROVAL", message: "the requester cannot approve their own run (four-eyes)" });
    await h.engine.abort(run.id, approver1, "now");
  });

  it("needs two distinct approvers when minApprovals is 2: the same user twice does not count", async () => {
    const run = await h.engine.start(destructivePlan("quorum"), requester);
    const gate = { runId: run.id, stepIndex: 0, attempt: 1, planHash: run.plan.planHash };
    const first = await h.engine.approve(gate, approver1);
    expect(first.state).toBe("awaiting_approval");
    expect(first.steps[0]!.approvals.map((d) => d.userId)).toEqual(["UAPP1"]);
    expect(await codeOf(h.engine.approve(gate, approver1))).toBe("ALREADY_APPROVED");
    expect((await h.engine.get(run.id))!.steps[0]!.state).toBe("awaiting_approval");
    const second = await h.engine.approve(gate, approver2);
    expect(second.steps[0]!.state).toBe("queued");
    expect(second.steps[0]!.approvals.map((d) => d.userId)).toEqual(["UAPP1", "UAPP2"]);
    const approvedEntries = (await h.engine.audit(run.id)).filter((e) => e.type === "approved");
    expect(approvedEntries.map((e) => [e.actor, e.data?.approvals, e.data?.needed])).toEqual([
      ["UAPP1", 1, 2],
      ["UAPP2", 2, 2],
    ]);
    await h.engine.abort(run.id, requester, "now");
  });

  it("refuses an approval after expiry (EXPIRED), pauses the run with the reason and audits it", async () => {
    const run = await h.engine.start(destructivePlan("shortlived"), requester);
    const gate = { runId: run.id, stepIndex: 0, attempt: 1, planHash: run.plan.planHash };
    await new Promise((r) => setTimeout(r, 1200));
    expect(await codeOf(h.engine.approve(gate, approver1))).toBe("EXPIRED");
    const paused = (await h.engine.get(run.id))!;
    expect(paused.state).toBe("paused");
    expect(paused.gate?.status).toBe("expired");
    expect(paused.reason).toMatch(/approval of step 0 expired/);
    expect(await codeOf(h.engine.approve(gate, approver2))).toBe("EXPIRED");
    const audit = await h.engine.audit(run.id);
    expect(audit.filter((e) => e.type === "expired")).toHaveLength(1);
    expect(refusals(audit).map((e) => e.data?.code)).toEqual(["EXPIRED", "EXPIRED"]);

    // A human may ask again: a new attempt, a new gate; the old button stays stale.
    const retried = await h.engine.retry(run.id, 0, requester);
    expect(retried.state).toBe("awaiting_approval");
    expect(retried.gate).toMatchObject({ stepIndex: 0, attempt: 2, status: "open" });
    expect(await codeOf(h.engine.approve(gate, approver1))).toBe("STALE_GATE");
    await h.engine.abort(run.id, requester, "now");
  });

  it("expires an unanswered gate through the delayed job when nobody clicks", async () => {
    // The reconciler would also expire an overdue gate; keep it out of the way to see the delayed job do it.
    const worker = await h.startWorker({ reconcileIntervalMs: 600_000 });
    try {
      const run = await h.engine.start(destructivePlan("shortlived"), requester);
      const paused = await waitForRun(h.engine, run.id, (r) => r.state === "paused", 10_000);
      expect(paused.gate?.status).toBe("expired");
      const expired = (await h.engine.audit(run.id)).find((e) => e.type === "expired");
      expect(expired?.actor).toBe("engine");
      await h.engine.abort(run.id, requester, "now");
    } finally {
      await worker.close();
    }
  });

  it("per-run mode: one approval listing every destructive command, then no further gates", async () => {
    const worker = await h.startWorker();
    try {
      const plan = testPlan("perrun", [
        { id: "stop", kind: "exec", destructive: true, targets: [{ host: "h2", command: "echo stop" }] },
        { id: "look", kind: "check", targets: [{ host: "h3", command: "echo ok" }], expect: { type: "stdout-includes", text: "ok" } },
        { id: "wipe", kind: "exec", destructive: true, targets: [{ host: "h3", command: "echo wipe" }, { host: "h4", command: "echo wipe" }] },
      ]);
      const run = await h.engine.start(plan, requester);
      expect(run.state).toBe("awaiting_approval");
      expect(run.gate).toMatchObject({ stepIndex: null, attempt: 1, status: "open" });
      const requested = (await h.engine.audit(run.id)).find((e) => e.type === "approval.requested");
      expect(requested?.data?.commands).toEqual([
        { stepIndex: 0, host: "h2", command: "echo stop" },
        { stepIndex: 2, host: "h3", command: "echo wipe" },
        { stepIndex: 2, host: "h4", command: "echo wipe" },
      ]);
      expect(await codeOf(h.engine.approve({ runId: run.id, stepIndex: 0, attempt: 1, planHash: plan.planHash }, approver1))).toBe("STALE_GATE");
      await h.engine.approve({ runId: run.id, stepIndex: null, attempt: 1, planHash: plan.planHash }, approver1);
      const done = await waitForRun(h.engine, run.id, (r) => r.state === "succeeded");
      expect(done.steps.map((s) => s.state)).toEqual(["succeeded", "succeeded", "succeeded"]);
      expect(done.runApprovals?.map((d) => d.userId)).toEqual(["UAPP1"]);
      expect((await h.engine.audit(run.id)).filter((e) => e.type === "approval.requested")).toHaveLength(1);
    } finally {
      await worker.close();
    }
  });

  it("a rejection aborts the run with its reason, releases the lock, and announces it", async () => {
    const events: RunEvent[] = [];
    const unsubscribe = await h.engine.subscribe((e) => events.push(e));
    try {
      const run = await h.engine.start(destructivePlan("single"), requester);
      const rejected = await h.engine.reject({ runId: run.id, stepIndex: 0, attempt: 1, planHash: run.plan.planHash }, approver2, "not during business hours");
      expect(rejected.state).toBe("aborted");
      expect(rejected.reason).toBe("rejected by UAPP2: not during business hours");
      expect(await h.engine.store.lockHolder("single")).toBeUndefined();
      const types = (await h.engine.audit(run.id)).map((e) => e.type);
      expect(types.slice(-3)).toEqual(["rejected", "aborted", "lock.released"]);
      expect(await codeOf(h.engine.approve({ runId: run.id, stepIndex: 0, attempt: 1, planHash: run.plan.planHash }, approver1))).toBe("ALREADY_DECIDED");
      const deadline = Date.now() + 5000;
      while (!events.some((e) => e.type === "run.finished" && e.run.id === run.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(events.find((e) => e.type === "approval.requested" && e.run.id === run.id)).toMatchObject({ stepIndex: 0, approvers: { minApprovals: 1 } });
      expect(events.find((e) => e.type === "run.finished" && e.run.id === run.id)).toMatchObject({ run: { state: "aborted" } });
    } finally {
      await unsubscribe();
    }
  });
});
