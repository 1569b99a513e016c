import type { HostExecResult } from "../ports/remote-executor";

export const HEAD_CHARS = 1000;
export const TAIL_CHARS = 3000;

/** stdout, then stderr under a marker: one text an operator can read. */
export function combinedOutput(result: Pick<HostExecResult, "stdout" | "stderr">): string {
  return result.stderr === "" ? result.stdout : `${result.stdout}${result.stdout.endsWith("\n") || result.stdout === "" ? "" : "\n"}[stderr]\n${result.stderr}`;
}

export function headAndTail(text: string): { head: string; tail: string } {
  if (text.length <= HEAD_CHARS + TAIL_CHARS) return { head: "", tail: text };
  return { head: text.slice(0, HEAD_CHARS), tail: text.slice(-TAIL_CHARS) };
}
