/** One line of `ps fax`: the pid, how deep the tree art puts it, and the command line. */
export interface PsLine {
  readonly pid: number;
  readonly depth: number;
  readonly command: string;
}

const PS_LINE = /^\s*(\d+)\s+\S+\s+\S+\s+\d+:\d+ (.*)$/;

/** Parses `ps fax` output (procps: PID TTY STAT TIME COMMAND with `\_` tree art). */
export function parsePsForest(text: string): PsLine[] {
  const lines: PsLine[] = [];
  for (const raw of text.split("\n")) {
    const match = PS_LINE.exec(raw);
    if (match === null) continue;
    const art = /^[ |]*(?:\\_ )?/.exec(match[2]!)![0];
    lines.push({ pid: Number(match[1]), depth: art.length, command: match[2]!.slice(art.length) });
  }
  return lines;
}

/** The descendants of the first process whose command satisfies `isRoot`, or null when there is none. */
export function psSubtree(lines: readonly PsLine[], isRoot: (command: string) => boolean): PsLine[] | null {
  const index = lines.findIndex((line) => isRoot(line.command));
  if (index < 0) return null;
  const root = lines[index]!;
  const subtree: PsLine[] = [];
  for (const line of lines.slice(index + 1)) {
    if (line.depth <= root.depth) break;
    subtree.push(line);
  }
  return subtree;
}
