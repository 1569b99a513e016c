import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { registerChild } from "../sim/process/child-process-registry";

export interface Child {
  readonly pid: number;
  stop(): Promise<void>;
}

export interface ChildOptions {
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** stdout and stderr go here. */
  readonly logFile: string;
  /** Resolves the start once stdout has matched this. */
  readonly ready?: RegExp;
  readonly timeoutMs?: number;
}

/**
 * A node process the bench started: stopped by pid (SIGTERM, then SIGKILL
 * after 15 s), never by name. Its stdout and stderr are the log file itself:
 * when the bench relayed them through pipes, the process that times the runs
 * woke for every log line of the bot and the workers, in the middle of the
 * path it times. Readiness is read back from the file.
 */
export async function startChild(options: ChildOptions): Promise<Child> {
  const fd = fs.openSync(options.logFile, "a");
  // A file a process of the same name wrote before (the scaling phase starts workers again): only what follows counts.
  const from = fs.fstatSync(fd).size;
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...options.args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", fd, fd] });
  } finally {
    fs.closeSync(fd);
  }
  registerChild(child);
  const stop = async (): Promise<void> => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    process.kill(child.pid, "SIGTERM");
    const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, "SIGKILL"), 15_000);
    await gone;
    clearTimeout(timer);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const ready = options.ready;
      if (ready === undefined) return resolve();
      const deadline = Date.now() + (options.timeoutMs ?? 60_000);
      const exited = (code: number | null): void => {
        clearInterval(poll);
        reject(new Error(`${options.args.join(" ")} exited with ${code} at start; see ${options.logFile}`));
      };
      child.once("exit", exited);
      const poll = setInterval(() => {
        if (ready.test(fs.readFileSync(options.logFile).subarray(from).toString("utf8"))) {
          clearInterval(poll);
          child.off("exit", exited);
          resolve();
        } else if (Date.now() > deadline) {
          clearInterval(poll);
          child.off("exit", exited);
          reject(new Error(`${options.args.join(" ")} did not start; see ${options.logFile}`));
        }
      }, 25);
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: child.pid!, stop };
}
