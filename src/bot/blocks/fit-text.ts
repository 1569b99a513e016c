/**
 * Cutting text for Slack without breaking it: never inside a `<@U…>` mention,
 * `<!subteam^…>`, link or `&amp;` entity, never between the two halves of a
 * surrogate pair, and never leaving a code fence open.
 */
export const ELLIPSIS = "\u2026";
const FENCE = "```";

/** Slack's control characters; everything we did not write ourselves goes through this. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Text shown inside a code block must not close it: break runs of backticks with a zero-width space. */
export function neutraliseFences(text: string): string {
  return text.replace(/`(?=``)/g, "`\u200b");
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

const ENTITY = /^&[a-zA-Z#0-9]{1,8};/;

/** If index `at` falls inside an `&…;` entity, the entity's [start, end). */
function entityAround(text: string, at: number): [number, number] | undefined {
  const amp = text.lastIndexOf("&", at - 1);
  if (amp < 0 || at - amp > 10) return undefined;
  const match = ENTITY.exec(text.slice(amp, amp + 11));
  if (match === null) return undefined;
  const end = amp + match[0].length;
  return end > at ? [amp, end] : undefined;
}

/** If index `at` falls inside a `<…>` token (mention, user group, link), its [start, end). */
function angleTokenAround(text: string, at: number): [number, number] | undefined {
  const open = text.lastIndexOf("<", at - 1);
  if (open < 0 || text.lastIndexOf(">", at - 1) > open) return undefined;
  const close = text.indexOf(">", open);
  return close >= at ? [open, close + 1] : undefined;
}

/** The largest index <= end where `text` may be cut, keeping the head, without splitting a token. */
export function safeCutEnd(text: string, end: number): number {
  let cut = Math.max(0, Math.min(end, text.length));
  if (cut > 0 && cut < text.length && isLowSurrogate(text.charCodeAt(cut))) cut--;
  const angle = angleTokenAround(text, cut);
  if (angle !== undefined) cut = angle[0];
  const entity = entityAround(text, cut);
  if (entity !== undefined) cut = entity[0];
  while (cut > 0 && cut < text.length && text[cut - 1] === "`" && text[cut] === "`") cut--;
  return cut;
}

/** The smallest index >= start where `text` may be cut, keeping the tail, without splitting a token. */
export function safeCutStart(text: string, start: number): number {
  let cut = Math.max(0, Math.min(start, text.length));
  if (cut > 0 && cut < text.length && isLowSurrogate(text.charCodeAt(cut))) cut++;
  const angle = angleTokenAround(text, cut);
  if (angle !== undefined) cut = angle[1];
  const entity = entityAround(text, cut);
  if (entity !== undefined) cut = entity[1];
  while (cut > 0 && cut < text.length && text[cut] === "`" && text[cut - 1] === "`") cut++;
  return cut;
}

function countFences(text: string): number {
  return text.split(FENCE).length - 1;
}

/** Keeps the head of mrkdwn text within `max`, closing a code block the cut left open. */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let budget = max - ELLIPSIS.length;
  while (budget > 0) {
    const head = text.slice(0, safeCutEnd(text, budget));
    const closing = countFences(head) % 2 === 1 ? `\n${FENCE}` : "";
    const out = `${head}${ELLIPSIS}${closing}`;
    if (out.length <= max) return out;
    budget = head.length - (out.length - max);
  }
  return ELLIPSIS.slice(0, max);
}

/** Plain text has no markup; only surrogate pairs must stay whole. */
export function truncatePlain(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - ELLIPSIS.length;
  if (cut > 0 && isLowSurrogate(text.charCodeAt(cut))) cut--;
  return `${text.slice(0, Math.max(0, cut))}${ELLIPSIS}`;
}

/**
 * The end of `raw` (command output) as a code block of at most `max`
 * characters: escaped, fences neutralised, starting at a line boundary when
 * one is near, with a note when lines were dropped.
 */
export function codeBlockTail(raw: string, max: number): string {
  const body = escapeMrkdwn(neutraliseFences(raw.replace(/\s+$/, ""))) || " ";
  const wrap = (inner: string, cut: boolean): string => `${FENCE}\n${cut ? `${ELLIPSIS}\n` : ""}${inner}\n${FENCE}`;
  if (wrap(body, false).length <= max) return wrap(body, false);
  const room = max - wrap("", true).length;
  if (room <= 0) return truncatePlain(ELLIPSIS, max);
  let start = safeCutStart(body, body.length - room);
  const newline = body.indexOf("\n", start);
  // Prefer whole lines, unless that would throw away most of what fits.
  if (newline >= 0 && newline + 1 < body.length && body.length - newline - 1 > room / 2) start = newline + 1;
  return wrap(body.slice(start), true);
}
