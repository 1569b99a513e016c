import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { registerChild } from "../process/child-process-registry";
import { freePort, waitForPort } from "../process/free-port";
import { ownsListener } from "../process/listener-owner";
import { requireBinary } from "../process/require-binary";

const execFileP = promisify(execFile);

/** The cluster's own epmd: the managers' real Erlang VMs register with it, never with the machine's. */
export interface RealEpmd {
  readonly port: number;
  readonly pid: number;
  /** The `erl` the managers' VMs run. */
  readonly erl: string;
  stop(): Promise<void>;
  /** Synchronous SIGKILL, for process exit. */
  kill(): void;
}

/**
 * What `mnesia: "erlang"` needs: the manager module compiled into
 * `<simRoot>/libexec/ebin`, and an epmd on a free loopback port that listens
 * only on 127.0.0.1 and the managers' addresses (ERL_EPMD_PORT for the VMs).
 * Distribution finds a node's epmd at the host part of its name, so each
 * manager address must be a loopback address.
 */
export async function startRealMnesiaKit(simRoot: string, managerAddresses: readonly string[]): Promise<RealEpmd> {
  const nonLoopback = managerAddresses.filter((a) => !/^127\.\d+\.\d+\.\d+$/.test(a));
  if (nonLoopback.length > 0) throw new Error(`mnesia "erlang" runs real Erlang nodes, whose names need loopback addresses; not: ${nonLoopback.join(", ")}`);
  const erl = requireBinary("erl", "erlang-base erlang-mnesia");
  const erlc = requireBinary("erlc", "erlang-base");
  const epmdBin = requireBinary("epmd", "erlang-base");
  const ebin = path.join(simRoot, "libexec", "ebin");
  fs.mkdirSync(ebin, { recursive: true });
  await execFileP(erlc, ["-Werror", "-o", ebin, path.join(__dirname, "sim", "erl", "leofs_sim_manager.erl")]);

  const addresses = [...new Set(["127.0.0.1", ...managerAddresses])].join(",");
  const { child, port } = await startEpmd(epmdBin, addresses);
  const pid = child.pid!;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const kill = (): void => {
    if (child.exitCode !== null) return;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  return {
    port,
    pid,
    erl,
    kill,
    async stop() {
      kill();
      await exited;
    },
  };
}

/**
 * An epmd of this cluster's own on a free port, checked to be the one that
 * answers there: if another test's epmd took the port first, ours exits and a
 * probe would have been answered by the other (see ownsListener). Then another
 * port is tried.
 */
async function startEpmd(epmdBin: string, addresses: string): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(epmdBin, ["-port", String(port), "-address", addresses], { stdio: "ignore", detached: true, env: { ...process.env, ERL_EPMD_PORT: String(port) } });
    // Its own process group (like redis-server's): Ctrl-C on the demo must not take it away before the managers stop.
    registerChild(child);
    if (child.pid === undefined) throw new Error("epmd did not start");
    const pid = child.pid;
    const exited = new Promise<"exited">((resolve) => child.once("exit", () => resolve("exited")));
    const outcome = await Promise.race([waitForPort("127.0.0.1", port, 10_000).then(() => "answered" as const), exited]);
    if (outcome === "answered" && ownsListener(pid, "127.0.0.1", port)) return { child, port };
    if (child.exitCode === null) {
      process.kill(pid, "SIGKILL");
      await exited;
    }
    if (attempt >= 3) throw new Error(`epmd could not take a free port (last tried ${port})`);
  }
}
