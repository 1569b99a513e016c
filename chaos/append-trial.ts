import fs from "node:fs";
import path from "node:path";
import { processAlive, processId, type ProcessId } from "../sim/process/process-tree";
import { shellQuote } from "../src/util/shell-quote";

/**
 * One trial's non-idempotent step, on files of this machine (the hosts are
 * loopback sshds): the command notes its step key (run, step, attempt, host)
 * and its shell's pid when it starts, sleeps while the `slow` flag exists
 * (the fault lands in that sleep), then appends its key once to `lines`. The
 * keys tell which attempt wrote what, so "at most once per attempt that ran"
 * can be counted even when an orphaned attempt finishes after the retry.
 */
export class AppendTrial {
  readonly started: string;
  readonly lines: string;
  private readonly slow: string;
  private readonly pid: string;

  constructor(readonly dir: string, private readonly sleepSeconds: number) {
    fs.mkdirSync(dir, { recursive: true });
    this.started = path.join(dir, "started");
    this.lines = path.join(dir, "lines");
    this.slow = path.join(dir, "slow");
    this.pid = path.join(dir, "pid");
    fs.writeFileSync(this.slow, "");
  }

  command(): string {
    const q = shellQuote;
    return `echo "$INTERVENE_STEP_KEY" >> ${q(this.started)}; echo $$ > ${q(this.pid)}; if [ -f ${q(this.slow)} ]; then sleep ${this.sleepSeconds}; fi; echo "$INTERVENE_STEP_KEY" >> ${q(this.lines)}`;
  }

  /** The retry should not wait out the fault's sleep. */
  fast(): void {
    fs.rmSync(this.slow, { force: true });
  }

  /** Resolves once the first attempt's shell is in its sleep; its process, for waiting on an orphan later. */
  async running(timeoutMs: number): Promise<ProcessId | null> {
    const deadline = Date.now() + timeoutMs;
    while (!(fs.existsSync(this.pid) && /^\d+\n$/.test(fs.readFileSync(this.pid, "utf8")))) {
      if (Date.now() > deadline) throw new Error(`the step's command did not start within ${timeoutMs} ms (${this.dir})`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return processId(Number(fs.readFileSync(this.pid, "utf8")));
  }

  /** How many times each step key appears in `file` (missing file: none). */
  static keys(file: string): Map<string, number> {
    const counts = new Map<string, number>();
    if (!fs.existsSync(file)) return counts;
    for (const line of fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "")) counts.set(line, (counts.get(line) ?? 0) + 1);
    return counts;
  }

  /**
   * After every attempt has ended: attempts that started more than once or
   * wrote more than once (a non-idempotent step run twice), and whether the
   * retried attempt `attempt` wrote exactly once.
   */
  verdict(runId: string, host: string, attempt: number): { twice: number; retryWrote: boolean; firstWrote: boolean; strangers: number } {
    const started = AppendTrial.keys(this.started);
    const lines = AppendTrial.keys(this.lines);
    const key = (a: number): string => `${runId}:0:${a}:${host}`;
    const known = new Set(Array.from({ length: attempt }, (_, i) => key(i + 1)));
    const twice = [...started.values(), ...lines.values()].filter((n) => n > 1).length;
    const strangers = [...started.keys(), ...lines.keys()].filter((k) => !known.has(k)).length;
    return { twice, retryWrote: lines.get(key(attempt)) === 1, firstWrote: lines.get(key(1)) === 1, strangers };
  }
}

/** Waits until none of `processes` is alive (orphaned attempts finishing their sleep); the ones still there after `timeoutMs`. */
export async function waitGone(processes: readonly ProcessId[], timeoutMs: number): Promise<ProcessId[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = processes.filter(processAlive);
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((r) => setTimeout(r, 50));
  }
}
