import type { App, ReceiverEvent } from "@slack/bolt";
import type { Logger } from "pino";

/** What a request was, in a few words for the log (never the payload: it may hold what the user typed). */
function kindOf(body: Record<string, unknown>): { type: string; callbackId?: string } {
  const view = body.view as { callback_id?: unknown } | null | undefined;
  const type = typeof body.type === "string" ? body.type : typeof body.command === "string" ? "command" : "unknown";
  return { type: type.slice(0, 40), ...(typeof view?.callback_id === "string" ? { callbackId: view.callback_id.slice(0, 80) } : {}) };
}

/**
 * A request that no listener acknowledges (the submission of a modal this
 * version does not know, a payload whose type Bolt cannot tell) would get
 * Bolt's 404 only after 3 s, and Slack would show the user an error. Once
 * Bolt is done with a request and nobody acked it, nobody will: it is acked
 * then, at once. Found by `npm run chaos` (fuzzed view submissions).
 */
export function ackUnhandledRequests(app: App, logger: Logger): void {
  const processEvent = app.processEvent.bind(app);
  app.processEvent = async (event: ReceiverEvent): Promise<void> => {
    let acked = false;
    const ack = event.ack;
    await processEvent({
      ...event,
      ack: (response?: unknown) => {
        acked = true;
        return ack(response);
      },
    });
    if (acked) return;
    logger.info(kindOf(event.body), "slack: a request no listener took: acked, nothing done");
    await ack();
  };
}
