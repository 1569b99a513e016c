import { outputLines } from "./output-lines";

export interface LeofsAdmError {
  /** The text after `[ERROR] ` (a string cause as text, an atom cause as the atom). */
  readonly cause: string;
  /** The whole line, as printed. */
  readonly line: string;
  /** 1-based line number in the output. */
  readonly lineNumber: number;
}

/**
 * The first `[ERROR] …` line of leofs-adm output, or undefined. leofs-adm exits
 * 0 after printing `[ERROR]` (reference §1), so output, not the exit code, is
 * what tells failure apart.
 */
export function parseLeofsAdmError(text: string): LeofsAdmError | undefined {
  const lines = outputLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const match = /^\[ERROR\]\s?(.*)$/.exec(line);
    if (match) return { cause: (match[1] ?? "").trim(), line, lineNumber: i + 1 };
  }
  return undefined;
}
