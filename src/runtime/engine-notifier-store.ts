import type { EngineHandle } from "../jobs";
import { refFromNotifierState, refToNotifierState, type MessageRef, type NotifierStore } from "../bot/notifier/notifier-store";

/**
 * Keeps each run's Slack message reference in the run record itself, so a
 * restarted (or second) bot process updates the existing message instead of
 * posting another one.
 */
export function engineNotifierStore(engine: Pick<EngineHandle, "notifierState" | "setNotifierState">): NotifierStore {
  return {
    // The ref alone: the bot's events carry the run, so it never needs the whole record read again (issue 13).
    async load(runId: string): Promise<MessageRef | undefined> {
      return refFromNotifierState(await engine.notifierState(runId));
    },
    async save(runId: string, ref: MessageRef): Promise<void> {
      await engine.setNotifierState(runId, refToNotifierState(ref));
    },
  };
}
