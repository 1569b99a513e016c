import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import YAML from "yaml";
import type { SshdHandle } from "../ssh/sshd";
import { sshClientConfig } from "../ssh/ssh-client-config";
import { OPENSSH_HOSTS, type SimSshHosts } from "../sim-ssh-hosts";
import { parseLeofsStatus, type LeofsStatus } from "../../src/procedures/parsers/parse-leofs-status";
import { shellQuote } from "../../src/util/shell-quote";
import { SimSshExec, type SimExecResult } from "./sim-ssh-exec";
import { startRealMnesiaKit, type RealEpmd } from "./real-mnesia-kit";

const execFileP = promisify(execFile);
const SIM_SOURCES = path.join(__dirname, "sim");

export type LeofsRole = "manager-master" | "manager-slave" | "storage" | "gateway";

/** A host with LeoFS installed that is not part of the cluster (e.g. the new manager of a takeover). */
export type LeofsHostRole = LeofsRole | "spare";

export interface LeofsSimSpec {
  /** Always a master and a slave (LeoFS 1.4 runs exactly two managers). */
  readonly managers?: 2;
  readonly storage: number;
  readonly gateways: number;
  readonly version?: string;
  /** consistency.num_of_replicas on the master. */
  readonly replicas?: number;
  readonly consistency?: { readonly read?: number; readonly write?: number; readonly delete?: number };
  /** Launch everything in the documented order and run `leofs-adm start`. */
  readonly started?: boolean;
  /**
   * Extra hosts `leofs-spare<i>` with the package installed (both `leo_manager_0`
   * and `leo_manager_1` trees with package configs, Mnesia empty) but no node
   * configured or started: listed in the inventory's `hosts`, not in its topology.
   * @defaultValue 0
   */
  readonly spareHosts?: number;
  /** sshd addresses, one per host in order m0, m1, s0.., g0.., spare0..; default 127.0.0.10 upward. */
  readonly addresses?: readonly string[];
  /** The `@host` part of node names per role; default: the host's sshd address. */
  readonly nodeAddresses?: {
    readonly managers?: readonly string[];
    readonly storage?: readonly string[];
    readonly gateways?: readonly string[];
    readonly spares?: readonly string[];
  };
  readonly os?: "deb" | "rpm";
  readonly clusterName?: string;
  /** `wait_ready` retries and interval in the sim (real LeoFS: 120 x 1 s). */
  readonly waitReady?: { readonly retries: number; readonly intervalSeconds: number };
  /** Seconds a manager started on empty Mnesia answers `[ERROR] Mnesia is not available` (real: 3, once its partner answers). @defaultValue 0.5 */
  readonly mnesiaCreateDelaySeconds?: number;
  /** Slack user ids of the written inventory's approval policy. @defaultValue anyone requests, U0SIMAPPROVER approves */
  readonly approval?: SimApprovalUsers;
  /**
   * How the nodes are run: the launch scripts, or the packages' systemd units
   * (a `systemctl` shim with Type=notify and Restart=on-failure, see the
   * README). Written to the inventory as `leofs.service`, and used by
   * `started`. @defaultValue "launch-script"
   */
  readonly service?: "launch-script" | "systemd";
  /** RestartSec of the simulated units (real: 20). @defaultValue 0.5 */
  readonly systemdRestartSeconds?: number;
  /** What serves the hosts over SSH. @defaultValue one real OpenSSH sshd per host */
  readonly sshHosts?: SimSshHosts;
  /**
   * What holds the managers' tables: the shell model's files, or a real
   * Erlang VM per manager with OTP's mnesia (sim/leofs/sim/erl), on a
   * cluster-own epmd on a free loopback port. "erlang" needs loopback node
   * addresses for the managers. @defaultValue "shell"
   */
  readonly mnesia?: "shell" | "erlang";
  /** Seconds a manager that is not the last one stopped waits for its tables before its VM stops (real: 180). @defaultValue 180 */
  readonly waitForTablesSeconds?: number;
}

export interface SimApprovalUsers {
  readonly requesters?: readonly string[];
  readonly approvers?: readonly string[];
}

export interface LeofsSimHost {
  readonly name: string;
  readonly role: LeofsHostRole;
  /** The node's name; for a spare host, the name suggested for a new manager there: `manager_<2+i>@<address>`. */
  readonly node: string;
  readonly address: string;
  readonly port: number;
  /** Host root: this host's absolute paths live under it. */
  readonly root: string;
  /** `<root>/usr/local/leofs/current/<dir>/bin/<script>`; a spare host's is its `leo_manager_1` tree's. */
  readonly launchScript: string;
  readonly nodeDir: string;
}

export interface NodeStateRow {
  readonly type: "S" | "G";
  readonly node: string;
  readonly state: string;
  readonly currentRing: string;
  readonly previousRing: string;
}

export interface MnesiaInfo {
  readonly files: "ok" | "empty" | "corrupt";
  readonly cluster: string;
  readonly cookie: string;
  readonly generation: number;
  readonly fingerprint: string;
  readonly running: boolean;
  readonly mnesia: string;
}

export interface LeofsSim {
  readonly simRoot: string;
  readonly hosts: readonly LeofsSimHost[];
  readonly inventoryPath: string;
  readonly knownHostsPath: string;
  readonly sshConfigPath: string;
  readonly privateKeyPath: string;
  readonly clusterName: string;
  host(name: string): LeofsSimHost;
  hostOf(role: LeofsHostRole, index?: number): LeofsSimHost;
  /** Runs a command on a simulated host over SSH (ssh2, pinned host key). */
  exec(host: string, command: string): Promise<SimExecResult>;
  /** Runs `leofs-sim <args>` locally (setup, knobs, inspection). */
  sim(...args: string[]): Promise<string>;
  readonly state: {
    nodeStates(manager?: string): Promise<NodeStateRow[]>;
    /** By inventory index (0 master, 1 slave) or by node name (e.g. a manager started by a takeover). */
    mnesiaOf(manager: 0 | 1 | string): Promise<MnesiaInfo>;
    /** The current pair (running managers and the partners their confs name) is up, on one schema, with equal tables, naming each other. */
    checkManagers(): Promise<{ consistent: boolean; detail: string }>;
    /** The managers a running storage node or gateway talks to (its conf at start, or the last `update-managers`). */
    managersOf(node: string): Promise<string[]>;
    ownerOf(host: string, file: string): Promise<string>;
    installedVersions(host: string): Promise<string[]>;
    epmdPids(host: string): Promise<number[]>;
    nodePid(node: string): Promise<number | undefined>;
    /** The version of the cuttlefish schema (etc/<type>.schema) a running node booted with. */
    bootSchema(node: string): Promise<string | undefined>;
    simPids(): Promise<number[]>;
  };
  readonly fault: {
    startFails(node: string): Promise<void>;
    hang(consoleCommand: string): Promise<void>;
    consoleDown(manager: string): Promise<void>;
    /** Real-Mnesia mode, one shot: the manager's next wait for its tables is never told they loaded (sim/leofs/README.md). */
    tablesWaitUntold(manager: string): Promise<void>;
    corruptMnesia(manager: string): Promise<void>;
    stalePipeDir(host: string): Promise<void>;
    /** The host's disk is full: `mkdir` and `cp` over SSH fail as coreutils does on ENOSPC (clear: `clear("disk-full", host)`). */
    diskFull(host: string): Promise<void>;
    epmdRunning(host: string): Promise<void>;
    ringMismatch(node: string, hash?: string): Promise<void>;
    rpmVersions(host: string, versions: readonly string[]): Promise<void>;
    clear(name: string, target: string): Promise<void>;
  };
  stop(): Promise<void>;
}

interface HostPlan {
  name: string;
  role: LeofsHostRole;
  address: string;
  nodeAddress: string;
  node: string;
  dir: string;
  script: string;
}

function planHosts(spec: LeofsSimSpec): HostPlan[] {
  const plans: HostPlan[] = [];
  const addr = (i: number): string => spec.addresses?.[i] ?? `127.0.0.${10 + i}`;
  const push = (name: string, role: LeofsHostRole, nodeName: (a: string) => string, nodeAddr: string | undefined, dir: string, script: string): void => {
    const address = addr(plans.length);
    const nodeAddress = nodeAddr ?? address;
    plans.push({ name, role, address, nodeAddress, node: nodeName(nodeAddress), dir, script });
  };
  push("leofs-m0", "manager-master", (a) => `manager_0@${a}`, spec.nodeAddresses?.managers?.[0], "leo_manager_0", "leo_manager");
  push("leofs-m1", "manager-slave", (a) => `manager_1@${a}`, spec.nodeAddresses?.managers?.[1], "leo_manager_1", "leo_manager");
  for (let i = 0; i < spec.storage; i++) {
    push(`leofs-s${i}`, "storage", (a) => `storage_${i}@${a}`, spec.nodeAddresses?.storage?.[i], "leo_storage", "leo_storage");
  }
  for (let i = 0; i < spec.gateways; i++) {
    push(`leofs-g${i}`, "gateway", (a) => `gateway_${i}@${a}`, spec.nodeAddresses?.gateways?.[i], "leo_gateway", "leo_gateway");
  }
  for (let i = 0; i < (spec.spareHosts ?? 0); i++) {
    push(`leofs-spare${i}`, "spare", (a) => `manager_${2 + i}@${a}`, spec.nodeAddresses?.spares?.[i], "leo_manager_1", "leo_manager");
  }
  return plans;
}

function copySimSources(simRoot: string): void {
  for (const d of ["bin", "libexec", "state", "hosts", "cluster/nodes", "cluster/monitor", "cluster/faults", "cluster/tmp"]) {
    fs.mkdirSync(path.join(simRoot, d), { recursive: true });
  }
  for (const f of ["lib.sh", "launch", "shim", "disk-shim", "epmd", "beam.smp", "bashenv", "unit-supervisor"]) {
    fs.copyFileSync(path.join(SIM_SOURCES, f), path.join(simRoot, "libexec", f));
    fs.chmodSync(path.join(simRoot, "libexec", f), 0o755);
  }
  for (const f of ["leofs-adm", "leofs-sim"]) {
    fs.copyFileSync(path.join(SIM_SOURCES, f), path.join(simRoot, "bin", f));
    fs.chmodSync(path.join(simRoot, "bin", f), 0o755);
  }
}

/**
 * Builds a simulated LeoFS 1.4 cluster: one sshd per host (loopback), the
 * package tree under each host root, configs naming the nodes, an inventory
 * in the project's format, and optionally the whole cluster started.
 * Everything it starts is stopped by pid in `stop()`.
 */
export async function startLeofsSim(spec: LeofsSimSpec): Promise<LeofsSim> {
  const version = spec.version ?? "1.4.3";
  const replicas = spec.replicas ?? Math.min(spec.storage, 3);
  const clusterName = spec.clusterName ?? "sim";
  const simRoot = fs.mkdtempSync(path.join(os.tmpdir(), "leofs-sim-"));
  copySimSources(simRoot);
  const env = { ...process.env, LEOFS_SIM_ROOT: simRoot };
  const sim = async (...args: string[]): Promise<string> => {
    const { stdout } = await execFileP(path.join(simRoot, "bin", "leofs-sim"), args, { env });
    return stdout;
  };
  const plans = planHosts(spec);
  const sshds: SshdHandle[] = [];
  const clients = new Map<string, SimSshExec>();
  let stopped = false;
  let epmd: RealEpmd | undefined;

  // A test that crashes before stop() must not leave setsid'd sim daemons behind.
  const killOnExit = (): void => {
    if (stopped) return;
    try {
      execFileSync(path.join(simRoot, "bin", "leofs-sim"), ["shutdown"], { env, stdio: "ignore" });
    } catch {
      // best effort at exit
    }
    epmd?.kill();
  };
  process.once("exit", killOnExit);
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", killOnExit);
    for (const c of clients.values()) c.close();
    await sim("shutdown").catch(() => undefined);
    await epmd?.stop();
    await Promise.all(sshds.map((s) => s.stop()));
    fs.rmSync(simRoot, { recursive: true, force: true });
  };

  try {
    const masterAddr = plans[0]?.nodeAddress ?? "";
    const slaveAddr = plans[1]?.nodeAddress ?? "";
    const master = `manager_0@${masterAddr}`;
    const slave = `manager_1@${slaveAddr}`;
    for (const p of plans) {
      await sim("init-host", p.name, p.address, spec.os ?? "deb");
      await sim("install", p.name, version);
      // a spare host keeps the package configs (`*@127.0.0.1`): whoever takes it over sets them
      if (p.role === "spare") continue;
      const conf = path.join(simRoot, "hosts", p.name, "usr/local/leofs", version, p.dir, "etc", p.dir.startsWith("leo_manager") ? "leo_manager.conf" : `${p.dir}.conf`);
      const set = (k: string, v: string): Promise<string> => sim("set-conf", conf, k, v);
      await set("nodename", p.node);
      if (p.role === "manager-master") {
        await set("manager.partner", slave);
        await set("consistency.num_of_replicas", String(replicas));
        await set("consistency.read", String(spec.consistency?.read ?? 1));
        await set("consistency.write", String(spec.consistency?.write ?? Math.min(2, replicas)));
        await set("consistency.delete", String(spec.consistency?.delete ?? Math.min(2, replicas)));
      } else if (p.role === "manager-slave") {
        await set("manager.partner", master);
      } else {
        await set("managers", `[${master}, ${slave}]`);
      }
    }
    // Real: 3 s (leo_manager_sup.erl ?CHECK_INTERVAL); shorter here so that tests stay quick.
    await sim("config", "mnesia_create_delay", String(spec.mnesiaCreateDelaySeconds ?? 0.5));
    await sim("config", "wait_ready_retries", String(spec.waitReady?.retries ?? 10));
    await sim("config", "wait_ready_interval", String(spec.waitReady?.intervalSeconds ?? 0.05));
    // Real: RestartSec=20 (rel/service/leofs-*.service); shorter here so that tests stay quick.
    await sim("config", "systemd_restart_sec", String(spec.systemdRestartSeconds ?? 0.5));
    if (spec.waitForTablesSeconds !== undefined) await sim("config", "wait_for_tables_seconds", String(spec.waitForTablesSeconds));
    if (spec.mnesia === "erlang") {
      const managerAddresses = plans.filter((p) => p.role !== "storage" && p.role !== "gateway").map((p) => p.nodeAddress);
      epmd = await startRealMnesiaKit(simRoot, managerAddresses);
      await sim("config", "mnesia_mode", "erlang");
      await sim("config", "epmd_port", String(epmd.port));
      await sim("config", "erl", epmd.erl);
    }

    const sshHosts = spec.sshHosts ?? OPENSSH_HOSTS;
    const identity = sshHosts.createIdentity(simRoot);
    const bashenv = path.join(simRoot, "libexec", "bashenv");
    for (const p of plans) {
      // bash run by sshd reads ~/.bashrc and skips BASH_ENV: both disable the kill builtin
      const home = path.join(simRoot, "sshd", p.name, "home");
      fs.mkdirSync(home, { recursive: true });
      fs.writeFileSync(path.join(home, ".bashrc"), `. ${shellQuote(bashenv)}\n`);
    }
    const started = await Promise.all(
      plans.map((p) =>
        sshHosts.startHost({
          address: p.address,
          identity,
          dir: path.join(simRoot, "sshd", p.name),
          env: {
            PATH: `${path.join(simRoot, "hosts", p.name, "shims")}:${path.join(simRoot, "bin")}:/usr/bin:/bin`,
            LEOFS_SIM_ROOT: simRoot,
            LEOFS_SIM_HOST: p.name,
            BASH_ENV: bashenv,
          },
        }),
      ),
    );
    sshds.push(...started);

    const knownHostsPath = path.join(simRoot, "known_hosts");
    fs.writeFileSync(knownHostsPath, started.map((s) => `${s.knownHostsLine}\n`).join(""));
    const sshConfigPath = path.join(simRoot, "ssh_config");
    fs.writeFileSync(
      sshConfigPath,
      sshClientConfig({
        hosts: plans.map((p, i) => ({ name: p.name, address: p.address, port: started[i]?.port ?? 22 })),
        privateKeyPath: identity.privateKeyPath,
        knownHostsPath,
      }),
    );

    const hosts: LeofsSimHost[] = plans.map((p, i) => {
      const root = path.join(simRoot, "hosts", p.name);
      return {
        name: p.name,
        role: p.role,
        node: p.node,
        address: p.address,
        port: started[i]?.port ?? 0,
        root,
        nodeDir: path.join(root, "usr/local/leofs/current", p.dir),
        launchScript: path.join(root, "usr/local/leofs/current", p.dir, "bin", p.script),
      };
    });

    const inventoryPath = path.join(simRoot, "inventory.yaml");
    fs.writeFileSync(inventoryPath, YAML.stringify(buildInventory(clusterName, version, replicas, hosts, identity.privateKeyPath, knownHostsPath, spec.os ?? "deb", spec.approval ?? {}, spec.service ?? "launch-script")));

    for (const h of hosts) {
      clients.set(h.name, new SimSshExec({ address: h.address, port: h.port, username: started[0]?.username ?? os.userInfo().username, hostPublicKey: started[hosts.indexOf(h)]?.hostPublicKey ?? "" }, identity.privateKeyPath));
    }
    const hostByName = (name: string): LeofsSimHost => {
      const h = hosts.find((x) => x.name === name);
      if (h === undefined) throw new Error(`no simulated host ${name}`);
      return h;
    };
    const hostOf = (role: LeofsHostRole, index = 0): LeofsSimHost => {
      const h = hosts.filter((x) => x.role === role)[index];
      if (h === undefined) throw new Error(`no simulated ${role} #${index}`);
      return h;
    };
    const exec = async (host: string, command: string): Promise<SimExecResult> => {
      const client = clients.get(host);
      if (client === undefined) throw new Error(`no simulated host ${host}`);
      return client.exec(command);
    };
    const lines = (s: string): string[] => s.split("\n").filter((l) => l !== "");

    const result: LeofsSim = {
      simRoot,
      hosts,
      inventoryPath,
      knownHostsPath,
      sshConfigPath,
      privateKeyPath: identity.privateKeyPath,
      clusterName,
      host: hostByName,
      hostOf,
      exec,
      sim,
      state: {
        async nodeStates(manager?: string) {
          const out = await sim("nodes", ...(manager === undefined ? [] : [manager]));
          return lines(out).map((l) => {
            const [type, node, state, currentRing, previousRing] = l.split("\t");
            return { type: type as "S" | "G", node: node ?? "", state: state ?? "", currentRing: currentRing ?? "", previousRing: previousRing ?? "" };
          });
        },
        async mnesiaOf(manager) {
          const node = typeof manager === "string" ? manager : hostOf(manager === 0 ? "manager-master" : "manager-slave").node;
          const out = await sim("mnesia-info", node);
          const kv = Object.fromEntries(lines(out).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
          return {
            files: kv.files as MnesiaInfo["files"],
            cluster: kv.cluster ?? "",
            cookie: kv.cookie ?? "",
            generation: Number(kv.generation ?? "0"),
            fingerprint: kv.fingerprint ?? "",
            running: kv.running === "yes",
            mnesia: kv.mnesia ?? "",
          };
        },
        async checkManagers() {
          try {
            return { consistent: true, detail: (await sim("check-managers")).trim() };
          } catch (err) {
            return { consistent: false, detail: String((err as { stdout?: string }).stdout ?? err).trim() };
          }
        },
        async managersOf(node) {
          return (await sim("managers-of", node)).split(/\s+/).filter((w) => w !== "");
        },
        async ownerOf(host, file) {
          return (await sim("owner", host, file)).trim();
        },
        async installedVersions(host) {
          return lines(await sim("packages", host));
        },
        async epmdPids(host) {
          return lines(await sim("epmd-pids", host)).map(Number);
        },
        async nodePid(node) {
          try {
            return Number((await sim("node-pid", node)).trim());
          } catch {
            return undefined;
          }
        },
        async bootSchema(node) {
          try {
            return (await sim("node-schema", node)).trim();
          } catch {
            return undefined;
          }
        },
        async simPids() {
          return lines(await sim("pids")).map(Number);
        },
      },
      fault: {
        startFails: async (node) => void (await sim("fault", "start-fails", node)),
        hang: async (cmd) => void (await sim("fault", "hang", cmd)),
        consoleDown: async (m) => void (await sim("fault", "console-down", m)),
        tablesWaitUntold: async (m) => void (await sim("fault", "tables-wait-untold", m)),
        corruptMnesia: async (m) => void (await sim("fault", "corrupt-mnesia", m)),
        stalePipeDir: async (h) => void (await sim("fault", "stale-pipe-dir", h)),
        diskFull: async (h) => void (await sim("fault", "disk-full", h)),
        epmdRunning: async (h) => void (await sim("fault", "epmd-running", h)),
        ringMismatch: async (node, hash) => void (await sim("fault", "ring-mismatch", node, ...(hash === undefined ? [] : [hash]))),
        rpmVersions: async (h, versions) => void (await sim("fault", "rpm-versions", h, ...versions)),
        clear: async (name, target) => void (await sim("fault", "clear", name, target)),
      },
      stop,
    };

    if (spec.started === true) await launchInOrder(result, env, spec.service ?? "launch-script");
    return result;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Seed 001's launch order, run locally with each host's session environment. */
async function launchInOrder(sim: LeofsSim, baseEnv: NodeJS.ProcessEnv, service: "launch-script" | "systemd"): Promise<void> {
  const run = async (h: LeofsSimHost, file: string, args: string[]): Promise<void> => {
    await execFileP(file, args, { env: { ...baseEnv, LEOFS_SIM_HOST: h.name } });
  };
  // Each node is started and waited for (`wait_ready`) before the next, as the launch procedure's startAndWaitReady
  // (node-control.ts; reference §2): a slave started before its master answers cannot join the master's schema.
  // The sim's wait_ready gives up after its configured retries (spec.waitReady: half a second by default, for the
  // procedures' own waits), so it is asked again here until the node is ready, within 30 s.
  const start = async (h: LeofsSimHost): Promise<void> => {
    await (service === "systemd" ? run(h, path.join(h.root, "shims", "systemctl"), ["start", `leofs-${h.role}`]) : run(h, h.launchScript, ["start"]));
    for (const deadline = Date.now() + 30_000; ; ) {
      try {
        await run(h, h.launchScript, ["wait_ready"]);
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
    }
  };
  await start(sim.hostOf("manager-master"));
  await start(sim.hostOf("manager-slave"));
  for (const h of sim.hosts.filter((x) => x.role === "storage")) await start(h);
  const admin = sim.hostOf("manager-master");
  const adm = async (...args: string[]): Promise<string> =>
    (await execFileP(path.join(sim.simRoot, "bin", "leofs-adm"), args, { env: { ...baseEnv, LEOFS_SIM_HOST: admin.name } })).stdout;
  // As the launch procedure's wait-storage-attached: a first start is on empty Mnesia, so the tables come a moment after
  // `ready` (leo_manager_sup.erl create_mnesia_tables), and each storage node is attached only once it has registered with
  // the manager (leo_storage_app.erl after_proc_1 → leo_storage_api:register_in_monitor(first) → RPC leo_manager_api:register,
  // retried every ?CHECK_INTERVAL while no manager answers), a moment after its own `ready`.
  // `leofs-adm start` before then answers "Storage cluster is not running, yet" (a loaded CI machine met that window).
  const storage = sim.hosts.filter((x) => x.role === "storage").map((h) => h.node);
  for (let i = 0, last = ""; ; i++) {
    last = await adm("status");
    if (allAttached(last, storage)) break;
    if (i >= 300) throw new Error(`the storage nodes were not all attached within 30 s; leofs-adm status answered ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const started = await adm("start");
  if (!started.endsWith("OK\r\n")) throw new Error(`leofs-adm start answered ${JSON.stringify(started)}`);
  for (const h of sim.hosts.filter((x) => x.role === "gateway")) await start(h);
}

function allAttached(statusText: string, storageNodes: readonly string[]): boolean {
  let status: LeofsStatus;
  try {
    status = parseLeofsStatus(statusText);
  } catch {
    return false; // "[ERROR] Mnesia is not available" and the like: not yet
  }
  const states = new Map(status.nodes.map((n) => [n.node, n.state]));
  return storageNodes.every((n) => states.get(n) === "attached" || states.get(n) === "running");
}

function buildInventory(
  clusterName: string,
  version: string,
  replicas: number,
  hosts: readonly LeofsSimHost[],
  privateKeyFile: string,
  knownHostsFile: string,
  osFamily: "deb" | "rpm",
  approval: SimApprovalUsers,
  service: "launch-script" | "systemd",
): unknown {
  const byRole = (role: LeofsRole): LeofsSimHost[] => hosts.filter((h) => h.role === role);
  const master = byRole("manager-master")[0];
  const slave = byRole("manager-slave")[0];
  return {
    version: 1,
    defaults: {
      approval: {
        // Deny by default: without named requesters, the sim channel's members may request.
        requesters: approval.requesters !== undefined ? { users: [...approval.requesters], userGroups: [] } : { channelMembers: true },
        approvers: { users: [...(approval.approvers ?? ["U0SIMAPPROVER"])], userGroups: [] },
        minApprovals: 1,
        expiresAfter: "30m",
        mode: "per-step",
      },
      ssh: { user: os.userInfo().username, port: 22, privateKeyFile, knownHostsFile, connectTimeout: "10s" },
    },
    clusters: {
      [clusterName]: {
        kind: "leofs",
        description: "Simulated LeoFS cluster (sim/leofs)",
        channel: "C0LEOFSSIM",
        leofs: {
          version,
          installDir: "/usr/local/leofs/current",
          service,
          packageDir: "/var/cache/leofs-packages",
          replicas,
          admin: { host: master?.name },
          managers: {
            master: { host: master?.name, node: master?.node, consolePort: 10010, dir: "leo_manager_0" },
            slave: { host: slave?.name, node: slave?.node, consolePort: 10011, dir: "leo_manager_1" },
          },
          storage: byRole("storage").map((h) => ({ host: h.name, node: h.node })),
          gateways: byRole("gateway").map((h) => ({ host: h.name, node: h.node })),
          paths: {
            mnesiaSubdir: "work/mnesia/127.0.0.1",
            backupDir: "/var/backups/intervene",
            launchTempDir: "/tmp/usr",
          },
        },
        hosts: Object.fromEntries(hosts.map((h) => [h.name, { address: h.address, os: osFamily, root: h.root, ssh: { port: h.port } }])),
      },
    },
  };
}

/** `leofs-adm <args>` as a shell command line, for `exec`. */
export function leofsAdm(...args: string[]): string {
  return ["leofs-adm", ...args].map(shellQuote).join(" ");
}
