export interface Row {
  readonly name: string;
  readonly value: number;
  /** How the value is shown, e.g. "x" for ratios, "ms", "MB". */
  readonly unit: string;
  readonly target?: { readonly op: "<=" | ">="; readonly limit: number };
  readonly detail?: string;
}

function show(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit === "" ? "" : ` ${unit}`}`;
}

export function meets(row: Row): boolean | undefined {
  if (row.target === undefined) return undefined;
  return row.target.op === "<=" ? row.value <= row.target.limit : row.value >= row.target.limit;
}

/** A plain-text table: figure, measured value, target, and whether it is met (targets are printed, never asserted). */
export function formatTable(rows: readonly Row[]): string {
  const cells = rows.map((r) => {
    const ok = meets(r);
    return [
      r.name,
      show(r.value, r.unit),
      r.target === undefined ? "" : `${r.target.op} ${show(r.target.limit, r.unit)}`,
      ok === undefined ? "" : ok ? "meets" : "MISSES",
      r.detail ?? "",
    ];
  });
  const header = ["figure", "measured", "target", "", "detail"];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}
