import fs from "node:fs";

const TICKS_PER_SECOND = 100;

/** user + system CPU time of a process so far, in ms, from /proc (undefined once it is gone). */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** CPU time each named process spent between `start()` and `stop()`. */
export class CpuMeter {
  private readonly startMs = new Map<string, number>();

  constructor(private readonly pids: ReadonlyMap<string, number>) {}

  start(): void {
    for (const [name, pid] of this.pids) this.startMs.set(name, cpuMs(pid) ?? 0);
  }

  stop(): Record<string, number> {
    const spent: Record<string, number> = {};
    for (const [name, pid] of this.pids) spent[name] = (cpuMs(pid) ?? 0) - (this.startMs.get(name) ?? 0);
    return spent;
  }
}
