import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { registerChild } from "../../../../sim/process/child-process-registry";

/** A worker running in a child process (ts-node, transpile only), killed by its pid. */
export interface WorkerProcess {
  readonly pid: number;
  readonly ready: Promise<void>;
  /** What the process wrote to stderr so far (Node's own warnings land there). */
  stderr(): string;
  go(): void;
  kill(): Promise<void>;
  /** SIGTERM by pid; resolves when the process has exited. */
  terminate(): Promise<void>;
  stop(): Promise<void>;
}

const ENTRY = path.join(__dirname, "..", "fixtures", "worker-process.ts");

/** `compiled`: a transpiled entry (see compileWorkerEntry); otherwise ts-node compiles at every start. */
export function spawnWorkerProcess(
  settings: { redisUrl: string; prefix: string; clusters: Record<string, string> },
  compiled?: { entry: string; env: Record<string, string> },
): WorkerProcess {
  const args = compiled !== undefined ? [compiled.entry] : ["-r", "ts-node/register/transpile-only", ENTRY];
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, ...compiled?.env, CRASH_WORKER_SETTINGS: JSON.stringify(settings) },
    stdio: ["pipe", "pipe", "pipe"],
  });
  registerChild(child);
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready\n")) resolve();
    });
    void exited.then(() => reject(new Error(`worker process exited before ready: ${stderr}`)));
  });
  ready.catch(() => undefined);
  return {
    pid: child.pid!,
    ready,
    stderr: () => stderr,
    go: () => child.stdin!.write("go\n"),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid!, "SIGKILL");
        await exited;
      }
    },
    async terminate() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid!, "SIGTERM");
        await exited;
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin!.write("stop\n");
        const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, "SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
