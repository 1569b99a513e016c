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

/** A node process the bench started: stopped by pid (SIGTERM, then SIGKILL after 15 s), never by name. */
export async function startChild(options: ChildOptions): Promise<Child> {
  const log = fs.createWriteStream(options.logFile);
  const child: ChildProcess = spawn(process.execPath, [...options.args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  registerChild(child);
  child.stderr?.pipe(log);
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
      let seen = "";
      const timer = setTimeout(() => reject(new Error(`${options.args.join(" ")} did not start; see ${options.logFile}`)), options.timeoutMs ?? 60_000);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${options.args.join(" ")} exited with ${code} at start; see ${options.logFile}`));
      });
      if (options.ready === undefined) {
        clearTimeout(timer);
        resolve();
      }
      child.stdout?.on("data", (chunk: Buffer) => {
        log.write(chunk);
        if (seen === "done" || options.ready === undefined) return;
        seen += chunk.toString("utf8");
        if (options.ready.test(seen)) {
          seen = "done";
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: child.pid!, stop };
}
