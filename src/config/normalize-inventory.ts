import path from "node:path";
import type { Cluster, DiracSetup, HostEntry, Inventory, LeofsTopology } from "./inventory";
import type { RawCluster, RawDefaults } from "./inventory-schema";
import { resolveApprovalPolicies } from "./resolve-approval-policies";
import { resolveSshSettings, type SshFallback } from "./resolve-ssh-settings";

export interface NormalizeOptions {
  readonly file: string;
  readonly cliUsers?: Readonly<Record<string, string>>;
  readonly sshFallback: SshFallback;
  readonly homeDir: string;
}

/**
 * Builds the fully defaulted, deeply frozen inventory from clusters that
 * passed `clusterSchema` and `checkCluster` (so kind and topology agree and
 * every referenced host exists).
 */
export function normalizeInventory(
  defaults: RawDefaults,
  clusters: readonly (readonly [string, RawCluster])[],
  options: NormalizeOptions,
): Inventory {
  const byName = nullPrototype<Cluster>();
  for (const [name, raw] of clusters) byName[name] = normalizeCluster(name, raw, defaults, options);
  const cliUsers = Object.assign(Object.create(null) as Record<string, string>, options.cliUsers ?? {});
  return deepFreeze({ version: 1, file: options.file, cliUsers, clusters: byName });
}

function normalizeCluster(name: string, raw: RawCluster, defaults: RawDefaults, options: NormalizeOptions): Cluster {
  const approval = resolveApprovalPolicies(defaults.approval, raw.approval);
  const procedureApprovals = nullPrototype<Cluster["approval"]>();
  for (const [id, policy] of approval.procedures) procedureApprovals[id] = policy;
  const hosts = nullPrototype<HostEntry>();
  for (const [hostName, host] of Object.entries(raw.hosts)) {
    hosts[hostName] = {
      name: hostName,
      address: host.address,
      os: host.os,
      root: host.root,
      service: host.service,
      ssh: resolveSshSettings([defaults.ssh, raw.ssh, host.ssh], options.sshFallback, options.homeDir),
    };
  }
  const base = { name, description: raw.description, channel: raw.channel, approval: approval.cluster, procedureApprovals, hosts };
  if (raw.kind === "leofs" && raw.leofs !== undefined) return { ...base, kind: "leofs", leofs: normalizeLeofs(raw.leofs) };
  if (raw.kind === "dirac" && raw.dirac !== undefined) return { ...base, kind: "dirac", dirac: normalizeDirac(raw.dirac) };
  throw new Error(`cluster ${name} reached normalization without its ${raw.kind} block`);
}

function normalizeLeofs(raw: NonNullable<RawCluster["leofs"]>): LeofsTopology {
  return {
    version: raw.version,
    installDir: raw.installDir,
    service: raw.service,
    packageDir: raw.packageDir,
    replicas: raw.replicas,
    admin: { host: raw.admin?.host ?? raw.managers.master.host },
    managers: raw.managers,
    storage: raw.storage,
    gateways: raw.gateways,
    paths: raw.paths,
  };
}

function normalizeDirac(raw: NonNullable<RawCluster["dirac"]>): DiracSetup {
  const frameworkServer = raw.boxes.find((box) => box.frameworkServer)?.host;
  if (frameworkServer === undefined) throw new Error("dirac setup reached normalization without a framework server");
  return {
    setup: raw.setup,
    instanceRoot: raw.instanceRoot,
    maintenance: raw.maintenance,
    mysqlServer: raw.mysqlServer ?? path.posix.join(raw.instanceRoot, "pro/mysql/share/mysql/mysql.server"),
    innodbJournal: raw.innodbJournal,
    waitBeforeAgentsMs: raw.waitBeforeAgents,
    agentPollingTimeMs: raw.agentPollingTime,
    boxes: raw.boxes,
    frameworkServer,
  };
}

/** Records keyed by names from the file: a host called `constructor` must not meet Object.prototype. */
function nullPrototype<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
