import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Redis from "ioredis";
import { freePort } from "../../../../sim/process/free-port";
import { startRedisServer, type RedisServerHandle } from "../../../../sim/process/redis-server";
import { eventually } from "../../../helpers/eventually";

/**
 * A primary, its replicas and `sentinels` Sentinels (the Debian redis-server
 * binary with `--sentinel`), on free loopback ports in one temp dir, all
 * stopped by pid. The servers keep their ports across restarts, so a killed
 * primary comes back where the sentinels expect it and is turned into a
 * replica of the new primary.
 */
export interface SentinelSet {
  readonly name: string;
  /** Both data servers, by port. */
  readonly servers: ReadonlyMap<number, RedisServerHandle>;
  readonly sentinels: readonly RedisServerHandle[];
  /** REDIS_SENTINELS as the product reads it. */
  readonly sentinelList: string;
  readonly dir: string;
  /** The primary the sentinels name now. */
  primaryPort(): Promise<number>;
  /** Waits until the sentinels name a primary other than `oldPort`; returns its port. */
  waitForNewPrimary(oldPort: number, timeoutMs?: number): Promise<number>;
  /**
   * Starts a killed server again as a replica of the current primary, as an
   * operator would (the sentinels would also convert it, but only after their
   * next 10 s INFO poll of it).
   */
  rejoin(port: number): Promise<void>;
  /** Waits until the set is whole again: every other server replicates from the primary, and every sentinel knows them and its peers. */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface SentinelSetOptions {
  /** @defaultValue 3 */
  readonly sentinels?: number;
  /** @defaultValue 2 */
  readonly quorum?: number;
  /** @defaultValue 1000 */
  readonly downAfterMs?: number;
  /** @defaultValue 5000 */
  readonly failoverTimeoutMs?: number;
  /** The data servers' fsync policy. @defaultValue everysec */
  readonly appendfsync?: "always" | "everysec";
  /** @defaultValue 1 */
  readonly replicas?: number;
  /** `min-replicas-to-write` on every data server (a primary then refuses writes it cannot hand to that many replicas). @defaultValue 0 */
  readonly minReplicasToWrite?: number;
}

const HOST = "127.0.0.1";

/** The shared `eventually`, for probes that fail while a server is down (a failed probe is "not yet"). */
function settles<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  return eventually(`sentinel set: ${what}`, () => probe().catch(() => undefined), timeoutMs);
}

/** One short-lived connection per question: a killed server must not leave a client reconnecting. */
async function ask<T>(port: number, question: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 500, retryStrategy: () => null });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    return await question(redis);
  } finally {
    redis.disconnect();
  }
}

export async function startSentinelSet(options: SentinelSetOptions = {}): Promise<SentinelSet> {
  const name = "mymaster";
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-sentinel-"));
  const sub = (n: string): string => {
    fs.mkdirSync(path.join(dir, n));
    return path.join(dir, n);
  };
  const common = {
    appendfsync: options.appendfsync ?? "everysec",
    maxmemoryPolicy: "noeviction" as const,
    extraArgs: options.minReplicasToWrite !== undefined ? ["--min-replicas-to-write", String(options.minReplicasToWrite), "--min-replicas-max-lag", "10"] : [],
  };
  const first = await startRedisServer({ ...common, dir: sub("a") });
  const replicas: RedisServerHandle[] = [];
  for (let i = 0; i < (options.replicas ?? 1); i++) replicas.push(await startRedisServer({ ...common, dir: sub(`r${i}`), replicaOf: { host: HOST, port: first.port } }));
  const servers = new Map([first, ...replicas].map((s) => [s.port, s]));
  const sentinels: RedisServerHandle[] = [];
  try {
    for (let i = 0; i < (options.sentinels ?? 3); i++) {
      sentinels.push(
        await startRedisServer({
          dir: sub(`sentinel-${i}`),
          port: await freePort(HOST),
          sentinel: { name, primary: { host: HOST, port: first.port }, quorum: options.quorum ?? 2, downAfterMs: options.downAfterMs ?? 1000, failoverTimeoutMs: options.failoverTimeoutMs ?? 5000 },
        }),
      );
    }
  } catch (error) {
    await Promise.allSettled([...sentinels, ...servers.values()].map((s) => s.stop()));
    throw error;
  }

  const primaryPort = async (): Promise<number> => {
    for (const s of sentinels) {
      const addr = await ask(s.port, (r) => r.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name) as Promise<[string, string] | null>).catch(() => null);
      if (addr !== null) return Number(addr[1]);
    }
    throw new Error("no sentinel answered");
  };

  const set: SentinelSet = {
    name,
    servers,
    sentinels,
    sentinelList: sentinels.map((s) => `${HOST}:${s.port}`).join(","),
    dir,
    primaryPort,
    // Every sentinel must agree: clients ask whichever answers first.
    waitForNewPrimary: (oldPort, timeoutMs = 30_000) =>
      settles(`a new primary after ${oldPort}`, timeoutMs, async () => {
        const ports = await Promise.all(sentinels.map((s) => ask(s.port, (r) => r.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name) as Promise<[string, string] | null>)));
        const named = new Set(ports.map((p) => Number(p?.[1])));
        const [port] = [...named];
        return named.size === 1 && port !== undefined && port !== oldPort && Number.isFinite(port) ? port : undefined;
      }),
    async rejoin(port) {
      const server = servers.get(port);
      if (server === undefined) throw new Error(`no server on ${port}`);
      await server.restart();
      const primary = await primaryPort();
      if (primary !== port) await ask(port, (r) => r.replicaof(HOST, primary));
    },
    async waitUntilHealthy(timeoutMs = 30_000) {
      await settles("the set healthy again", timeoutMs, async () => {
        const primary = await primaryPort();
        if (!(await ask(primary, (r) => r.info("replication"))).includes("role:master")) return undefined;
        const replicaPorts = [...servers.keys()].filter((p) => p !== primary);
        for (const port of replicaPorts) {
          const replica = await ask(port, (r) => r.info("replication"));
          if (!replica.includes(`master_port:${primary}`) || !replica.includes("master_link_status:up")) return undefined;
        }
        for (const s of sentinels) {
          const known = (await ask(s.port, (r) => r.call("SENTINEL", "REPLICAS", name))) as string[][];
          const good = (port: number): boolean => known.some((fields) => fields.includes(String(port)) && !/s_down|disconnected/.test(fields[fields.indexOf("flags") + 1] ?? ""));
          const peers = (await ask(s.port, (r) => r.call("SENTINEL", "SENTINELS", name))) as unknown[];
          if (!replicaPorts.every(good) || peers.length < sentinels.length - 1) return undefined;
        }
        return true;
      });
    },
    async stop() {
      await Promise.allSettled(sentinels.map((s) => s.stop("SIGKILL")));
      await Promise.allSettled([...servers.values()].map((s) => s.stop("SIGKILL")));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await set.waitUntilHealthy();
  return set;
}
