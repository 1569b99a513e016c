import fs from "node:fs";
import { descendantsOf, processAlive, processId, signalProcess, type ProcessId } from "../process/process-tree";
import type { SshdHandle } from "./sshd";

export interface SshdCrash {
  /** sshd processes killed: the listening daemon and its per-connection children. */
  readonly sshdKilled: number;
  /** Session processes (the users' commands) killed with them; 0 unless `sessions`. */
  readonly sessionsKilled: number;
  /** Session processes left running, orphaned: sshd does not end a no-pty session when it dies. */
  readonly orphans: readonly ProcessId[];
}

function isSshd(pid: number): boolean {
  try {
    // OpenSSH 9.8+ runs connections in `sshd-session`; earlier ones in `sshd` itself.
    return /^sshd/.test(fs.readFileSync(`/proc/${pid}/comm`, "utf8"));
  } catch {
    return false;
  }
}

/**
 * SIGKILLs a started sshd (`sshd -D`, our child) and every per-connection
 * sshd under it, found by walking /proc from its pid; with `sessions` also
 * the commands they run (the host going down), else those are left orphaned
 * (sshd alone dying, e.g. the OOM killer). Resolves once the daemon is gone.
 * The daemon is stopped first so that it forks no connection the walk would
 * miss. Never signals by name, only pids under the one we started.
 */
export async function crashSshd(sshd: SshdHandle, options: { sessions: boolean }): Promise<SshdCrash> {
  const pid = sshd.pid();
  const daemon = pid === undefined ? null : processId(pid);
  if (daemon === null) throw new Error(`sshd on ${sshd.address}:${sshd.port} is not running`);
  signalProcess(daemon, "SIGSTOP");
  const tree = descendantsOf([daemon.pid]);
  const daemons = tree.filter((p) => isSshd(p.pid));
  const sessions = tree.filter((p) => !daemons.includes(p));
  const killed = [daemon, ...daemons, ...(options.sessions ? sessions : [])];
  for (const p of killed) signalProcess(p, "SIGKILL");
  const deadline = Date.now() + 5000;
  while (killed.some(processAlive)) {
    if (Date.now() > deadline) throw new Error(`sshd on ${sshd.address}:${sshd.port}: processes outlived SIGKILL`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return { sshdKilled: 1 + daemons.length, sessionsKilled: options.sessions ? sessions.length : 0, orphans: options.sessions ? [] : sessions.filter(processAlive) };
}
