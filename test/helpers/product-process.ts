import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { registerChild } from "../../sim/process/child-process-registry";
import { HEAP_CEILING_ARG } from "../../src/runtime/heap-ceiling";
import { compileWorkerEntry } from "../integration/jobs/helpers/compile-worker-entry";

/** The product's own entry (`src/main.js`, transpiled once) running as a child process. */
export interface ProductProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (null after a signal). */
  readonly exited: Promise<number | null>;
  /** Everything it wrote to stdout and stderr so far (pino JSON lines). */
  output(): string;
  /** Still running (no exit code, no signal). */
  alive(): boolean;
}

let compiled: ReturnType<typeof compileWorkerEntry> | undefined;

/**
 * Starts `src/main.js` with `env` (plus PATH and HOME, nothing else from the
 * test's environment) and resolves once every string of `readyWhen` has
 * appeared in its log; rejects with the log when it exits first. Tests that
 * kill the product (SIGKILL, SIGTERM) need a real process, not an in-process
 * `startIntervene`. Registered so the test run's teardown stops it by pid.
 */
export async function spawnProduct(env: NodeJS.ProcessEnv, readyWhen: readonly string[]): Promise<ProductProcess> {
  compiled ??= compileWorkerEntry();
  // Started as npm start and the Docker image start it.
  const child = spawn(process.execPath, [HEAP_CEILING_ARG, path.join(compiled.dir, "src", "main.js")], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...compiled.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  registerChild(child);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let out = "";
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (readyWhen.every((s) => out.includes(s))) resolve();
    });
    void exited.then(() => reject(new Error(`intervene (pid ${child.pid ?? "?"}) exited before it was ready:\n${out}`)));
  });
  return {
    pid: child.pid!,
    child,
    exited,
    output: () => out,
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}
