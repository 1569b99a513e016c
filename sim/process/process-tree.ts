import fs from "node:fs";

/**
 * A process identity that survives pid reuse: the pid plus its start time
 * (field 22 of /proc/<pid>/stat, clock ticks since boot).
 */
export interface ProcessId {
  readonly pid: number;
  readonly startTime: string;
}

interface ProcStat {
  readonly ppid: number;
  readonly state: string;
  readonly startTime: string;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may contain spaces.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "", ppid: Number(fields[1]), startTime: fields[19] ?? "" };
}

export function processId(pid: number): ProcessId | null {
  const stat = readStat(pid);
  return stat === null || stat.state === "Z" ? null : { pid, startTime: stat.startTime };
}

/** True while the very same process (not a zombie, not a reused pid) exists. */
export function processAlive(id: ProcessId): boolean {
  const stat = readStat(id.pid);
  return stat !== null && stat.state !== "Z" && stat.startTime === id.startTime;
}

export function processCmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0+$/, "").split("\0").join(" ");
  } catch {
    return "";
  }
}

/** Every live descendant of `roots` (children found through /proc ppid links), roots excluded. */
export function descendantsOf(roots: readonly number[]): ProcessId[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat === null) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  const found: ProcessId[] = [];
  const queue = [...roots];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      const id = processId(child);
      if (id === null) continue;
      found.push(id);
      queue.push(child);
    }
  }
  return found;
}

/** Sends `signal` to the process if it is still the one we recorded; never by name. */
export function signalProcess(id: ProcessId, signal: NodeJS.Signals): void {
  if (!processAlive(id)) return;
  try {
    process.kill(id.pid, signal);
  } catch {
    // exited between the check and the signal
  }
}
