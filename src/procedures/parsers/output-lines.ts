/** Tool output as lines: CRLF or LF endings, trailing spaces dropped (leofs-adm pads some lines). */
export function outputLines(text: string): string[] {
  return text.split(/\r?\n/).map((line) => line.replace(/[ \t\r]+$/, ""));
}

/** `----+----` rules between table sections. */
export function isRule(line: string): boolean {
  return /^-{3,}[-+|]*$/.test(line.trim());
}

/** Cells of a `a | b | c` line, trimmed; a trailing separator gives no extra cell. */
export function splitCells(line: string): string[] {
  const cells = line.split("|").map((c) => c.trim());
  if (cells.length > 1 && cells[cells.length - 1] === "" && /\|\s*$/.test(line)) cells.pop();
  return cells;
}
