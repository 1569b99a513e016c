import type { Actor, AuditEntry } from "../../../src/jobs";
import { redisKeys } from "../../../src/jobs/store/redis-keys";
import { createHarness, isSettled, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";

const requester: Actor = { userId: "UREQ" };
const approver: Actor = { userId: "UAPP2" };

describe("the audit stream", () => {
  let h: Harness;

  beforeAll(async () => {
    h = createHarness("audit", { c1: "{}" });
    await h.startWorker();
  });
  afterAll(async () => {
    await h.close();
  });

  const story = (audit: readonly AuditEntry[]): string[] =>
    audit.map((e) => `${e.type}${e.stepIndex !== undefined ? `#${e.stepIndex}` : ""} ${e.actor.startsWith("worker:") ? "worker" : e.actor}`);

  it("tells the whole story of a run, in order, with who and when and the exact commands approved", async () => {
    const plan = testPlan("c1", [
      { id: "look", kind: "check", targets: [{ host: "h2", command: "echo epmd 4369" }], captures: [{ name: "port", pattern: "epmd (\\d+)", valuePattern: "\\d+" }] },
      { id: "stop", kind: "exec", destructive: true, targets: [{ host: "h3", command: "echo stopping {{port}}; exit 4" }] },
      { id: "logs-ok", kind: "confirm", prompt: "check the logs" },
    ]);
    const plannedPreview = await h.engine.start(plan, requester);
    const runId = plannedPreview.id;
    const gated = await waitForRun(h.engine, runId, (r) => r.state === "awaiting_approval");
    expect(gated.steps[1]!.resolvedCommands).toEqual([{ host: "h3", command: "echo stopping 4369; exit 4" }]);
    await expect(h.engine.approve({ runId, stepIndex: 1, attempt: 1, planHash: plan.planHash }, requester)).rejects.toMatchObject({ code: "SELF_APPROVAL" });
    await h.engine.approve({ runId, stepIndex: 1, attempt: 1, planHash: plan.planHash }, approver);
    await waitForRun(h.engine, runId, isSettled);
    // Skipping a failed destructive step is four-eyes too (issue 12 point 7): the requester is refused, an approver may.
    await expect(h.engine.skip(runId, 1, requester, "stopped by hand")).rejects.toMatchObject({ code: "SELF_APPROVAL" });
    await h.engine.skip(runId, 1, approver, "stopped by hand");
    await waitForRun(h.engine, runId, (r) => r.state === "awaiting_confirmation");
    await h.engine.confirm(runId, 2, requester);
    const done = await waitForRun(h.engine, runId, (r) => r.state === "succeeded");
    expect(done.steps.map((s) => s.state)).toEqual(["succeeded", "skipped", "succeeded"]);

    const audit = await h.engine.audit(runId);
    expect(story(audit)).toEqual([
      "requested UREQ",
      "lock.taken engine",
      "started UREQ",
      "step.queued#0 UREQ",
      "step.started#0 worker",
      "step.finished#0 worker",
      "approval.requested#1 worker",
      "refused#1 UREQ",
      "approved#1 UAPP2",
      "step.queued#1 UAPP2",
      "step.started#1 worker",
      "step.finished#1 worker",
      "paused#1 worker",
      "refused#1 UREQ",
      "skipped#1 UAPP2",
      "confirmation.requested#2 UAPP2",
      "confirmed#2 UREQ",
      "succeeded UREQ",
      "lock.released engine",
    ]);
    const ids = audit.map((e) => e.id);
    expect([...ids].sort((a, b) => (a === b ? 0 : a.localeCompare(b, undefined, { numeric: true })))).toEqual(ids);
    expect(audit.every((e) => !Number.isNaN(Date.parse(e.at)))).toBe(true);
    expect(audit.find((e) => e.type === "approved")?.data).toMatchObject({ commands: [{ host: "h3", command: "echo stopping 4369; exit 4" }], planHash: plan.planHash });
    expect(audit.find((e) => e.type === "step.finished" && e.stepIndex === 1)?.data).toMatchObject({ ok: false, targets: [{ host: "h3", exitCode: 4 }] });
    expect(audit.find((e) => e.type === "refused")?.data).toMatchObject({ operation: "approve", code: "SELF_APPROVAL" });
    expect(audit.find((e) => e.type === "requested")?.data).toMatchObject({ procedureId: "test.procedure", cluster: "c1", planHash: plan.planHash });

    // A finished run is kept for the retention period, then expires with its audit stream.
    expect(await h.engine.store.redis.pttl(`${h.prefix}:run:${runId}`)).toBeGreaterThan(0);
    expect(await h.engine.store.redis.pttl(`${h.prefix}:run:${runId}:audit`)).toBeGreaterThan(0);

    // The notifier's bookkeeping is not part of the story.
    const before = (await h.engine.get(runId))!;
    await h.engine.setNotifierState(runId, { channel: "C0TEST", ts: "1700000000.000100" });
    // Kept beside the record, not as a new version of it (a worker's next write does not conflict with it).
    expect(await h.engine.get(runId)).toEqual({ ...before, notifierState: { channel: "C0TEST", ts: "1700000000.000100" } });
    expect(await h.engine.audit(runId)).toHaveLength(audit.length);

    // The global stream holds the same story, among other runs' entries.
    const global = (await h.engine.store.globalAudit()).filter((e) => e.runId === runId);
    expect(global.map((e) => e.type)).toEqual(audit.map((e) => e.type));
  });

  it("merges the message reference into a record still in the legacy layout, after rewriting it as it is", async () => {
    const run = await h.engine.start(testPlan("c1", [{ id: "ok", kind: "confirm", prompt: "all good?" }]), requester);
    const waiting = await waitForRun(h.engine, run.id, (r) => r.state === "awaiting_confirmation");
    // As the store wrote records before their fields were split: the whole record in one JSON field.
    const key = redisKeys(h.prefix).run(run.id);
    const legacy = { ...waiting, notifierState: { slackChannel: "C0OLD", slackTs: "1600000000.000100" } };
    const redis = h.engine.store.redis;
    await redis.del(key);
    await redis.hset(key, "v", String(legacy.version), "json", JSON.stringify(legacy), "state", legacy.state, "cluster", legacy.plan.cluster, "requestedBy", legacy.requestedBy);
    await h.engine.setNotifierState(run.id, { slackTs: "1600000000.000200" });
    expect(await redis.hexists(key, "json")).toBe(0);
    expect(await h.engine.get(run.id)).toEqual({ ...legacy, version: legacy.version + 1, notifierState: { slackChannel: "C0OLD", slackTs: "1600000000.000200" } });
    await h.engine.confirm(run.id, 0, requester);
    expect((await waitForRun(h.engine, run.id, isSettled)).state).toBe("succeeded");
  });
});
