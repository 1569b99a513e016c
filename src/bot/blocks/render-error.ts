import { BotError, CommandError, EngineTimeoutError } from "../bot-errors";
import { mrkdwn, type Block, type MessagePayload } from "./block-types";
import { fitBlocks } from "./fit-blocks";
import { escapeMrkdwn, truncatePlain } from "./fit-text";

/** The engine's refusals are `EngineError`s with a string code; matched by shape so bot/ does not depend on jobs/ internals. */
function engineCode(err: unknown): string | undefined {
  if (!(err instanceof Error) || err.name !== "EngineError") return undefined;
  const code = (err as Error & { code?: unknown }).code;
  return typeof code === "string" ? code : "refused";
}

/**
 * An ephemeral explanation: what was wrong and how to write it (command
 * errors), why the engine refused, or that the engine is unreachable.
 */
export function renderError(err: unknown): MessagePayload {
  const blocks: Block[] = [];
  let text: string;
  if (err instanceof CommandError) {
    text = `:warning: ${err.message}`;
    blocks.push({ type: "section", text: mrkdwn(text) });
    const usage = err.usage !== undefined ? `Usage: \`${escapeMrkdwn(err.usage)}\`` : "";
    const more = err.suggestions.length === 0 || err.message.includes("did you mean") ? "" : `Try: ${err.suggestions.map((s) => `\`${escapeMrkdwn(s)}\``).join(" or ")}`;
    const help = [usage, more, `All commands: \`/leofs help\`, \`/dirac help\``].filter((s) => s.length > 0).join("\n");
    blocks.push({ type: "context", elements: [mrkdwn(help)] });
  } else if (err instanceof EngineTimeoutError) {
    text = `:hourglass: The engine did not answer within ${Math.round(err.timeoutMs / 1000)}s (${err.operation}); Redis or the workers may be down. The request may or may not have been applied: check with \`show <run>\` before trying again.`;
    blocks.push({ type: "section", text: mrkdwn(text) });
  } else if (engineCode(err) !== undefined) {
    text = `:no_entry: ${escapeMrkdwn((err as Error).message)}`;
    blocks.push({ type: "section", text: mrkdwn(text) }, { type: "context", elements: [mrkdwn(`refused: \`${escapeMrkdwn(engineCode(err) ?? "")}\``)] });
  } else if (err instanceof BotError) {
    text = `:warning: ${escapeMrkdwn(err.message)}`;
    blocks.push({ type: "section", text: mrkdwn(text) });
  } else {
    const message = err instanceof Error ? err.message : String(err);
    text = `:boom: Something went wrong: ${escapeMrkdwn(message)}`;
    blocks.push({ type: "section", text: mrkdwn(text) });
  }
  return { text: truncatePlain(text, 3000), blocks: fitBlocks(blocks, "message") };
}
