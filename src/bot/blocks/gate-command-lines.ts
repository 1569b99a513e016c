import type { RunRecord } from "../../jobs/run-types";
import { stepCommandLines } from "./format";
import { codeBlock } from "./pack-sections";

/** `# N. title` headers separate the steps; every other line is a command. */
export const isCommandLine = (line: string): boolean => !line.startsWith("# ");

/**
 * What a gate approves, host by host: the step's commands (a step gate,
 * `stepIndex` set) or every destructive step's (the per-run gate), each
 * step headed `# N. title`. The run message and the review modal show the
 * same lines.
 */
export function gateCommandLines(run: RunRecord, stepIndex: number | null): string[] {
  const gated = stepIndex === null ? run.plan.steps.filter((s) => s.destructive) : run.plan.steps.filter((s) => s.index === stepIndex);
  return gated.flatMap((s) => [`# ${s.index + 1}. ${s.title}`, ...stepCommandLines(s, run.steps[s.index])]);
}

/** Whole lines packed into code blocks of at most `max` characters each, in order (a line too long alone gets a block of its own). */
export function chunkCodeLines(lines: readonly string[], max: number): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  for (const line of lines) {
    if (current.length > 0 && codeBlock([...current, line], Number.MAX_SAFE_INTEGER).length > max) {
      chunks.push(current);
      current = [];
    }
    current.push(line);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
