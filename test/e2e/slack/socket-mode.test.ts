import { ACTION } from "../../../src/bot/blocks/action-ids";
import type { Block } from "../../../src/bot/blocks/block-types";
import { blockActionsPayload } from "../../helpers/slack/click-button";
import { approveThroughSlack, breakManagerMnesia, startFromPreview, useLeofsSlackE2e } from "./leofs-slack-flow";
import { eventually, isTerminal, textOf, U_APPROVER, U_REQUESTER } from "./slack-e2e";

jest.setTimeout(150_000);

/**
 * Issue 15 point 2: Socket Mode, proven. The product's real
 * @slack/socket-mode client (SLACK_APP_TOKEN set) connects to a local server
 * speaking Slack's protocol: apps.connections.open on the fake Web API,
 * hello, envelopes acked by envelope_id, `disconnect` with
 * refresh_requested, and dropped connections. The headline flow runs through
 * it on the LeoFS simulator with the real engine, worker and sshd.
 */
describe("Socket Mode", () => {
  const bed = useLeofsSlackE2e("socket");
  const socket = () => {
    const s = bed.e2e().socket;
    if (s === undefined) throw new Error("started without Socket Mode");
    return s;
  };

  it("connects with the app token: apps.connections.open, then hello", async () => {
    const e2e = bed.e2e();
    await socket().connected();
    expect(e2e.fake.callsOf("apps.connections.open").length).toBeGreaterThanOrEqual(1);
    expect(socket().opened).toBeGreaterThanOrEqual(1);
  });

  it("runs the headline flow: /leofs recover manager-slave, Start, approval by a second user, to success", async () => {
    const [sim, e2e] = [bed.sim(), bed.e2e()];
    await breakManagerMnesia(sim, "manager-slave");
    const preview = await e2e.command("recover manager-slave", { user: U_REQUESTER });
    expect(preview.ack.status).toBe(200);
    expect(textOf(preview.body.blocks)).toContain(ACTION.start);
    const { runId } = await startFromPreview(e2e, preview, U_REQUESTER);
    const outcome = await approveThroughSlack(e2e, runId, U_APPROVER);
    expect(outcome.run.state).toBe("succeeded");
    expect(await sim.state.checkManagers()).toEqual({ consistent: true, detail: "consistent" });
  });

  it("reconnects after disconnect(refresh_requested) and after a dropped connection, and keeps answering", async () => {
    const e2e = bed.e2e();
    const opens = e2e.fake.callsOf("apps.connections.open").length;
    socket().requestRefresh();
    await eventually("a new connection after refresh_requested", () => (e2e.fake.callsOf("apps.connections.open").length > opens && socket().connections > 0 ? true : undefined), 30_000);
    expect(textOf((await e2e.command("help", { user: U_REQUESTER })).body)).toContain("/leofs");

    const before = socket().opened;
    socket().drop();
    await eventually("a new connection after the drop", () => (socket().opened > before && socket().connections > 0 ? true : undefined), 30_000);
    expect(textOf((await e2e.command("runs", { user: U_REQUESTER })).body)).toContain("Recent runs");
  });

  it("an envelope whose ack was lost is redelivered (retry_attempt 1) and its Start is not executed twice", async () => {
    const e2e = bed.e2e();
    const preview = await e2e.command("launch", { user: U_REQUESTER });
    const before = (await e2e.engine.list()).length;
    const click = blockActionsPayload({
      message: { blocks: preview.body.blocks as Block[] },
      actionId: ACTION.start,
      userId: U_REQUESTER,
      channelId: "C0LEOFSSIM",
      responseUrl: e2e.fake.responseUrl("redelivered-start"),
      ephemeral: true,
    });
    // Slack redelivers the same event under a new envelope id when the ack did not reach it.
    await socket().deliver("interactive", click);
    await socket().deliver("interactive", click, { retryAttempt: 1 });
    const runs = await eventually("the started run", async () => {
      const all = await e2e.engine.list();
      return all.length > before ? all : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await e2e.engine.list()).length).toBe(runs.length);
    expect(runs.length - before).toBe(1);
    const run = runs.find((r) => r.plan.procedureId === "leofs.launch")!;
    // launch on a running cluster may already be done: an abort then has nothing to stop.
    await e2e.engine.abort(run.id, { userId: U_REQUESTER }, "now").catch(() => undefined);
    await e2e.waitForRun(run.id, isTerminal);
  });
});
