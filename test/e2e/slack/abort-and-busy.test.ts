import { ACTION } from "../../../src/bot/blocks/action-ids";
import type { Block } from "../../../src/bot/blocks/block-types";
import { getTestbed } from "../../helpers/testbed";
import type { LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { breakManagerMnesia, indexOf, messageAtGate, requestAndStart, startE2eLeofsSim } from "./leofs-slack-flow";
import { blockText, buttonValue, eventually, isTerminal, startSlackE2e, textOf, U_APPROVER, U_REQUESTER, type SlackE2e } from "./slack-e2e";

jest.setTimeout(120_000);

/** Someone in the workspace who is neither the requester nor an approver. */
const U_STRANGER = "U0STRANGER";

// Defects found driving the demo as two operators (issue 17): Abort at a gate, open gates closed when a run ends, busy clusters shown in the preview.
describe("Abort on every active run message, and a busy cluster shown in the preview", () => {
  let sim: LeofsSim;
  let e2e: SlackE2e;

  beforeAll(async () => {
    sim = await startE2eLeofsSim();
    await breakManagerMnesia(sim, "manager-slave");
    e2e = await startSlackE2e({ inventoryFile: sim.inventoryPath, privateKeyFile: sim.privateKeyPath, knownHostsFile: sim.knownHostsPath, redisUrl: getTestbed().redisUrl });
  });
  afterAll(async () => {
    await e2e?.close();
    await sim?.stop();
  });

  /** Whether the last modal opened is the Abort form for this run's step `stepIndex`. */
  function abortFormFor(runId: string, stepIndex: number | null | undefined): boolean {
    const view = e2e.fake.callsOf("views.open").at(-1)?.args.view as { private_metadata?: string } | undefined;
    const state = JSON.parse(view?.private_metadata ?? "{}") as { action?: string; step?: { runId?: string; stepIndex?: number | null } };
    return state.action === "abort" && state.step?.runId === runId && state.step.stepIndex === stepIndex;
  }

  // A test that failed half-way must not leave the cluster locked for the next one.
  afterEach(async () => {
    for (const run of await e2e.engine.list({ active: true })) await e2e.engine.abort(run.id, { userId: run.requestedBy }, "after-step").catch(() => undefined);
  });

  async function atFirstGate(): Promise<{ runId: string; blocks: readonly Block[]; ts: string | undefined }> {
    const { runId } = await requestAndStart(e2e, "recover manager-slave", U_REQUESTER);
    const waiting = await e2e.waitForRun(runId, (r) => r.state === "awaiting_approval" || isTerminal(r));
    expect(waiting.state).toBe("awaiting_approval");
    const message = await messageAtGate(e2e, waiting);
    return { runId, blocks: message.blocks, ts: message.ts };
  }

  it("a run waiting at a gate offers Abort; a stranger is refused before any form; the requester's reason ends the run, closes the gate and frees the cluster", async () => {
    const slaveBefore = await sim.state.mnesiaOf(1);
    const { runId, blocks, ts } = await atFirstGate();
    // Abort sits beside Approve and Reject, bound to the same step and attempt.
    expect(buttonValue(blocks, ACTION.abort)).toEqual(buttonValue(blocks, ACTION.approve));

    const opened = e2e.fake.callsOf("views.open").length;
    const refused = await e2e.click({ blocks, ts }, ACTION.abort, U_STRANGER);
    expect(refused.responses[0]).toMatchObject({ response_type: "ephemeral", replace_original: false });
    expect(textOf(refused.responses)).toContain("only the requester");
    expect(e2e.fake.callsOf("views.open").length).toBe(opened);
    expect((await e2e.engine.get(runId))?.state).toBe("awaiting_approval");

    await e2e.click({ blocks, ts }, ACTION.abort, U_REQUESTER, { wait: false });
    await e2e.fake.waitFor(() => e2e.fake.callsOf("views.open").length > opened);
    const modal = e2e.fake.callsOf("views.open").at(-1)?.args.view as { title: { text: string } };
    expect(modal.title.text).toBe("Abort run");
    expect((await e2e.submitReason(U_REQUESTER, "wrong cluster: the slave is being replaced instead")).status).toBe(200);

    const run = await e2e.waitForRun(runId, isTerminal);
    const gated = indexOf(run, "stop-manager-slave");
    expect(run.state).toBe("aborted");
    expect(run.reason).toBe(`aborted by ${U_REQUESTER}: wrong cluster: the slave is being replaced instead`);
    expect(run.gate).toMatchObject({ status: "closed", stepIndex: gated });
    expect(run.steps[gated]?.state).toBe("not_run");
    expect(run.steps.some((s) => s.state === "awaiting_approval")).toBe(false);
    expect(await e2e.engine.store.lockHolder(sim.clusterName)).toBeUndefined();
    const audit = await e2e.engine.audit(runId);
    expect(audit.map((a) => a.type)).toEqual(expect.arrayContaining(["abort.requested", "approval.closed", "aborted"]));
    expect(audit.find((a) => a.type === "abort.requested")?.data).toMatchObject({ reason: "wrong cluster: the slave is being replaced instead" });

    // The summary counts the gated step as not run, never as still awaiting approval, and offers no buttons.
    await e2e.fake.waitFor(() => blockText(e2e.fake.latest(ts ?? "")?.blocks).includes(":octagonal_sign: *aborted*"), 15_000);
    const final = blockText(e2e.fake.latest(ts ?? "")?.blocks);
    expect(final).toContain("1 not_run");
    expect(final).not.toContain("awaiting_approval");
    expect(final).toContain("wrong cluster: the slave is being replaced instead");
    expect(buttonValue(e2e.fake.latest(ts ?? "")?.blocks, ACTION.abort)).toBeUndefined();
    expect(await sim.state.mnesiaOf(1)).toEqual(slaveBefore);
  });

  it("an Abort button bound to a gate the run has left is refused, and the run goes on", async () => {
    const { runId, blocks, ts } = await atFirstGate();
    const first = buttonValue(blocks, ACTION.approve)!;
    await e2e.click({ blocks, ts }, ACTION.approve, U_APPROVER);
    const next = await e2e.waitForRun(runId, (r) => (r.state === "awaiting_approval" && r.gate?.stepIndex !== first.stepIndex) || isTerminal(r));
    expect(next.state).toBe("awaiting_approval");

    const ephemerals = e2e.fake.ephemerals.length;
    await e2e.click({ blocks, ts }, ACTION.abort, U_REQUESTER, { wait: false });
    await e2e.fake.waitFor(() => abortFormFor(runId, first.stepIndex));
    await e2e.submitReason(U_REQUESTER, "clicked on an old message");
    await e2e.fake.waitFor(() => e2e.fake.ephemerals.length > ephemerals);
    expect(textOf(e2e.fake.ephemerals.slice(ephemerals))).toContain("use the run message's current buttons");
    expect((await e2e.engine.get(runId))?.state).toBe("awaiting_approval");

    // The current message's Abort works.
    const current = await messageAtGate(e2e, next);
    await e2e.click(current, ACTION.abort, U_APPROVER, { wait: false });
    await e2e.fake.waitFor(() => abortFormFor(runId, next.gate?.stepIndex));
    await e2e.submitReason(U_APPROVER, "enough for this test");
    expect((await e2e.waitForRun(runId, isTerminal)).reason).toBe(`aborted by ${U_APPROVER}: enough for this test`);
  });

  it("while the cluster is busy, a new preview says with which run, whose and since when, links to it, and offers only Dismiss", async () => {
    const { runId } = await atFirstGate();
    const preview = await e2e.command("recover manager-slave", { user: U_REQUESTER });
    const blocks = preview.body.blocks as Block[];
    const shown = blockText(blocks);
    expect(shown).toContain("The cluster is busy");
    expect(shown).toContain(runId);
    expect(shown).toContain(`<@${U_REQUESTER}>`);
    expect(shown).toMatch(/<!date\^\d+\^/);
    // The link is Slack's permalink of the holder's run message.
    const ts = (await e2e.runMessage(runId)).ts;
    expect(shown).toContain(`/archives/${(await e2e.runMessage(runId)).channel}/p${ts.replace(".", "")}`);
    expect(JSON.stringify(blocks)).not.toContain(ACTION.start);
    expect(JSON.stringify(blocks)).toContain(ACTION.cancel);
    expect(JSON.stringify(blocks)).toContain("Dismiss");

    // Start is still checked atomically by the engine: the lock is held by the first run only.
    expect(await e2e.engine.store.lockHolder(sim.clusterName)).toBe(runId);
    await eventually("the abort", async () => {
      await e2e.engine.abort(runId, { userId: U_REQUESTER }, "after-step", { reason: "test over" });
      return true;
    });
    expect((await e2e.waitForRun(runId, isTerminal)).state).toBe("aborted");
  });
});
