import type { ChildProcess } from "node:child_process";

/**
 * Every daemon the test bed starts is registered here and stopped by pid when
 * the owning process exits, so a crashed run leaves nothing behind. Nothing
 * is ever signalled by name.
 */
const children = new Set<ChildProcess>();

export function registerChild(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
}

export function killRegisteredChildren(): void {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  children.clear();
}

process.once("exit", killRegisteredChildren);
