import { CommandError } from "../bot-errors";

const OPENING_QUOTES: Record<string, string> = { '"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019" };

/**
 * Slack sends slash-command text with `&`, `<`, `>` HTML-escaped and may wrap
 * things it recognises (e-mail-like `name@host`, URLs) as `<mailto:x|x>`:
 * undo both so the grammar sees what the operator typed.
 */
export function unescapeSlackText(text: string): string {
  return text
    .replace(/<(?:mailto:|https?:\/\/)[^|>]*\|([^>]*)>/g, "$1")
    .replace(/<(?:mailto:)([^|>]*)>/g, "$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/**
 * Splits command text on whitespace; a token may be quoted with "..." or '...'
 * (or the curly quotes Slack clients substitute), e.g. `package="leofs 1.4.3.deb"`.
 */
export function tokenizeCommand(text: string): string[] {
  const tokens: string[] = [];
  let current = "";
  let inToken = false;
  let closing: string | undefined;
  for (const ch of text) {
    if (closing !== undefined) {
      if (ch === closing) closing = undefined;
      else current += ch;
      continue;
    }
    const close = OPENING_QUOTES[ch];
    if (close !== undefined) {
      closing = close;
      inToken = true;
    } else if (/\s/.test(ch)) {
      if (inToken) tokens.push(current);
      current = "";
      inToken = false;
    } else {
      current += ch;
      inToken = true;
    }
  }
  if (closing !== undefined) {
    throw new CommandError("command_invalid", `a quote is not closed: add the closing ${closing}`, [], undefined);
  }
  if (inToken) tokens.push(current);
  return tokens;
}
