import { spawn } from "node:child_process";
import fs from "node:fs";
import { requireBinary } from "../process/require-binary";
import { processId, processAlive, type ProcessId } from "../process/process-tree";

export interface RunsvdirProcess {
  readonly id: ProcessId;
  /** Makes runsvdir look at its directory now instead of within 5 s. */
  poke(): void;
}

const NUL = Buffer.from([0]);

/**
 * Starts `runsvdir -P <startupDir> 'log:  DIRAC runsv'` as DIRAC's
 * runsvdir-start does: real runit, so moving links out of startup/ really
 * makes it TERM their runsv, and moving them back really starts them.
 *
 * runsvdir rescans at most once a second and sleeps up to 5 s between
 * looks; it wakes early when its log pipe (its own fd 2) becomes readable,
 * and it drops NUL bytes from the log line it shows in `ps`. `poke` writes one
 * NUL there, so a harness poking every 250 ms sees link moves acted on within
 * about a second while runit's own logic stays untouched.
 */
export async function startRunsvdir(startupDir: string, env: NodeJS.ProcessEnv): Promise<RunsvdirProcess> {
  const runsvdir = requireBinary("runsvdir", "runit");
  // A session of its own, as at boot: a Ctrl-C meant for the process that started the sim (SIGINT to
  // its whole process group) must not kill runsvdir behind the sim's back and orphan its runsv's.
  const child = spawn(runsvdir, ["-P", startupDir, "log:  DIRAC runsv"], { argv0: "runsvdir", env, stdio: "ignore", detached: true });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`runsvdir for ${startupDir} did not start`);
  // The log pipe replaces fd 2 right after exec; wait for that before poking.
  const deadline = Date.now() + 5000;
  const logPipeReady = (): boolean => {
    try {
      return fs.readlinkSync(`/proc/${pid}/fd/2`).startsWith("pipe:");
    } catch {
      return false;
    }
  };
  while (!logPipeReady()) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`runsvdir for ${startupDir} exited or never set up its log pipe`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const id = processId(pid);
  if (id === null) throw new Error(`runsvdir for ${startupDir} exited at start`);
  const poke = (): void => {
    if (!processAlive(id)) return;
    try {
      const fd = fs.openSync(`/proc/${pid}/fd/2`, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
      try {
        fs.writeSync(fd, NUL);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      // the pipe is full or runsvdir is exiting: its own 5 s scan still applies
    }
  };
  return { id, poke };
}
