import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, waitForPort } from "./free-port";
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
  dir?: string;
  port?: number;
  /** TLS only (no plain port): the URL is rediss://; clients are not asked for certificates. */
  tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
}

/**
 * Starts a private redis-server on a free loopback port. Never the machine's
 * shared Redis: chaos tests restart this one.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = requireBinary("redis-server", "redis-server");
  const host = "127.0.0.1";
  const port = options.port ?? (await freePort(host));
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "intervene-redis-"));
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const listen = options.tls === undefined
      ? ["--port", String(port)]
      : ["--port", "0", "--tls-port", String(port), "--tls-cert-file", options.tls.certFile, "--tls-key-file", options.tls.keyFile, "--tls-ca-cert-file", options.tls.caFile, "--tls-auth-clients", "no"];
    const args = [
      "--bind", host, ...listen, "--dir", dir,
      "--appendonly", options.appendonly === false ? "no" : "yes",
      "--appendfsync", "everysec", "--save", "", "--daemonize", "no",
      "--logfile", path.join(dir, "redis.log"), "--protected-mode", "yes",
    ];
    // Its own process group: a terminal's Ctrl-C reaches only the demo, which stops Redis last, by pid.
    const started = spawn(binary, args, { stdio: "ignore", detached: true });
    registerChild(started);
    child = started;
    const exited = new Promise<never>((_, reject) =>
      started.once("exit", (code) => reject(new Error(`redis-server exited with ${code}; see ${path.join(dir, "redis.log")}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForPort(host, port, 10_000), exited]);
  };

  const stop = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> => {
    const running = child;
    child = undefined;
    if (running?.pid === undefined || running.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    process.kill(running.pid, signal);
    await gone;
  };

  await launch();
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
