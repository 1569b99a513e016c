import { ALICE, BOB, LEOFS_CHANNEL, type Demo } from "../../../demo/start-demo";
import { findButton } from "../../../sim/console/find-button";
import type { RunRecord } from "../../../src/jobs";
import { eventually as eventuallyPoll } from "../../helpers/eventually";

export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  return eventuallyPoll(what, check, timeoutMs, 100);
}

/** Alice's ephemeral plan previews, oldest first. */
function previews(demo: Demo): string[] {
  return demo.console.store
    .allMessages()
    .filter((m) => m.ephemeralFor === ALICE.id && m.text.startsWith("Plan:"))
    .map((m) => m.id);
}

/** "The plan changed since it was shown": the answer to a Start whose plan hash no longer matches. */
function replanNotes(demo: Demo): number {
  return demo.console.store.allMessages().filter((m) => m.ephemeralFor === ALICE.id && m.text.includes("The plan changed")).length;
}

/**
 * `/leofs recover manager-slave` typed by Alice in the console, then Start on
 * the preview (again on a fresh preview if the plan's timestamp moved on).
 */
export async function requestRecoverSlave(demo: Demo): Promise<RunRecord> {
  const engine = demo.intervene.engine!;
  const before = new Set((await engine.list()).map((r) => r.id));
  const reply = await demo.console.command(ALICE.id, LEOFS_CHANNEL.id, "/leofs recover manager-slave");
  if (reply.status !== 200) throw new Error(`the bot did not ack the command: ${reply.status} ${reply.body}`);
  for (let attempt = 0; attempt < 3; attempt++) {
    const preview = await eventually("a plan preview", () => previews(demo)[attempt], 20_000);
    const replans = replanNotes(demo);
    await demo.console.click(ALICE.id, preview, "intervene.start");
    const outcome = await eventually("the run or a fresh preview", async () => {
      const run = (await engine.list()).find((r) => !before.has(r.id));
      if (run !== undefined) return run;
      return replanNotes(demo) > replans && previews(demo).length > attempt + 1 ? "replanned" : undefined;
    });
    if (outcome !== "replanned") return outcome;
  }
  throw new Error("Start never took: the plan changed on every click");
}

/** The run's message in the channel, as the console stores it. */
export function runMessageOf(demo: Demo): { id: string; blocks: readonly unknown[] } | undefined {
  return demo.console.store.channelMessages(LEOFS_CHANNEL.id, (m) => m.threadTs === undefined)[0];
}

/** Bob clicks Approve on the run message until the run ends; returns the final record. */
export async function approveToEnd(demo: Demo, runId: string, onGate?: () => Promise<void>): Promise<RunRecord> {
  const engine = demo.intervene.engine!;
  return eventually(
    "the run to finish",
    async () => {
      const run = await engine.get(runId);
      if (run === undefined) throw new Error(`run ${runId} vanished`);
      if (["succeeded", "failed", "aborted", "paused"].includes(run.state)) return run;
      const message = runMessageOf(demo);
      const approve = message === undefined ? undefined : findButton(message.blocks, "intervene.approve");
      // The message may still show the previous gate for a moment: click only the button of the gate that is open.
      const gateOpen = run.state === "awaiting_approval" && approve !== undefined && (JSON.parse(approve.value ?? "{}") as { s?: unknown }).s === run.cursor;
      if (message !== undefined && gateOpen) {
        await onGate?.();
        const reply = await demo.console.click(BOB.id, message.id, "intervene.approve");
        if (reply.status !== 200) throw new Error(`the bot did not ack the approval: ${reply.status}`);
        await eventually("the approval to land", async () => ((await engine.get(runId))?.steps[run.cursor]?.approvals.length ?? 0) > 0 || undefined);
      }
      return undefined;
    },
    120_000,
  );
}
