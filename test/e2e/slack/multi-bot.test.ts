import { ACTION } from "../../../src/bot/blocks/action-ids";
import type { Block } from "../../../src/bot/blocks/block-types";
import { postSlashCommand } from "../../../sim/slack/slack-signer";
import { clickButton } from "../../helpers/slack/click-button";
import { approveUntilDone, waitRun } from "./approve-until-done";
import { useBotFleet, type BotProcess } from "./bot-fleet";
import { breakManagerMnesia, startE2eLeofsSim } from "./leofs-slack-flow";
import { eventually, SECRET, U_REQUESTER } from "./slack-e2e";

jest.setTimeout(180_000);

/**
 * Issue 15 point 1: two bot processes (ROLE=bot, the product's own entry)
 * behind one "load balancer" (commands and clicks go to either), one worker,
 * one Redis. Exactly one bot writes a run's messages (a lease in Redis); the
 * test SIGKILLs that bot by pid in the middle of the run, and the other one
 * takes over within 10 s: the run message ends equal to the run's final
 * state, and the run has exactly one message in the channel.
 */
describe("several bot processes: one writer per run, and failover", () => {
  const fleetOf = useBotFleet(startE2eLeofsSim, 2);

  it("the writer dies mid-run; the other bot takes over within 10 s; the message ends equal to the run, posted once", async () => {
    const fleet = fleetOf();
    const { engine, fake, channel } = fleet;
    await breakManagerMnesia(fleet.sim, "manager-slave");
    const [first, second] = fleet.bots as [BotProcess, BotProcess];
    // The command reaches one bot, the Start click the other (a load balancer does not care).
    await postSlashCommand(first.eventsUrl, SECRET, { command: "/leofs", text: "recover manager-slave", user_id: U_REQUESTER, channel_id: channel, response_url: fake.responseUrl("preview") });
    await fake.waitFor(() => fake.responsesTo("preview").length > 0, 15_000);
    const preview = fake.responsesTo("preview")[0]!.body as { blocks: Block[] };
    await clickButton({ eventsUrl: second.eventsUrl, secret: SECRET, message: { blocks: preview.blocks }, actionId: ACTION.start, userId: U_REQUESTER, channelId: channel, responseUrl: fake.responseUrl("start"), ephemeral: true });
    const runId = await eventually("the run", async () => (await engine.list())[0]?.id);

    // At the first gate: the run message exists and one bot writes it.
    await waitRun(engine, runId, (r) => r.state === "awaiting_approval" && r.gate?.status === "open");
    const ts = await eventually("the run message", () => fleet.runMessageTs(runId));
    const writer = await eventually("the writing bot", () => fleet.writerPid(runId));
    const dead = fleet.bots.find((b) => b.pid === writer)!;
    const alive = fleet.bots.find((b) => b.pid !== writer)!;
    expect(dead).toBeDefined();
    process.kill(dead.pid, "SIGKILL");
    await dead.exited;
    const killedAt = Date.now();
    // Watched from the kill on, alongside the approvals: the moment the survivor holds the run's lease.
    const takeover = eventually("the surviving bot writing", async () => ((await fleet.writerPid(runId)) === alive.pid ? Date.now() : undefined), 30_000);

    // Approvals go through the surviving bot; it takes the run's messages over.
    const run = await approveUntilDone({ engine, fake, channel, eventsUrl: () => alive.eventsUrl }, runId, ts);
    const takenOverAt = await takeover;
    expect(takenOverAt - killedAt).toBeLessThanOrEqual(10_000);
    expect(run.state).toBe("succeeded");

    // The message ends equal to the run's final state, and there is exactly one run message.
    expect(await fleet.finalMessage(runId, ts)).toEqual({ equal: true, posts: [ts] });
  });
});
