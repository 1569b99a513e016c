import { ACTION } from "../../../src/bot/blocks/action-ids";
import type { Block } from "../../../src/bot/blocks/block-types";
import { renderRunMessage } from "../../../src/bot/blocks/render-run-message";
import { approveThroughSlack, breakManagerMnesia, indexOf, startFromPreview, useLeofsSlackE2e } from "./leofs-slack-flow";
import { SLACK_ACK_DEADLINE_MS, textOf, blockText, U_APPROVER, U_REQUESTER, U_SECOND, type SlackE2e } from "./slack-e2e";

jest.setTimeout(120_000);

// Seed 000 Case 1 driven only through Slack's HTTP boundary: signed slash command and button clicks in,
// Web API calls out, with the real composition root, engine, BullMQ worker and SSH on a simulated cluster.
describe("recovering manager-slave from Slack", () => {
  const bed = useLeofsSlackE2e();

  it("goes from /leofs recover manager-slave to a recovered slave, with four-eyes approval of every destructive step and the channel kept informed", async () => {
    const [sim, e2e] = [bed.sim(), bed.e2e()];
    await breakManagerMnesia(sim, "manager-slave");
    expect(await sim.state.mnesiaOf(1)).toMatchObject({ files: "corrupt", running: true });
    const channel = "C0LEOFSSIM";
    const apiCallsBefore = e2e.fake.calls.length;

    // The command is acked at once and answered with a preview only the requester sees.
    const preview = await e2e.command("recover manager-slave", { user: U_REQUESTER });
    expect(preview.ack.status).toBe(200);
    expect(preview.ack.elapsedMs).toBeLessThan(SLACK_ACK_DEADLINE_MS);
    expect(preview.body).toMatchObject({ response_type: "ephemeral" });
    expect(textOf(preview.body.blocks)).toContain(ACTION.start);
    expect(textOf(preview.body.blocks)).toContain("Recover a LeoFS manager");
    expect(e2e.fake.calls.slice(apiCallsBefore).filter((c) => c.method.startsWith("chat."))).toEqual([]);
    expect(await e2e.engine.list()).toEqual([]);

    const { runId, started } = await startFromPreview(e2e, preview, U_REQUESTER);
    expect(textOf(started)).toContain(`Run \`${runId}\` started by <@${U_REQUESTER}>`);

    // The run message appears in the cluster's channel; the approval request mentions both approvers.
    const message = await e2e.runMessage(runId);
    expect(message.channel).toBe(channel);
    const selfRefusals: string[] = [];
    const outcome = await approveThroughSlack(e2e, runId, U_APPROVER, async ({ run, message: atGate }) => {
      const stepIndex = run.gate?.stepIndex ?? -1;
      const step = run.plan.steps[stepIndex];
      const asked = await eventuallyReply(e2e, message.ts, `approval needed for step ${stepIndex + 1}`);
      expect(asked).toContain(`<@${U_APPROVER}> <@${U_SECOND}>`);
      expect(textOf(atGate.blocks)).toContain(step?.title ?? "?");
      // Four-eyes: the requester's own click is refused, only to them, and changes nothing.
      const self = await e2e.click(atGate, ACTION.approve, U_REQUESTER);
      expect(self.ack.status).toBe(200);
      expect(self.responses[0]).toMatchObject({ response_type: "ephemeral", replace_original: false });
      selfRefusals.push(textOf(self.responses));
      expect((await e2e.engine.get(runId))?.state).toBe("awaiting_approval");
    });

    const run = outcome.run;
    expect(run.state).toBe("succeeded");
    expect(outcome.approved).toEqual(["stop-manager-slave", "stop-manager-master", "backup-manager-slave-mnesia"]);
    expect(selfRefusals).toHaveLength(3);
    for (const refusal of selfRefusals) expect(refusal).toContain("the requester cannot approve their own run");
    for (const step of run.steps) expect(step.state).toBe("succeeded");
    for (const i of ["stop-manager-slave", "stop-manager-master", "backup-manager-slave-mnesia"].map((id) => indexOf(run, id))) {
      expect(run.steps[i]?.approvals.map((d) => `${d.userId} ${d.decision}`)).toEqual([`${U_APPROVER} approved`]);
    }

    // One run message, updated in place until it shows the final state exactly as the engine has it.
    await e2e.fake.waitFor(() => textOf(e2e.fake.latest(message.ts)?.blocks).includes(":white_check_mark: *succeeded*"), 15_000);
    // The run's end snapshot of the cluster (issue 16 point 2) lands after its end and is shown too.
    const finalRun = await e2e.waitForRun(runId, (r) => r.snapshots?.after !== undefined);
    const expected = renderRunMessage(finalRun);
    await e2e.fake.waitFor(() => textOf(e2e.fake.latest(message.ts)?.blocks) === textOf(expected.blocks), 10_000);
    expect(e2e.fake.latest(message.ts)?.blocks).toEqual(JSON.parse(JSON.stringify(expected.blocks)) as Block[]);
    expect(e2e.fake.topLevel(channel).map((m) => m.ts)).toEqual([message.ts]);
    const updates = e2e.fake.callsOf("chat.update");
    expect(updates.length).toBeGreaterThan(5);
    expect(new Set(updates.map((u) => `${String(u.args.channel)} ${String(u.args.ts)}`))).toEqual(new Set([`${channel} ${message.ts}`]));
    expect(e2e.fake.violations).toEqual([]);

    // Thread replies: one per finished step with its output tail in a code block, the gates, and the final summary
    // (posted last, about one a second as Slack asks).
    const isFinal = (c: { method: string; args: Record<string, unknown> }): boolean => c.method === "chat.postMessage" && String(c.args.reply_broadcast) === "true";
    await e2e.fake.waitFor(() => e2e.fake.calls.some(isFinal), 60_000);
    const replies = e2e.fake.replies(message.ts).map((r) => blockText(r.versions[0]?.blocks));
    const replyFor = (stepId: string): string => {
      const step = run.plan.steps[indexOf(run, stepId)]!;
      return replies.find((r) => r.includes(`*${step.index + 1}. ${step.title}*`)) ?? "";
    };
    expect(replyFor("ping-manager-master")).toMatch(/```[^`]*pong[^`]*```/);
    expect(replyFor("digest-manager-master-mnesia")).toMatch(/```\s*[0-9a-f]{64}\s*```/);
    expect(replyFor("preflight-status")).toContain("```");
    expect(replyFor("preflight-status")).toContain("storage_0@");
    expect(run.plan.steps.filter((s) => replyFor(s.id) === "")).toEqual([]);
    expect(replies.filter((r) => r.includes("approval needed"))).toHaveLength(3);
    const final = e2e.fake.calls.filter(isFinal);
    expect(final).toHaveLength(1);
    expect(textOf(final[0]?.args.blocks)).toContain(`succeeded`);
    expect(textOf(final[0]?.args.blocks)).toContain(`${run.plan.steps.length} of ${run.plan.steps.length} steps succeeded`);

    // The cluster: the slave's Mnesia is now the master's, both run, the lock is free.
    const [master, slave] = [await sim.state.mnesiaOf(0), await sim.state.mnesiaOf(1)];
    expect(slave).toMatchObject({ files: "ok", running: true, mnesia: "ok" });
    expect(slave.cookie).toBe(master.cookie);
    expect(slave.fingerprint).toBe(master.fingerprint);
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
    expect(await e2e.engine.store.lockHolder(sim.clusterName)).toBeUndefined();
  });
});

/** The text of the first thread reply under `ts` that contains `needle`, once it exists. */
async function eventuallyReply(e2e: SlackE2e, ts: string, needle: string): Promise<string> {
  let found = "";
  await e2e.fake.waitFor(() => {
    found = e2e.fake.replies(ts).map((r) => textOf(r.versions[0]?.blocks)).find((t) => t.includes(needle)) ?? "";
    return found !== "";
  }, 15_000);
  return found;
}
