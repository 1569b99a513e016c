import { descendantsOf, processAlive, signalProcess, type ProcessId } from "../process/process-tree";

export interface Termination {
  readonly id: ProcessId;
  /** The signal that asks this process to stop cleanly (runsvdir: HUP, mysqld: TERM). */
  readonly signal: NodeJS.Signals;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `known` plus every live descendant of its live members, deduplicated by pid. */
function withDescendants(known: Map<number, ProcessId>): void {
  const alive = [...known.values()].filter(processAlive).map((id) => id.pid);
  for (const id of descendantsOf(alive)) if (!known.has(id.pid)) known.set(id.pid, id);
}

/**
 * Stops processes we started, and everything they started, by pid only:
 * each gets its gentle signal, then whatever is still alive after `graceMs`
 * (e.g. a component told to ignore TERM) gets SIGKILL. Descendants are
 * re-collected on every poll, so children spawned during the shutdown (runsv
 * restarting a crashing component) are found while their parent still lives.
 * Returns every process that was stopped.
 */
export async function terminateProcesses(targets: readonly Termination[], graceMs = 2000): Promise<ProcessId[]> {
  const known = new Map<number, ProcessId>(targets.map((t) => [t.id.pid, t.id]));
  withDescendants(known);
  for (const target of targets) signalProcess(target.id, target.signal);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    withDescendants(known);
    if (![...known.values()].some(processAlive)) return [...known.values()];
    await sleep(50);
  }
  withDescendants(known);
  for (const id of known.values()) signalProcess(id, "SIGKILL");
  const killDeadline = Date.now() + 2000;
  while ([...known.values()].some(processAlive)) {
    if (Date.now() > killDeadline) {
      const left = [...known.values()].filter(processAlive).map((id) => id.pid);
      throw new Error(`processes still alive after SIGKILL: ${left.join(", ")}`);
    }
    await sleep(20);
  }
  return [...known.values()];
}

/** The synchronous last resort for process exit: SIGKILL every target and its descendants. */
export function killProcessesNow(targets: readonly ProcessId[]): void {
  const known = new Map<number, ProcessId>(targets.map((id) => [id.pid, id]));
  withDescendants(known);
  for (const id of known.values()) signalProcess(id, "SIGKILL");
}
