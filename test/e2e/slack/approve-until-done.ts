import { ACTION } from "../../../src/bot/blocks/action-ids";
import type { EngineHandle, RunRecord } from "../../../src/jobs";
import type { FakeSlackServer } from "../../../sim/slack/fake-slack-server";
import { clickButton } from "../../helpers/slack/click-button";
import { buttonValue, eventually, isTerminal, SECRET, U_APPROVER } from "./slack-e2e";

export interface BotFleet {
  readonly engine: EngineHandle;
  readonly fake: FakeSlackServer;
  readonly channel: string;
  /** Where the next click goes: any live bot (a load balancer does not care which). */
  readonly eventsUrl: () => string;
}

/** Waits (up to 90 s) until the run satisfies `predicate`. */
export function waitRun(engine: EngineHandle, runId: string, predicate: (r: RunRecord) => boolean): Promise<RunRecord> {
  return eventually(`run ${runId}`, async () => {
    const r = await engine.get(runId);
    return r !== undefined && predicate(r) ? r : undefined;
  }, 90_000);
}

/**
 * Approves every gate of a run as U_APPROVER, clicking Approve on the run
 * message `ts` as Slack shows it, until the run ends or pauses. Each click
 * waits for the message to show that gate's button: the proof that the bot
 * writing the message (whichever it is now) updated it.
 */
export async function approveUntilDone(fleet: BotFleet, runId: string, ts: string): Promise<RunRecord> {
  let run = await waitRun(fleet.engine, runId, (r) => isTerminal(r) || r.state === "paused" || (r.state === "awaiting_approval" && r.gate?.status === "open"));
  while (run.state === "awaiting_approval") {
    const gate = run.gate!;
    const blocks = await eventually(
      `step ${gate.stepIndex}'s Approve on the run message`,
      () => {
        const now = fleet.fake.latest(ts)?.blocks;
        const value = buttonValue(now, ACTION.approve);
        return value?.stepIndex === gate.stepIndex && value.attempt === gate.attempt ? now : undefined;
      },
      20_000,
    );
    await clickButton({ eventsUrl: fleet.eventsUrl(), secret: SECRET, message: { blocks: blocks ?? [], ts }, actionId: ACTION.approve, userId: U_APPROVER, channelId: fleet.channel, responseUrl: fleet.fake.responseUrl(`approve-${runId}-${gate.stepIndex}`) });
    run = await waitRun(fleet.engine, runId, (r) => isTerminal(r) || r.state === "paused" || (r.state === "awaiting_approval" && r.gate?.status === "open" && (r.gate.stepIndex !== gate.stepIndex || r.gate.attempt !== gate.attempt)));
  }
  return run;
}
