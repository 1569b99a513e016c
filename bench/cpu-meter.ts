import fs from "node:fs";

const TICKS_PER_SECOND = 100;

/** User and system (kernel) CPU time of a process so far, in ms, from /proc (undefined once it is gone). */
export function cpuTimes(pid: number): CpuTimes | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { user: (Number(fields[11]) * 1000) / TICKS_PER_SECOND, system: (Number(fields[12]) * 1000) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

export interface CpuTimes {
  readonly user: number;
  readonly system: number;
}

/**
 * User and system CPU time so far of the processes in the trees under
 * `roots` (the roots included), with what their reaped children spent
 * (`cutime`, `cstime`): an sshd's forked sessions and the commands they ran.
 * A process that ends between two readings is counted in its parent's
 * children's time at the second, so sums stay comparable.
 */
export function treeCpuTimes(roots: readonly number[]): CpuTimes {
  const parentOf = new Map<number, number>();
  const own = new Map<number, CpuTimes>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const pid = Number(entry);
      parentOf.set(pid, Number(fields[1]));
      own.set(pid, { user: (Number(fields[11]) + Number(fields[13])) * (1000 / TICKS_PER_SECOND), system: (Number(fields[12]) + Number(fields[14])) * (1000 / TICKS_PER_SECOND) });
    } catch {
      // gone meanwhile
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, depth = 0; p !== undefined && p > 1 && depth < 64; p = parentOf.get(p), depth++) if (roots.includes(p)) return true;
    return false;
  };
  let user = 0;
  let system = 0;
  for (const [pid, times] of own) {
    if (!inTree(pid)) continue;
    user += times.user;
    system += times.system;
  }
  return { user, system };
}

/** user + system CPU time of a process so far, in ms (undefined once it is gone). */
export function cpuMs(pid: number): number | undefined {
  const times = cpuTimes(pid);
  return times === undefined ? undefined : times.user + times.system;
}

/**
 * CPU time each named process spent between `start()` and `stop()`; with
 * `withSystem`, also its kernel part as `sys:<name>` (a loopback socket write
 * is billed to its writer with the receiving side's TCP work, so this tells
 * how much of a process's CPU its writes and reads are).
 */
export class CpuMeter {
  private readonly startTimes = new Map<string, CpuTimes>();

  /** `pids`: a process by pid, or a reading of its own (`treeCpuTimes`). */
  constructor(
    private readonly pids: ReadonlyMap<string, number | (() => CpuTimes)>,
    private readonly withSystem = false,
  ) {}

  private static read(source: number | (() => CpuTimes)): CpuTimes {
    return (typeof source === "number" ? cpuTimes(source) : source()) ?? { user: 0, system: 0 };
  }

  start(): void {
    for (const [name, source] of this.pids) this.startTimes.set(name, CpuMeter.read(source));
  }

  stop(): Record<string, number> {
    const spent: Record<string, number> = {};
    for (const [name, source] of this.pids) {
      const now = CpuMeter.read(source);
      const then = this.startTimes.get(name) ?? { user: 0, system: 0 };
      spent[name] = now.user + now.system - then.user - then.system;
      if (this.withSystem) spent[`sys:${name}`] = now.system - then.system;
    }
    return spent;
  }
}
