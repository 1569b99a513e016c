import { approveThroughSlack, breakManagerMnesia, requestAndStart, useLeofsSlackE2e } from "./leofs-slack-flow";
import { textOf, U_APPROVER, U_REQUESTER } from "./slack-e2e";

jest.setTimeout(120_000);

/**
 * Issue 16 point 1 through the real product: when a run ends, the bot shares
 * its incident report (Markdown, files.getUploadURLExternal → upload →
 * files.completeUploadExternal) in the run's thread; `/leofs report <run>`
 * produces the same report on demand. It comes from the run record and the
 * audit stream only.
 */
describe("the incident report of a run", () => {
  const bed = useLeofsSlackE2e();

  it("is shared in the run's thread when the run ends, with who decided what and when, every step's host, command, exit, digest and last lines, the backups and the times", async () => {
    const [sim, e2e] = [bed.sim(), bed.e2e()];
    await breakManagerMnesia(sim, "manager-slave");
    const { runId } = await requestAndStart(e2e, "recover manager-slave", U_REQUESTER);
    const { run } = await approveThroughSlack(e2e, runId, U_APPROVER);
    expect(run.state).toBe("succeeded");
    const message = await e2e.runMessage(runId);
    await e2e.fake.waitFor(() => e2e.fake.files.some((f) => f.threadTs === message.ts), 20_000);
    const shared = e2e.fake.files.find((f) => f.threadTs === message.ts)!;
    expect(shared).toMatchObject({ title: `Incident report: run ${runId}`, channel: message.channel });
    const report = shared.content;

    expect(report).toContain(`# Incident report: ${run.plan.procedureTitle} on ${run.plan.cluster}`);
    expect(report).toContain(`- Run: \`${runId}\`, succeeded`);
    expect(report).toContain("- Procedure: `leofs.recover-manager`; parameters: `target=manager-slave`");
    expect(report).toContain(`- Plan hash: \`${run.plan.planHash}\``);
    // UTC, and the requester's own zone (users.info tz).
    expect(report).toMatch(new RegExp(`- Requested by ${U_REQUESTER} at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ \\(.+ Europe/Paris\\)`));
    expect(report).toMatch(/- Total time: \d+ (s|min)/);
    expect(report).toMatch(/waiting for approvals: \d+ s/);
    // Every approval with who and when.
    const approvals = report.split("\n").filter((l) => /^\| .* \| U0APPROVER \| approved \|/.test(l));
    expect(approvals).toHaveLength(3);
    expect(report).toMatch(/\| U0APPROVER \| approved \| \d+\. stop-manager-slave \| 1 \|/);
    // Each step: host, exact command, exit code, digest, last lines.
    for (const step of run.plan.steps) expect(report).toContain(`### ${step.index + 1}. ${step.title} (`);
    const ping = run.steps[run.plan.steps.find((s) => s.id === "ping-manager-master")!.index]!.outputs[0]!;
    expect(report).toContain(`\`${ping.host}\`, attempt 1: exit 0`);
    expect(report).toContain(`output sha256 \`${ping.digest}\``);
    expect(report).toContain(`$ ${ping.command}\npong`);
    // Backups taken, with their paths.
    expect(report).toMatch(/## Backups\n\n- `leofs-m1:\/.*-manager-slave-mnesia`: manager_1@[\d.]+'s Mnesia files before the copy/);

    // The cluster before and after (issue 16 point 2), read at the start and the end through a worker:
    // the manager-slave's console comes back, and the recovery left the nodes and the ring as they were.
    expect(report).toContain("## Cluster before and after");
    expect(report).toContain("- manager-slave console: leofs_error → ok");
    expect(report).not.toMatch(/ring hash: |ring: /);
    expect(report).not.toContain("**Warning:**");
    const ended = await e2e.engine.get(runId);
    expect(ended?.snapshots?.before).toMatchObject({ kind: "leofs" });
    expect(ended?.snapshots?.after).toMatchObject({ kind: "leofs" });
    await e2e.fake.waitFor(() => textOf(e2e.fake.latest(message.ts)?.blocks).includes("Cluster before → after"), 10_000);

    // On demand, the same report.
    const asked = await e2e.command(`report ${runId}`, { user: U_APPROVER, channel: message.channel });
    expect(textOf(asked.body)).toContain(`Incident report of run \`${runId}\` shared in the run's thread`);
    const again = e2e.fake.files.filter((f) => f.threadTs === message.ts);
    expect(again).toHaveLength(2);
    expect(again[1]!.content).toBe(report);
  });
});
