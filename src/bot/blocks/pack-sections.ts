import { BLOCK_LIMITS } from "./block-limits";
import { mrkdwn, type SectionBlock } from "./block-types";
import { escapeMrkdwn, neutraliseFences, truncateMrkdwn } from "./fit-text";

/** A fenced code block of `lines`, keeping the head when it must be cut (commands run in order). */
export function codeBlock(lines: readonly string[], max: number = BLOCK_LIMITS.sectionText): string {
  const body = escapeMrkdwn(neutraliseFences(lines.join("\n"))) || " ";
  return truncateMrkdwn("```\n" + body + "\n```", max);
}

/** Chunks of mrkdwn packed into as few sections as possible, none over the section limit. */
export function packSections(chunks: readonly string[], separator = "\n", max: number = BLOCK_LIMITS.sectionText): SectionBlock[] {
  const sections: SectionBlock[] = [];
  let current = "";
  for (const raw of chunks) {
    const chunk = truncateMrkdwn(raw, max);
    if (current.length > 0 && current.length + separator.length + chunk.length <= max) {
      current += separator + chunk;
      continue;
    }
    if (current.length > 0) sections.push({ type: "section", text: mrkdwn(current) });
    current = chunk;
  }
  if (current.length > 0) sections.push({ type: "section", text: mrkdwn(current) });
  return sections;
}
