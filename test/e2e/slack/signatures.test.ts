import { ACTION } from "../../../src/bot/blocks/action-ids";
import type { Block } from "../../../src/bot/blocks/block-types";
import { clickButton } from "../../helpers/slack/click-button";
import { postSlashCommand, type SignOptions } from "../../../sim/slack/slack-signer";
import { getTestbed } from "../../helpers/testbed";
import type { LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { startE2eLeofsSim } from "./leofs-slack-flow";
import { SECRET, SLACK_ACK_DEADLINE_MS, startSlackE2e, textOf, U_APPROVER, U_REQUESTER, type CommandAnswer, type SlackE2e } from "./slack-e2e";

jest.setTimeout(120_000);

const BAD_SIGNATURES: ReadonlyArray<readonly [string, SignOptions]> = [
  ["unsigned", { unsigned: true }],
  ["badly signed", { signature: `v0=${"0".repeat(64)}` }],
  // The requester's signed request replayed as if from an approver.
  ["tampered after signing", { tamper: (body: string) => body.replaceAll(U_REQUESTER, U_APPROVER) }],
  ["stale (6 minutes old)", { timestamp: Math.floor(Date.now() / 1000) - 360 }],
];

// Bolt's request verification, through the real composition root: nothing unsigned reaches the engine.
describe("request signatures at /slack/events of the running product", () => {
  let sim: LeofsSim;
  let e2e: SlackE2e;
  let preview: CommandAnswer;
  let webApiCallsBefore: number;

  beforeAll(async () => {
    sim = await startE2eLeofsSim();
    e2e = await startSlackE2e({ inventoryFile: sim.inventoryPath, privateKeyFile: sim.privateKeyPath, knownHostsFile: sim.knownHostsPath, redisUrl: getTestbed().redisUrl });
    // A genuine preview, so the forged clicks below carry a real Start button.
    preview = await e2e.command("recover manager-slave", { user: U_REQUESTER });
    expect(textOf(preview.body.blocks)).toContain(ACTION.start);
    webApiCallsBefore = e2e.fake.calls.length;
  });
  afterAll(async () => {
    await e2e?.close();
    await sim?.stop();
  });

  it.each(BAD_SIGNATURES)("%s: the slash command and the Start click are refused with 401 and have no effect", async (name, sign) => {
    const responseId = `forged-${name.replace(/\W+/g, "-")}`;
    const command = await postSlashCommand(e2e.eventsUrl, SECRET, { command: "/leofs", text: "recover manager-slave", user_id: U_REQUESTER, channel_id: "C0LEOFSSIM", response_url: e2e.fake.responseUrl(responseId) }, sign);
    expect(command.status).toBe(401);
    const click = await clickButton({
      eventsUrl: e2e.eventsUrl,
      secret: SECRET,
      message: { blocks: preview.body.blocks as Block[] },
      actionId: ACTION.start,
      userId: U_REQUESTER,
      channelId: "C0LEOFSSIM",
      responseUrl: e2e.fake.responseUrl(responseId),
      ephemeral: true,
      sign,
    });
    expect(click.status).toBe(401);

    // Give a (wrongly) accepted request time to show: an answer, a Web API call, a run.
    await new Promise((r) => setTimeout(r, 300));
    expect(e2e.fake.responsesTo(responseId)).toEqual([]);
    expect(e2e.fake.calls.slice(webApiCallsBefore)).toEqual([]);
    expect(await e2e.engine.list()).toEqual([]);
    const audit = await e2e.engine.store.globalAudit();
    expect(audit.map((a) => a.type)).toEqual(["previewed"]);
  });

  it("the same requests, correctly signed, are accepted (the refusals above are the signature's doing)", async () => {
    const again = await e2e.command("recover manager-slave", { user: U_REQUESTER });
    expect(again.ack.status).toBe(200);
    expect(textOf(again.body.blocks)).toContain(ACTION.start);
    const start = await e2e.click({ blocks: again.body.blocks as Block[] }, ACTION.start, U_REQUESTER, { ephemeral: true });
    expect(start.ack.status).toBe(200);
    expect(textOf(start.responses)).toContain("started by");
    const runs = await e2e.engine.list();
    expect(runs).toHaveLength(1);
    expect(runs[0]?.requestedBy).toBe(U_REQUESTER);
    // Leave the cluster as found: the run waits at its first gate; abort it.
    const run = await e2e.waitForRun(runs[0]!.id, (r) => r.state === "awaiting_approval");
    await e2e.engine.abort(run.id, { userId: U_REQUESTER }, "now");
    expect((await e2e.waitForRun(run.id, (r) => r.state === "aborted")).state).toBe("aborted");
  });

  it("a correctly signed click on a button no listener knows is acked at once and answered in words, nothing done (chaos fuzz finding)", async () => {
    const preview = await e2e.command("recover manager-slave", { user: U_REQUESTER });
    const blocks = JSON.parse(JSON.stringify(preview.body.blocks).replace(/"intervene\.start"/g, '"intervene.start-v0"')) as Block[];
    const click = await e2e.click({ blocks }, "intervene.start-v0", U_REQUESTER, { ephemeral: true });
    expect(click.ack.status).toBe(200);
    expect(click.ack.elapsedMs).toBeLessThan(SLACK_ACK_DEADLINE_MS);
    expect(textOf(click.responses)).toContain("not one intervene knows");
    expect(await e2e.engine.list({ active: true })).toEqual([]);
  });
});
