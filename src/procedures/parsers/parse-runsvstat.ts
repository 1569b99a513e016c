import { ParseError } from "../procedure-errors";
import { outputLines } from "./output-lines";

/** One service as runit 1.x `runsvstat` reports it (reference §5, [R] runsvstat.c). */
export interface RunitServiceStatus {
  /** The service dir's last path component, e.g. `WorkloadManagement_JobManager`. */
  readonly service: string;
  /** The service dir as printed. */
  readonly dir: string;
  /** `unknown` when runsvstat could only warn (e.g. `runsv not running.`). */
  readonly state: "run" | "finish" | "down" | "unknown";
  readonly pid?: number;
  readonly seconds?: number;
  /** The `, normally down` / `, want up` ... suffixes, without the comma. */
  readonly notes: readonly string[];
  /** runsvstat's warning text for this dir, when it printed one. */
  readonly warning?: string;
}

const WHAT = "runsvstat output";
const UP = /^(.+): (run|finish) \(pid (\d+)\) (\d+) seconds((?:, [a-z ]+)*)$/;
const DOWN = /^(.+): down (\d+) seconds((?:, [a-z ]+)*)$/;
const WARNING = /^runsvstat: warning: (.+?): ((?:runsv not running\.|unable to [^:]+|file does not exist).*)$/;

const serviceOf = (dir: string): string => dir.replace(/\/+$/, "").split("/").pop() ?? dir;
const notesOf = (suffix: string): string[] => suffix.split(", ").map((s) => s.trim()).filter((s) => s !== "");

/**
 * Parses `runsvstat <dir>...` output (stdout and stderr merged). A line in no
 * known form throws `ParseError`: a service state is never guessed.
 */
export function parseRunsvstat(text: string): RunitServiceStatus[] {
  const services: RunitServiceStatus[] = [];
  outputLines(text).forEach((line, i) => {
    if (line.trim() === "") return;
    const up = UP.exec(line);
    if (up !== null) {
      const dir = up[1] ?? "";
      services.push({ service: serviceOf(dir), dir, state: up[2] === "finish" ? "finish" : "run", pid: Number(up[3]), seconds: Number(up[4]), notes: notesOf(up[5] ?? "") });
      return;
    }
    const down = DOWN.exec(line);
    if (down !== null) {
      const dir = down[1] ?? "";
      services.push({ service: serviceOf(dir), dir, state: "down", seconds: Number(down[2]), notes: notesOf(down[3] ?? "") });
      return;
    }
    const warning = WARNING.exec(line);
    if (warning !== null) {
      const dir = warning[1] ?? "";
      services.push({ service: serviceOf(dir), dir, state: "unknown", notes: [], warning: warning[2] ?? "" });
      return;
    }
    throw new ParseError(WHAT, `unexpected line ${JSON.stringify(line.slice(0, 120))}`, i + 1);
  });
  return services;
}
