import type { EngineHandle } from "../jobs";
import { refFromNotifierState, refToNotifierState, type MessageRef, type NotifierStore } from "../bot/notifier/notifier-store";

/**
 * Keeps each run's Slack message reference in the run record itself, so a
 * restarted (or second) bot process updates the existing message instead of
 * posting another one.
 */
export function engineNotifierStore(engine: Pick<EngineHandle, "get" | "setNotifierState">): NotifierStore {
  return {
    async load(runId: string): Promise<MessageRef | undefined> {
      const run = await engine.get(runId);
      return refFromNotifierState(run?.notifierState);
    },
    async save(runId: string, ref: MessageRef): Promise<void> {
      await engine.setNotifierState(runId, refToNotifierState(ref));
    },
  };
}
