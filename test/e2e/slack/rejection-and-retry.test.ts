import { ACTION } from "../../../src/bot/blocks/action-ids";
import { approveThroughSlack, breakManagerMnesia, indexOf, messageAtGate, requestAndStart, useLeofsSlackE2e } from "./leofs-slack-flow";
import { blockText, buttonValue, eventually, isTerminal, textOf, U_APPROVER, U_REQUESTER, U_SECOND } from "./slack-e2e";

jest.setTimeout(120_000);

// The two ways a Slack-driven recovery departs from the happy path: an approver says no, or a step fails.
describe("manager-slave recovery from Slack, when rejected or failing", () => {
  const bed = useLeofsSlackE2e();

  async function ensureSlaveBroken(): Promise<void> {
    const sim = bed.sim();
    if ((await sim.state.mnesiaOf(1)).files !== "corrupt") await breakManagerMnesia(sim, "manager-slave");
  }

  it("an approver's rejection (with a reason) aborts the run before anything destructive ran, says why, and frees the cluster", async () => {
    const [sim, e2e] = [bed.sim(), bed.e2e()];
    await ensureSlaveBroken();
    const slaveBefore = await sim.state.mnesiaOf(1);
    const { runId } = await requestAndStart(e2e, "recover manager-slave", U_REQUESTER);
    const waiting = await e2e.waitForRun(runId, (r) => r.state === "awaiting_approval" || isTerminal(r));
    expect(waiting.gate).toMatchObject({ status: "open", stepIndex: indexOf(waiting, "stop-manager-slave") });
    expect(await e2e.engine.store.lockHolder(sim.clusterName)).toBe(runId);

    // Reject asks for a reason in a modal; the submission rejects the gate.
    const atGate = await messageAtGate(e2e, waiting);
    const reject = await e2e.click(atGate, ACTION.reject, U_SECOND, { wait: false });
    expect(reject.ack.status).toBe(200);
    await e2e.fake.waitFor(() => e2e.fake.callsOf("views.open").length > 0);
    const submitted = await e2e.submitReason(U_SECOND, "storage maintenance window starts now; do it tomorrow");
    expect(submitted.status).toBe(200);

    const run = await e2e.waitForRun(runId, isTerminal);
    expect(run.state).toBe("aborted");
    expect(run.reason).toBe(`rejected by ${U_SECOND}: storage maintenance window starts now; do it tomorrow`);
    expect(run.steps[indexOf(run, "stop-manager-slave")]?.approvals).toEqual([expect.objectContaining({ userId: U_SECOND, decision: "rejected" })]);
    expect(run.steps.filter((s) => s.state === "succeeded").map((s) => run.plan.steps[s.index]?.id)).toEqual(["preflight-status", "ping-manager-master", "ping-manager-slave"]);
    expect(await e2e.engine.store.lockHolder(sim.clusterName)).toBeUndefined();

    // The run message ends as aborted with the reason and no buttons left to click.
    await e2e.fake.waitFor(() => blockText(e2e.fake.latest(atGate.ts ?? "")?.blocks).includes(":octagonal_sign: *aborted*"), 15_000);
    const final = blockText(e2e.fake.latest(atGate.ts ?? "")?.blocks);
    expect(final).toContain(`rejected by ${U_SECOND}: storage maintenance window starts now; do it tomorrow`);
    expect(final).toContain(`:no_entry: rejected by <@${U_SECOND}>`);
    expect(buttonValue(e2e.fake.latest(atGate.ts ?? "")?.blocks, ACTION.approve)).toBeUndefined();
    // The cluster was not touched: the broken slave still runs on its own (corrupt) files.
    expect(await sim.state.mnesiaOf(1)).toEqual(slaveBefore);

    // A click on the stale Approve button is refused, to the clicker only.
    const late = await e2e.click(atGate, ACTION.approve, U_APPROVER);
    expect(late.responses[0]).toMatchObject({ response_type: "ephemeral", replace_original: false });
    expect(textOf(late.responses)).toContain("already rejected");
    expect((await e2e.engine.get(runId))?.state).toBe("aborted");
  });

  it("a step that fails pauses the run with the error and Retry/Skip/Abort; after the operator fixes the host, Retry finishes the recovery", async () => {
    const [sim, e2e] = [bed.sim(), bed.e2e()];
    await ensureSlaveBroken();
    // The launch scripts' pipe dir owned by root: `start` of the slave fails (seed 002's upgrade pitfall).
    await sim.fault.stalePipeDir("leofs-m1");
    const { runId } = await requestAndStart(e2e, "recover manager-slave", U_REQUESTER);
    const paused = await approveThroughSlack(e2e, runId, U_APPROVER);

    expect(paused.approved).toEqual(["stop-manager-slave", "stop-manager-master", "backup-manager-slave-mnesia"]);
    expect(paused.run.state).toBe("paused");
    const failedIndex = indexOf(paused.run, "start-manager-slave");
    expect(paused.run.cursor).toBe(failedIndex);
    expect(paused.run.steps[failedIndex]).toMatchObject({ state: "failed", attempt: 1 });
    expect(paused.run.steps[failedIndex]?.error).toMatch(/leofs-m1/);

    // The run message shows the failure, the host's exit code and the three decisions.
    const message = await e2e.runMessage(runId);
    const blocks = await eventually("the failure on the run message", () => {
      const latest = e2e.fake.latest(message.ts)?.blocks;
      return buttonValue(latest, ACTION.retry)?.stepIndex === failedIndex ? latest : undefined;
    });
    const shown = blockText(blocks);
    expect(shown).toContain(`:x: *Step ${failedIndex + 1} failed*`);
    expect(shown).toContain("*leofs-m1* exit 1");
    expect(buttonValue(blocks, ACTION.skip)).toEqual(buttonValue(blocks, ACTION.retry));
    expect(buttonValue(blocks, ACTION.abort)).toEqual(buttonValue(blocks, ACTION.retry));
    expect((await sim.state.mnesiaOf(1)).running).toBe(false);

    // The operator clears the pipe dir; the requester clicks Retry.
    await sim.fault.clear("stale-pipe-dir", "leofs-m1");
    const retry = await e2e.click({ blocks, ts: message.ts }, ACTION.retry, U_REQUESTER);
    expect(textOf(retry.responses)).toContain(`Retrying step ${failedIndex + 1}`);
    const done = await approveThroughSlack(e2e, runId, U_APPROVER);

    expect(done.run.state).toBe("succeeded");
    expect(done.approved).toEqual([]);
    expect(done.run.steps[failedIndex]).toMatchObject({ state: "succeeded", attempt: 2 });
    await e2e.fake.waitFor(() => blockText(e2e.fake.latest(message.ts)?.blocks).includes(":white_check_mark: *succeeded*"), 15_000);
    expect(blockText(e2e.fake.latest(message.ts)?.blocks)).toContain("(attempt 2)");
    const [master, slave] = [await sim.state.mnesiaOf(0), await sim.state.mnesiaOf(1)];
    expect(slave).toMatchObject({ files: "ok", running: true, mnesia: "ok", fingerprint: master.fingerprint, cookie: master.cookie });
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
    expect(await e2e.engine.store.lockHolder(sim.clusterName)).toBeUndefined();
    expect(e2e.fake.violations).toEqual([]);
  });
});
