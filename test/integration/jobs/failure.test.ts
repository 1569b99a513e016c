import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { EngineError, type Actor } from "../../../src/jobs";
import { shellQuote } from "../../../src/util/shell-quote";
import { createHarness, isSettled, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";

const requester: Actor = { userId: "UREQ" };
const stranger: Actor = { userId: "USTRANGER" };

describe("failures: retry, skip, abort", () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    h = createHarness("failure", { c1: "{}" });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-failure-"));
    await h.startWorker();
  });
  afterAll(async () => {
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const q = (p: string): string => shellQuote(p);

  it("a failed step pauses the run; a refused stranger; the operator fixes the host and retries; the run finishes", async () => {
    const flag = path.join(dir, "flag");
    const out = path.join(dir, "retry.log");
    const plan = testPlan("c1", [
      { id: "needs-flag", kind: "exec", targets: [{ host: "h2", command: `test -f ${q(flag)} && echo ran >> ${q(out)}` }] },
      { id: "after", kind: "exec", targets: [{ host: "h3", command: `echo after >> ${q(out)}` }] },
    ]);
    const run = await h.engine.start(plan, requester);
    const paused = await waitForRun(h.engine, run.id, isSettled);
    expect(paused.state).toBe("paused");
    expect(paused.steps[0]).toMatchObject({ state: "failed", attempt: 1 });
    expect(paused.steps[0]!.outputs[0]).toMatchObject({ host: "h2", exitCode: 1 });
    expect(paused.reason).toMatch(/step 0 \(needs-flag\) failed/);
    await expect(h.engine.retry(run.id, 0, stranger)).rejects.toMatchObject({ code: "NOT_REQUESTER" });
    await expect(h.engine.retry(run.id, 1, requester)).rejects.toMatchObject({ code: "INVALID_STATE" });

    fs.writeFileSync(flag, "");
    const retried = await h.engine.retry(run.id, 0, requester);
    expect(retried.steps[0]!.attempt).toBe(2);
    const done = await waitForRun(h.engine, run.id, (r) => r.state === "succeeded");
    expect(done.steps.map((s) => s.state)).toEqual(["succeeded", "succeeded"]);
    expect(fs.readFileSync(out, "utf8")).toBe("ran\nafter\n");
    const retriedEntry = (await h.engine.audit(run.id)).find((e) => e.type === "retried");
    expect(retriedEntry).toMatchObject({ actor: "UREQ", stepIndex: 0, attempt: 2, data: { automatic: false, previousState: "failed" } });
  });

  it("an idempotent step is retried automatically per its retries before the run pauses", async () => {
    const plan = testPlan("c1", [
      { id: "flaky-check", kind: "check", targets: [{ host: "h4", command: "echo not-yet; exit 3" }], retries: { max: 2, backoffMs: 50 } },
    ]);
    const run = await h.engine.start(plan, requester);
    const paused = await waitForRun(h.engine, run.id, isSettled);
    expect(paused.state).toBe("paused");
    expect(paused.steps[0]).toMatchObject({ state: "failed", attempt: 3, retriesUsed: 2 });
    const audit = await h.engine.audit(run.id);
    expect(audit.filter((e) => e.type === "retried").map((e) => [e.attempt, e.data?.automatic])).toEqual([
      [2, true],
      [3, true],
    ]);
    expect(audit.filter((e) => e.type === "step.finished").map((e) => e.data?.ok)).toEqual([false, false, false]);
    await h.engine.abort(run.id, requester, "after-step");
  });

  it("a non-idempotent step is never retried automatically", async () => {
    const plan = testPlan("c1", [{ id: "append", kind: "exec", targets: [{ host: "h2", command: "exit 1" }], retries: { max: 3, backoffMs: 10 } }]);
    const run = await h.engine.start(plan, requester);
    const paused = await waitForRun(h.engine, run.id, isSettled);
    expect(paused.steps[0]).toMatchObject({ state: "failed", attempt: 1 });
    expect((await h.engine.audit(run.id)).filter((e) => e.type === "retried")).toEqual([]);
    await h.engine.abort(run.id, requester, "now");
  });

  it("skip needs a reason, is audited, and the run goes on", async () => {
    const plan = testPlan("c1", [
      { id: "broken", kind: "exec", targets: [{ host: "h2", command: "exit 2" }] },
      { id: "next", kind: "check", targets: [{ host: "h3", command: "echo next" }], expect: { type: "stdout-includes", text: "next" } },
    ]);
    const run = await h.engine.start(plan, requester);
    await waitForRun(h.engine, run.id, isSettled);
    await expect(h.engine.skip(run.id, 0, requester, " ")).rejects.toMatchObject({ code: "PARAMS" });
    await h.engine.skip(run.id, 0, requester, "done by hand on h2");
    const done = await waitForRun(h.engine, run.id, (r) => r.state === "succeeded");
    expect(done.steps.map((s) => s.state)).toEqual(["skipped", "succeeded"]);
    expect(done.steps[0]!.skipReason).toBe("done by hand on h2");
    expect((await h.engine.audit(run.id)).find((e) => e.type === "skipped")).toMatchObject({ actor: "UREQ", stepIndex: 0, data: { reason: "done by hand on h2" } });
  });

  it("abort after a failure ends the run and frees the cluster", async () => {
    const run = await h.engine.start(testPlan("c1", [{ id: "broken", kind: "exec", targets: [{ host: "h2", command: "false" }] }]), requester);
    await waitForRun(h.engine, run.id, isSettled);
    const aborted = await h.engine.abort(run.id, { userId: "UAPP1" }, "after-step");
    expect(aborted).toMatchObject({ state: "aborted", reason: "aborted by UAPP1" });
    expect(await h.engine.store.lockHolder("c1")).toBeUndefined();
    await expect(h.engine.abort(run.id, requester, "now")).rejects.toBeInstanceOf(EngineError);
  });

  it("onFailure abort fails the run at once", async () => {
    const run = await h.engine.start(testPlan("c1", [{ id: "must-pass", kind: "check", targets: [{ host: "h2", command: "false" }], onFailure: "abort" }]), requester);
    const failed = await waitForRun(h.engine, run.id, isSettled);
    expect(failed.state).toBe("failed");
    expect(failed.reason).toMatch(/must-pass/);
  });

  it("abort now kills the running remote command (through the worker's AbortSignal) and releases the lock", async () => {
    const pidFile = path.join(dir, "sleeper.pid");
    const out = path.join(dir, "never.log");
    const plan = testPlan("c1", [
      { id: "long", kind: "exec", timeoutMs: 60_000, targets: [{ host: "h3", command: `echo $$ > ${q(pidFile)}; sleep 30; echo finished >> ${q(out)}` }] },
      { id: "after", kind: "exec", targets: [{ host: "h3", command: `echo after >> ${q(out)}` }] },
    ]);
    const run = await h.engine.start(plan, requester);
    await waitForRun(h.engine, run.id, (r) => r.steps[0]!.state === "running");
    const deadline = Date.now() + 10_000;
    while (!(fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8").trim() !== "") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    expect(fs.existsSync(`/proc/${pid}`)).toBe(true);

    const requested = await h.engine.abort(run.id, requester, "now");
    expect(requested.abortRequested).toMatchObject({ by: "UREQ", mode: "now" });
    const aborted = await waitForRun(h.engine, run.id, (r) => r.state === "aborted", 10_000);
    expect(aborted.steps[0]!.state).toBe("failed");
    expect(aborted.steps[0]!.error).toMatch(/killed: abort \(now\) by UREQ/);
    expect(aborted.steps[1]!.state).toBe("pending");
    const goneBy = Date.now() + 5000;
    while (fs.existsSync(`/proc/${pid}`) && Date.now() < goneBy) await new Promise((r) => setTimeout(r, 20));
    expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
    expect(fs.existsSync(out)).toBe(false);
    expect(await h.engine.store.lockHolder("c1")).toBeUndefined();
  });

  it("abort after-step lets the running step finish, then stops before the next", async () => {
    const out = path.join(dir, "after-step.log");
    const plan = testPlan("c1", [
      { id: "slow", kind: "exec", targets: [{ host: "h4", command: `sleep 0.5; echo slow >> ${q(out)}` }] },
      { id: "never", kind: "exec", targets: [{ host: "h4", command: `echo never >> ${q(out)}` }] },
    ]);
    const run = await h.engine.start(plan, requester);
    await waitForRun(h.engine, run.id, (r) => r.steps[0]!.state === "running");
    const requested = await h.engine.abort(run.id, requester, "after-step");
    expect(requested.state).toBe("running");
    const aborted = await waitForRun(h.engine, run.id, (r) => r.state === "aborted");
    expect(aborted.steps.map((s) => s.state)).toEqual(["succeeded", "pending"]);
    expect(fs.readFileSync(out, "utf8")).toBe("slow\n");
  });
});
