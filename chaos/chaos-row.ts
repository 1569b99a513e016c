import fs from "node:fs";
import path from "node:path";

/** One row of the chaos table: what was tried, and what was lost or duplicated. */
export interface ChaosRow {
  readonly name: string;
  readonly trials: number;
  readonly faults: number;
  readonly runsLost: number;
  /** Non-idempotent steps whose effect happened twice. */
  readonly stepsRunTwice: number;
  readonly duplicateSlackPosts: number;
  /** Run messages whose last version does not show the run's final state. */
  readonly finalMessagesWrong: number;
  /** Seconds from the fault to the system going on (undefined when the row has no recovery to time). */
  readonly recoveryP50Seconds?: number;
  readonly recoveryMaxSeconds?: number;
  /** What else was measured, in words. */
  readonly detail: string;
}

export const RESULTS_FILE = process.env.CHAOS_RESULTS ?? path.join(__dirname, "results.json");

/** Quick runs (`npm run chaos -- --quick`) take fewer trials. */
export const QUICK = process.env.CHAOS_QUICK === "1";
export const trials = (full: number, quick: number): number => (QUICK ? quick : full);

/** Adds or replaces the row `row.name` in the results file. */
export function recordRow(row: ChaosRow): void {
  const current = fs.existsSync(RESULTS_FILE) ? (JSON.parse(fs.readFileSync(RESULTS_FILE, "utf8")) as { rows?: ChaosRow[] }) : {};
  const rows = (current.rows ?? []).filter((r) => r.name !== row.name);
  rows.push(row);
  fs.writeFileSync(RESULTS_FILE, `${JSON.stringify({ ...current, rows }, null, 2)}\n`);
}

/** p50 and max of durations in ms, as seconds with one decimal. */
export function recoveryFigures(ms: readonly number[]): { recoveryP50Seconds?: number; recoveryMaxSeconds?: number } {
  if (ms.length === 0) return {};
  const sorted = [...ms].sort((a, b) => a - b);
  const s = (v: number): number => Math.round(v / 100) / 10;
  return { recoveryP50Seconds: s(sorted[Math.floor((sorted.length - 1) / 2)]!), recoveryMaxSeconds: s(sorted[sorted.length - 1]!) };
}
