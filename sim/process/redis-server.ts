import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, waitForPort } from "./free-port";
import { ownsListener } from "./listener-owner";
import { registerChild } from "./child-process-registry";
import { requireBinary } from "./require-binary";

export interface RedisServerHandle {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  pid(): number | undefined;
  /** SIGTERM (Redis writes its append-only file and exits) or SIGKILL (a crash). */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Stops and starts again on the same port and data dir: the chaos tests' restart. */
  restart(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
}

export interface RedisServerOptions {
  appendonly?: boolean;
  /** @defaultValue everysec (what docker-compose.yml runs) */
  appendfsync?: "always" | "everysec" | "no";
  dir?: string;
  port?: number;
  /** TLS only (no plain port): the URL is rediss://; clients are not asked for certificates. */
  tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
  /** Bytes (0: no limit, Redis's default); tests of a full Redis lower it with CONFIG SET. */
  maxmemory?: number;
  maxmemoryPolicy?: "noeviction" | "allkeys-lru" | "volatile-lru";
  /** Starts as a replica of this primary (loopback). */
  replicaOf?: { readonly host: string; readonly port: number };
  /** More `--name value` settings, e.g. `["--min-replicas-to-write", "1"]`. */
  extraArgs?: readonly string[];
  /**
   * Runs the same binary as a Sentinel (`redis-server <conf> --sentinel`)
   * watching `primary` under `name`. The config file lives in `dir` and is
   * rewritten by the Sentinel; a restart keeps what it learned.
   */
  sentinel?: SentinelOptions;
}

export interface SentinelOptions {
  readonly name: string;
  readonly primary: { readonly host: string; readonly port: number };
  readonly quorum: number;
  /** @defaultValue 1000 */
  readonly downAfterMs?: number;
  /** @defaultValue 10000 */
  readonly failoverTimeoutMs?: number;
}

class PortTakenError extends Error {}

/**
 * Starts a private redis-server on a free loopback port. Never the machine's
 * shared Redis: chaos tests restart this one. Also a replica (`replicaOf`)
 * or a Sentinel (`sentinel`): Debian's redis-server binary is both.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = requireBinary("redis-server", "redis-server");
  const host = "127.0.0.1";
  let port = options.port ?? (await freePort(host));
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "intervene-redis-"));
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const listen = options.tls === undefined
      ? ["--port", String(port)]
      : ["--port", "0", "--tls-port", String(port), "--tls-cert-file", options.tls.certFile, "--tls-key-file", options.tls.keyFile, "--tls-ca-cert-file", options.tls.caFile, "--tls-auth-clients", "no"];
    const args = options.sentinel !== undefined ? sentinelArgs(options.sentinel, host, port, dir) : [
      "--bind", host, ...listen, "--dir", dir,
      "--appendonly", options.appendonly === false ? "no" : "yes",
      "--appendfsync", options.appendfsync ?? "everysec", "--save", "", "--daemonize", "no",
      "--logfile", path.join(dir, "redis.log"), "--protected-mode", "yes",
      ...(options.maxmemory !== undefined ? ["--maxmemory", String(options.maxmemory)] : []),
      ...(options.maxmemoryPolicy !== undefined ? ["--maxmemory-policy", options.maxmemoryPolicy] : []),
      ...(options.replicaOf !== undefined ? ["--replicaof", options.replicaOf.host, String(options.replicaOf.port)] : []),
      ...(options.extraArgs ?? []),
    ];
    // Its own process group: a terminal's Ctrl-C reaches only the demo, which stops Redis last, by pid.
    const started = spawn(binary, args, { stdio: "ignore", detached: true });
    registerChild(started);
    child = started;
    const log = path.join(dir, options.sentinel !== undefined ? "sentinel.log" : "redis.log");
    const exited = new Promise<never>((_, reject) =>
      started.once("exit", (code) => reject(new Error(`redis-server exited with ${code}; see ${log}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForPort(host, port, 10_000), exited]);
    // Answered, but by whom: another test's server may have taken the port first (see ownsListener).
    if (!ownsListener(started.pid!, host, port)) {
      const gone = new Promise<void>((resolve) => (started.exitCode !== null ? resolve() : started.once("exit", () => resolve())));
      if (started.exitCode === null) process.kill(started.pid!, "SIGKILL");
      await gone;
      throw new PortTakenError(`${host}:${port} is answered by another process, not by this redis-server`);
    }
  };

  const stop = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> => {
    const running = child;
    child = undefined;
    if (running?.pid === undefined || running.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    process.kill(running.pid, signal);
    await gone;
  };

  for (let attempt = 0; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      // A port freePort found free can be taken before the bind: pick another. A given one cannot move.
      if (!(err instanceof PortTakenError) || options.port !== undefined || attempt >= 3) throw err;
      port = await freePort(host);
    }
  }
  return {
    host,
    port,
    url: `${options.tls === undefined ? "redis" : "rediss"}://${host}:${port}`,
    dir,
    pid: () => child?.pid,
    stop,
    restart: async (signal) => {
      await stop(signal);
      await launch();
    },
  };
}

/**
 * A Sentinel's arguments: its config file (written once: the Sentinel
 * rewrites it with what it learns, and a restart must keep that) and
 * `--sentinel`. Loopback only, like every server here.
 */
function sentinelArgs(sentinel: SentinelOptions, host: string, port: number, dir: string): string[] {
  const conf = path.join(dir, "sentinel.conf");
  if (!fs.existsSync(conf)) {
    const { name } = sentinel;
    fs.writeFileSync(
      conf,
      [
        `bind ${host}`,
        `port ${port}`,
        "daemonize no",
        `dir ${dir}`,
        `logfile ${path.join(dir, "sentinel.log")}`,
        `sentinel monitor ${name} ${sentinel.primary.host} ${sentinel.primary.port} ${sentinel.quorum}`,
        `sentinel down-after-milliseconds ${name} ${sentinel.downAfterMs ?? 1000}`,
        `sentinel failover-timeout ${name} ${sentinel.failoverTimeoutMs ?? 10_000}`,
        `sentinel parallel-syncs ${name} 1`,
        "",
      ].join("\n"),
    );
  }
  return [conf, "--sentinel"];
}
