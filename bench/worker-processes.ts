import { cpuProfileArgs } from "./cpu-profile-args";
import path from "node:path";
import { freePort } from "../sim/process/free-port";
import { startChild, type Child } from "./child-process";

export interface WorkerProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
}

export interface WorkerProcessOptions {
  readonly count: number;
  /** The product's entry point as JavaScript (the transpiled src/main.ts). */
  readonly entry: string;
  /** Where the entry's `require`s find packages (the repository's node_modules). */
  readonly nodePath: string;
  readonly redisUrl: string;
  readonly inventoryFile: string;
  readonly privateKeyFile: string;
  readonly knownHostsFile: string;
  readonly concurrency: number;
  readonly logDir: string;
  /** Node flags of their own, e.g. `--cpu-prof --cpu-prof-dir=...`. */
  readonly nodeArgs?: readonly string[];
}

export interface WorkerProcesses {
  readonly workers: readonly WorkerProcess[];
  stop(): Promise<void>;
}

/** The worker role as the Dockerfile runs it (`node dist/src/main.js`, ROLE=worker), `count` times, each with its own health port. */
export async function startWorkerProcesses(options: WorkerProcessOptions): Promise<WorkerProcesses> {
  const started: Child[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(started.map((c) => c.stop()));
  };
  try {
    const workers = await Promise.all(
      Array.from({ length: options.count }, async (_, i): Promise<WorkerProcess> => {
        const name = `worker${i + 1}`;
        const logFile = path.join(options.logDir, `${name}.log`);
        const child = await startChild({
          args: [...(options.nodeArgs ?? []), ...cpuProfileArgs(), options.entry],
          cwd: options.logDir,
          env: {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            HOME: process.env.HOME ?? "/root",
            NODE_PATH: options.nodePath,
            ROLE: "worker",
            REDIS_URL: options.redisUrl,
            INVENTORY_FILE: options.inventoryFile,
            SSH_PRIVATE_KEY_FILE: options.privateKeyFile,
            SSH_KNOWN_HOSTS_FILE: options.knownHostsFile,
            WORKER_CONCURRENCY: String(options.concurrency),
            PORT: String(await freePort()),
            HOST: "127.0.0.1",
            OPS_PORT: "0",
            LOG_LEVEL: "info",
          },
          logFile,
          ready: /"msg":"worker started"/,
        });
        started.push(child);
        return { name, pid: child.pid, logFile };
      }),
    );
    return { workers, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
