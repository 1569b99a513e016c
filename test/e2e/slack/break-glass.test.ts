import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { getTestbed } from "../../helpers/testbed";
import type { LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { requestAndStart, startE2eLeofsSim } from "./leofs-slack-flow";
import { isTerminal, startSlackE2e, textOf, U_REQUESTER, type SlackE2e } from "./slack-e2e";

jest.setTimeout(120_000);

const GLASS = "C0BREAKGLASS";

/**
 * Issue 12 point 12 through the real product (signed slash commands, the
 * real engine and worker on Redis, the LeoFS simulator over sshd):
 * allowSelfApproval is gone; in the cluster's break-glass channel, and only
 * there, a requester may approve their own gate with a reason. It is posted
 * loudly in the cluster's channel, marked in the audit, and the worker (which
 * re-checks every approval's seal against its own inventory) runs the step.
 */
describe("break-glass instead of self-approval", () => {
  let sim: LeofsSim;
  let e2e: SlackE2e;
  let channel: string;

  beforeAll(async () => {
    sim = await startE2eLeofsSim();
    const doc = YAML.parse(fs.readFileSync(sim.inventoryPath, "utf8")) as { defaults: { approval: Record<string, unknown> }; clusters: Record<string, { channel: string }> };
    doc.defaults.approval.breakGlass = { channel: GLASS };
    channel = Object.values(doc.clusters)[0]!.channel;
    const inventoryFile = path.join(path.dirname(sim.inventoryPath), "inventory-break-glass.yaml");
    fs.writeFileSync(inventoryFile, YAML.stringify(doc));
    e2e = await startSlackE2e({ inventoryFile, privateKeyFile: sim.privateKeyPath, knownHostsFile: sim.knownHostsPath, redisUrl: getTestbed().redisUrl });
  });
  afterAll(async () => {
    for (const run of (await e2e?.engine.list({ active: true })) ?? []) await e2e.engine.abort(run.id, { userId: run.requestedBy }, "now").catch(() => undefined);
    await e2e?.close();
    await sim?.stop();
  });

  it("the requester's own approval is refused in the cluster's channel, taken with a reason in the break-glass channel, announced, audited, and run by the worker", async () => {
    const node = sim.hostOf("storage", 2).node;
    const { runId } = await requestAndStart(e2e, `suspend storage ${node}`, U_REQUESTER);
    const waiting = await e2e.waitForRun(runId, (r) => r.state === "awaiting_approval" || isTerminal(r));
    expect(waiting.state).toBe("awaiting_approval");
    const gate = waiting.gate!;
    const approve = `approve ${runId} step=${gate.stepIndex} attempt=${gate.attempt}`;

    const here = await e2e.command(approve, { user: U_REQUESTER, channel });
    expect(textOf(here.body)).toContain("the requester cannot approve their own run (four-eyes); in an emergency, approve it yourself in the break-glass channel C0BREAKGLASS");
    const noReason = await e2e.command(approve, { user: U_REQUESTER, channel: GLASS });
    expect(textOf(noReason.body)).toContain("four-eyes");
    expect((await e2e.engine.get(runId))?.state).toBe("awaiting_approval");

    const glass = await e2e.command(`${approve} reason="storage_2 disk failing, nobody else on call"`, { user: U_REQUESTER, channel: GLASS });
    expect(textOf(glass.body)).toContain("Break-glass approval");
    // Loud in the cluster's channel.
    const textOfMessage = (m: { versions: ReadonlyArray<{ text?: unknown }> }): string => {
      const text = m.versions.at(-1)?.text;
      return typeof text === "string" ? text : "";
    };
    const findLoud = () => [...e2e.fake.messages.values()].find((m) => m.channel === channel && textOfMessage(m).includes("BREAK-GLASS"));
    await e2e.fake.waitFor(() => findLoud() !== undefined);
    const loud = findLoud();
    expect(textOfMessage(loud!)).toContain(`<@${U_REQUESTER}> approved their own step ${gate.stepIndex}`);
    expect(textOfMessage(loud!)).toContain("Reason: storage_2 disk failing, nobody else on call");
    // The worker accepted the sealed break-glass approval and ran the step.
    const after = await e2e.waitForRun(runId, (r) => r.steps[gate.stepIndex!]?.state === "succeeded" || isTerminal(r));
    expect(after.steps[gate.stepIndex!]?.state).toBe("succeeded");
    const approved = (await e2e.engine.audit(runId)).find((e) => e.type === "approved");
    expect(approved).toMatchObject({ actor: U_REQUESTER, data: { breakGlass: { channel: GLASS, reason: "storage_2 disk failing, nobody else on call" } } });
    expect((await sim.state.nodeStates()).find((r) => r.node === node)?.state).toBe("suspend");
  });
});
