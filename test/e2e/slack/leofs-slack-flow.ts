import { ACTION } from "../../../src/bot/blocks/action-ids";
import type { Block } from "../../../src/bot/blocks/block-types";
import type { RunRecord } from "../../../src/jobs";
import { startLeofsSim, type LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { getTestbed } from "../../helpers/testbed";
import { buttonValue, E2E_APPROVAL, eventually, SLACK_ACK_DEADLINE_MS, isTerminal, startSlackE2e, textOf, type CommandAnswer, type SlackE2e, type VisibleMessage } from "./slack-e2e";

// One way to break a manager for every e2e file: the Slack flows and the procedures alike.
export { breakManagerMnesia } from "../procedures/leofs-e2e";

/**
 * One simulated LeoFS cluster and the product on the fake Slack for a
 * describe block: started before its tests, stopped after them.
 */
export function useLeofsSlackE2e(transport: "http" | "socket" = "http"): { readonly sim: () => LeofsSim; readonly e2e: () => SlackE2e } {
  let sim: LeofsSim | undefined;
  let e2e: SlackE2e | undefined;
  beforeAll(async () => {
    sim = await startE2eLeofsSim();
    e2e = await startSlackE2e({ inventoryFile: sim.inventoryPath, privateKeyFile: sim.privateKeyPath, knownHostsFile: sim.knownHostsPath, redisUrl: getTestbed().redisUrl }, {}, transport);
  });
  afterAll(async () => {
    for (const run of (await e2e?.engine.list({ active: true })) ?? []) await e2e?.engine.abort(run.id, { userId: run.requestedBy }, "now").catch(() => undefined);
    await e2e?.close();
    await sim?.stop();
  });
  const must = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} did not start`);
    return value;
  };
  return { sim: () => must(sim, "the LeoFS simulator"), e2e: () => must(e2e, "the product") };
}

/** The cluster of the brief: two managers, three storage nodes, one gateway, started; approvals by U_APPROVER or U_SECOND. */
export function startE2eLeofsSim(): Promise<LeofsSim> {
  // The headline flow recovers a manager: its Mnesia is real Erlang (issue 11 point 0).
  return startLeofsSim({ storage: 3, gateways: 1, started: true, approval: E2E_APPROVAL, mnesia: "erlang" });
}

export interface StartedRun {
  readonly preview: CommandAnswer;
  readonly runId: string;
  /** What the Start click's response_url got (the preview replaced by "Run … started"). */
  readonly started: readonly Record<string, unknown>[];
}

/** `/leofs <text>` as `user`, then Start on the ephemeral preview; returns once the run exists. */
export async function requestAndStart(e2e: SlackE2e, text: string, user: string): Promise<StartedRun> {
  const preview = await e2e.command(text, { user });
  return { preview, ...(await startFromPreview(e2e, preview, user)) };
}

/** Start clicked on a plan preview by `user`; returns once the run exists. */
export async function startFromPreview(e2e: SlackE2e, preview: CommandAnswer, user: string): Promise<Omit<StartedRun, "preview">> {
  const before = new Set((await e2e.engine.list()).map((r) => r.id));
  const click = await e2e.click({ blocks: preview.body.blocks as Block[] }, ACTION.start, user, { ephemeral: true });
  const run = await eventually("the started run", async () => (await e2e.engine.list()).find((r) => !before.has(r.id)));
  return { runId: run.id, started: click.responses };
}

/** The run message as it reads now, once it shows the buttons of the run's open gate. */
export async function messageAtGate(e2e: SlackE2e, run: RunRecord): Promise<VisibleMessage> {
  const gate = run.gate;
  if (gate?.status !== "open") throw new Error(`run ${run.id} has no open gate`);
  const message = await e2e.runMessage(run.id);
  const blocks = await eventually(`the run message to show the gate of step ${gate.stepIndex}`, () => {
    const latest = e2e.fake.latest(message.ts)?.blocks;
    const value = buttonValue(latest, ACTION.approve);
    return value !== undefined && value.stepIndex === gate.stepIndex && value.attempt === gate.attempt ? latest : undefined;
  });
  return { blocks: blocks ?? [], ts: message.ts };
}

export interface GateVisit {
  readonly run: RunRecord;
  readonly message: VisibleMessage;
}

export interface DriveOutcome {
  /** The run once terminal or paused. */
  readonly run: RunRecord;
  /** Step ids of the gates approved, in order. */
  readonly approved: readonly string[];
  /** Every click answer of the approvals (the approver's ephemeral confirmations). */
  readonly answers: readonly (readonly Record<string, unknown>[])[];
}

/**
 * Approves every gate by clicking Approve on the run message as `approver`,
 * until the run ends or pauses. `atGate` runs first at each gate (e.g. a
 * refused click by someone else).
 */
export async function approveThroughSlack(e2e: SlackE2e, runId: string, approver: string, atGate?: (visit: GateVisit) => Promise<void>): Promise<DriveOutcome> {
  const approved: string[] = [];
  const answers: (readonly Record<string, unknown>[])[] = [];
  for (;;) {
    const run = await e2e.waitForRun(runId, (r) => isTerminal(r) || r.state === "paused" || (r.state === "awaiting_approval" && r.gate?.status === "open"), 90_000);
    if (run.state !== "awaiting_approval") return { run, approved, answers };
    const message = await messageAtGate(e2e, run);
    if (atGate !== undefined) await atGate({ run, message });
    const click = await e2e.click(message, ACTION.approve, approver);
    if (click.ack.status !== 200 || click.ack.elapsedMs >= SLACK_ACK_DEADLINE_MS) throw new Error(`Approve not acked in time: HTTP ${click.ack.status} after ${click.ack.elapsedMs} ms`);
    if (!textOf(click.responses).includes("You approved")) throw new Error(`approval refused: ${textOf(click.responses)}`);
    answers.push(click.responses);
    const stepIndex = run.gate?.stepIndex;
    approved.push(stepIndex === null || stepIndex === undefined ? "run" : (run.plan.steps[stepIndex]?.id ?? String(stepIndex)));
  }
}

/** Step index of a plan step by id. */
export function indexOf(run: RunRecord, stepId: string): number {
  const step = run.plan.steps.find((s) => s.id === stepId);
  if (step === undefined) throw new Error(`the plan has no step ${stepId}`);
  return step.index;
}
