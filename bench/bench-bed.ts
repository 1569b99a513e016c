import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseInventory, type Inventory } from "../src/config";
import { startRedisServer, type RedisServerHandle } from "../sim/process/redis-server";
import { createSshIdentity, sshLoginUser, startSshd, type SshdHandle, type SshIdentity } from "../sim/ssh/sshd";

export interface BenchBedOptions {
  /** sshd processes, on 127.0.0.10, .11, ... */
  readonly sshdCount: number;
  /** One-host clusters for sequential 1-step runs (each its own channel, so Slack posts do not queue up behind each other). */
  readonly latencyClusters: number;
  /** Clusters with one host name per sshd (the throughput runs; one active run per cluster). */
  readonly throughputClusters: number;
  /** Clusters of `fanoutHosts` host names spread over the sshd processes. */
  readonly fanoutClusters: number;
  readonly fanoutHosts: number;
}

export interface BenchBed {
  readonly dir: string;
  readonly identity: SshIdentity;
  readonly redis: RedisServerHandle;
  readonly sshd: readonly SshdHandle[];
  readonly knownHostsPath: string;
  /** For `ssh -F`: pinned known_hosts, the bench key, batch mode. */
  readonly sshConfigPath: string;
  readonly inventoryFile: string;
  readonly inventory: Inventory;
  readonly latencyClusters: readonly string[];
  readonly throughputClusters: readonly string[];
  readonly fanoutClusters: readonly string[];
  /** Host names of a throughput cluster, index i on sshd i. */
  readonly throughputHosts: readonly string[];
  /** Host names of a fan-out cluster; host i is on sshd i % sshdCount. */
  readonly fanoutHosts: readonly string[];
  /** The sshd behind a host name of any bench cluster. */
  sshdOf(host: string): SshdHandle;
  stop(): Promise<void>;
}

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

function diracCluster(name: string, channel: string, hosts: Record<string, unknown>): Record<string, unknown> {
  const first = Object.keys(hosts)[0]!;
  return {
    kind: "dirac",
    description: `bench cluster ${name}`,
    channel,
    dirac: { setup: `Bench-${name}`, boxes: [{ host: first, roles: ["services"], frameworkServer: true }] },
    hosts,
  };
}

/**
 * Redis, sshd processes and an inventory for them, all private to this
 * bench run and stopped by pid. The inventory is written as JSON (a subset
 * of YAML) so the worker processes load the same file through INVENTORY_FILE.
 */
export async function startBenchBed(options: BenchBedOptions): Promise<BenchBed> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-bench-"));
  const identity = createSshIdentity(dir);
  fs.mkdirSync(path.join(dir, "redis"));
  const redis = await startRedisServer({ dir: path.join(dir, "redis"), appendonly: true });
  const sshd: SshdHandle[] = [];
  try {
    // A few at a time: each start runs ssh-keygen and `sshd -t`, which on 2 cores is better not all at once.
    for (let i = 0; i < options.sshdCount; i += 5) {
      const batch = Array.from({ length: Math.min(5, options.sshdCount - i) }, (_, k) =>
        startSshd({ address: `127.0.0.${10 + i + k}`, identity, dir: path.join(dir, `host${i + k}`) }),
      );
      sshd.push(...(await Promise.all(batch)));
    }
  } catch (err) {
    await Promise.allSettled([...sshd.map((s) => s.stop()), redis.stop()]);
    throw err;
  }
  const knownHostsPath = path.join(dir, "known_hosts");
  fs.writeFileSync(knownHostsPath, sshd.map((s) => `${s.knownHostsLine}\n`).join(""));
  const sshConfigPath = path.join(dir, "ssh_config");
  fs.writeFileSync(
    sshConfigPath,
    ["Host *", `  IdentityFile ${identity.privateKeyPath}`, "  IdentitiesOnly yes", `  UserKnownHostsFile ${knownHostsPath}`, "  GlobalKnownHostsFile /dev/null", "  StrictHostKeyChecking yes", "  BatchMode yes", "  LogLevel ERROR", ""].join("\n"),
  );

  const hostEntry = (s: SshdHandle): Record<string, unknown> => ({ address: s.address, ssh: { port: s.port } });
  const sshdByHost = new Map<string, SshdHandle>();
  const clusters: Record<string, unknown> = {};
  const latencyClusters = Array.from({ length: options.latencyClusters }, (_, i) => `lat${pad(i, 3)}`);
  for (const [i, name] of latencyClusters.entries()) {
    clusters[name] = diracCluster(name, `C0LAT${pad(i, 3)}`, { h00: hostEntry(sshd[0]!) });
  }
  const throughputHosts = sshd.map((_, i) => `h${pad(i, 2)}`);
  throughputHosts.forEach((h, i) => sshdByHost.set(h, sshd[i]!));
  const throughputClusters = Array.from({ length: options.throughputClusters }, (_, i) => `tp${pad(i, 2)}`);
  for (const [i, name] of throughputClusters.entries()) {
    clusters[name] = diracCluster(name, `C0TP${pad(i, 2)}`, Object.fromEntries(throughputHosts.map((h, k) => [h, hostEntry(sshd[k]!)])));
  }
  const fanoutHosts = Array.from({ length: options.fanoutHosts }, (_, i) => `f${pad(i, 3)}`);
  fanoutHosts.forEach((h, i) => sshdByHost.set(h, sshd[i % sshd.length]!));
  const fanoutClusters = Array.from({ length: options.fanoutClusters }, (_, i) => `fan${i}`);
  for (const [i, name] of fanoutClusters.entries()) {
    clusters[name] = diracCluster(name, `C0FAN${i}`, Object.fromEntries(fanoutHosts.map((h) => [h, hostEntry(sshdByHost.get(h)!)])));
  }
  const document = {
    version: 1,
    defaults: {
      approval: { requesters: { users: ["U0REQUESTER"] }, approvers: { users: ["U0APPROVER"], userGroups: [] }, minApprovals: 1, mode: "per-step" },
      ssh: { user: sshLoginUser(), privateKeyFile: identity.privateKeyPath, knownHostsFile: knownHostsPath, connectTimeout: "10s" },
    },
    clusters,
  };
  const inventoryFile = path.join(dir, "inventory.yaml");
  fs.writeFileSync(inventoryFile, JSON.stringify(document, null, 1));
  const inventory = parseInventory(fs.readFileSync(inventoryFile, "utf8"), {
    inventoryFile,
    ssh: { privateKeyFile: identity.privateKeyPath, knownHostsFile: knownHostsPath },
  });

  return {
    dir,
    identity,
    redis,
    sshd,
    knownHostsPath,
    sshConfigPath,
    inventoryFile,
    inventory,
    latencyClusters,
    throughputClusters,
    fanoutClusters,
    throughputHosts,
    fanoutHosts,
    sshdOf(host) {
      const found = host === "h00" ? sshd[0] : sshdByHost.get(host);
      if (found === undefined) throw new Error(`no sshd behind bench host ${host}`);
      return found;
    },
    async stop() {
      await Promise.allSettled([...sshd.map((s) => s.stop()), redis.stop()]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
