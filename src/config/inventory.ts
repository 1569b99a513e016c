/**
 * The validated, normalized inventory: every default applied, every
 * cross-reference checked, deeply frozen. Produced by `loadInventory` /
 * `parseInventory` from the YAML format of `config/inventory.example.yaml`.
 *
 * Glossary
 * - host name: the key of a host under `clusters.<c>.hosts` (e.g. `leofs-m0`).
 *   Topology blocks (`leofs.managers.master.host`, `dirac.boxes[].host`) hold
 *   host NAMES; `cluster.hosts[name]` gives the address and SSH settings.
 * - node: an Erlang node name `name@host` (e.g. `manager_0@10.0.0.101`), what
 *   `leofs-adm` prints and expects.
 * - remote paths: as the service sees them. A host's `root` (default `/`) is
 *   the prefix under which they live on that host (chroots, simulators): the
 *   command renderer prefixes it, the inventory never does.
 * - durations are milliseconds (`…Ms`).
 */

export type PackageFamily = "deb" | "rpm";
export type ApprovalMode = "per-step" | "per-run";
export type DiracRole = "agents" | "services" | "databases";
export type ClusterKind = "leofs" | "dirac";

/** Slack users and user groups; both empty means "anyone" where that is allowed (requesters). */
export interface SlackPrincipals {
  /** User ids, `U…` or `W…`. */
  readonly users: readonly string[];
  /** User group ids, `S…`. */
  readonly userGroups: readonly string[];
}

/** Who may start runs: these users and groups, and with `channelMembers` the cluster channel's members. */
export interface RequesterPrincipals extends SlackPrincipals {
  readonly channelMembers: boolean;
}

/** Who may request and approve, resolved for a cluster (and procedure). */
export interface ApprovalPolicy {
  /** Never empty (validated): deny by default. */
  readonly requesters: RequesterPrincipals;
  /** Never empty (validated). */
  readonly approvers: SlackPrincipals;
  /** Distinct approvers needed per gate. @defaultValue 1 */
  readonly minApprovals: number;
  /**
   * The only place a requester may approve their own gate (issue 12 point 12):
   * with a mandatory reason, announced in the cluster's channel, marked in the
   * audit. Unset: four-eyes without exception.
   */
  readonly breakGlass: { readonly channel: string } | undefined;
  /** An unanswered approval request expires after this. @defaultValue 30 min */
  readonly expiresAfterMs: number;
  /** `per-step`: a gate before each destructive step; `per-run`: one approval listing every destructive command. @defaultValue per-step */
  readonly mode: ApprovalMode;
}

export interface SshBastion {
  /** Address of the jump host. */
  readonly host: string;
  /** @defaultValue 22 */
  readonly port: number;
  /** @defaultValue the host's SSH user */
  readonly user: string;
}

/** SSH settings resolved for one host: host entry over cluster over `defaults.ssh` over the environment. */
export interface SshSettings {
  /** @defaultValue root */
  readonly user: string;
  /** @defaultValue 22 */
  readonly port: number;
  /** Absolute. @defaultValue SSH_PRIVATE_KEY_FILE */
  readonly privateKeyFile: string;
  /** Absolute; host keys are always pinned. @defaultValue SSH_KNOWN_HOSTS_FILE */
  readonly knownHostsFile: string;
  /** @defaultValue 10 s */
  readonly connectTimeoutMs: number;
  readonly bastion: SshBastion | undefined;
}

export interface HostEntry {
  /** The host name (its key in `cluster.hosts`). */
  readonly name: string;
  /** How SSH reaches it: DNS name or IP address. */
  readonly address: string;
  /** Package family; always set for leofs clusters (validated), optional for dirac. */
  readonly os: PackageFamily | undefined;
  /** Prefix under which the host's absolute paths live. @defaultValue `/` */
  readonly root: string;
  readonly ssh: SshSettings;
  /** How its LeoFS nodes start and stop; unset means the cluster's `leofs.service`. */
  readonly service: ServiceManager | undefined;
}

/** Launch scripts (`bin/leo_* start|stop`) or the packages' systemd units (leo-project/leofs rel/service/). */
export type ServiceManager = "launch-script" | "systemd";

export interface LeofsManager {
  /** Host name. */
  readonly host: string;
  /** Erlang node, e.g. `manager_0@10.0.0.101`. */
  readonly node: string;
  /** leofs-adm console port. @defaultValue 10010 (master), 10011 (slave) */
  readonly consolePort: number;
  /** Node directory relative to `installDir`. @defaultValue `leo_manager_0` (master), `leo_manager_1` (slave) */
  readonly dir: string;
}

export interface LeofsNode {
  /** Host name. */
  readonly host: string;
  /** Erlang node, e.g. `storage_0@10.0.0.104`. */
  readonly node: string;
  /** Node directory relative to `installDir`. @defaultValue `leo_storage` / `leo_gateway` */
  readonly dir: string;
}

export interface LeofsPaths {
  /** Relative to a manager dir. @defaultValue `work/mnesia/127.0.0.1` */
  readonly mnesiaSubdir: string;
  /** Mnesia backups and config copies go under here, timestamped. @defaultValue `/var/backups/intervene` */
  readonly backupDir: string;
  /** The launch scripts' pipe dir, removed on upgrade (seed 002). @defaultValue `/tmp/usr` */
  readonly launchTempDir: string;
  /** Customized avs paths; empty means `<storage dir>/avs`. */
  readonly avsDirs: readonly string[];
  /** Customized gateway cache paths; empty means `<gateway dir>/cache`. */
  readonly cacheDirs: readonly string[];
  /** Customized log paths; empty means `<node dir>/log`. */
  readonly logDirs: readonly string[];
  /** Customized work paths; empty means `<node dir>/work`. */
  readonly workDirs: readonly string[];
}

export interface LeofsTopology {
  /** Installed LeoFS version, e.g. `1.4.3`. */
  readonly version: string;
  /** @defaultValue `/usr/local/leofs/current` */
  readonly installDir: string;
  /** How nodes start and stop, unless a host says otherwise. @defaultValue `launch-script` */
  readonly service: ServiceManager;
  /** Where upgrade packages are staged on each host; unset when the cluster never upgrades through intervene. */
  readonly packageDir: string | undefined;
  /** consistency.num_of_replicas; never more than the storage nodes (validated). */
  readonly replicas: number;
  /** Where leofs-adm runs (the console binds to localhost). @defaultValue the master's host */
  readonly admin: { readonly host: string };
  readonly managers: { readonly master: LeofsManager; readonly slave: LeofsManager };
  /** At least one. */
  readonly storage: readonly LeofsNode[];
  readonly gateways: readonly LeofsNode[];
  readonly paths: LeofsPaths;
}

export interface DiracBox {
  /** Host name. */
  readonly host: string;
  /** Non-empty, no duplicates. */
  readonly roles: readonly DiracRole[];
  /** Exactly one box (a services box) is the framework server. */
  readonly frameworkServer: boolean;
  /** This database box moves its InnoDB journal (seed 003); requires `dirac.innodbJournal`. */
  readonly innodbJournal: boolean;
}

export interface DiracSetup {
  /** DIRAC setup name, e.g. `LHCb-Production`. */
  readonly setup: string;
  /** @defaultValue `/opt/dirac` */
  readonly instanceRoot: string;
  /** The maintenance tool call (seed 003: `sms set maintenance '<reason>' other <box>`); unset: no maintenance step. */
  readonly maintenance: { readonly command: string; readonly reason: string } | undefined;
  /** @defaultValue `<instanceRoot>/pro/mysql/share/mysql/mysql.server` */
  readonly mysqlServer: string;
  /** Where the InnoDB journal moves, for boxes flagged `innodbJournal`. */
  readonly innodbJournal: { readonly from: string; readonly to: string } | undefined;
  /** Pause after the services start, before the agents. @defaultValue 5 min */
  readonly waitBeforeAgentsMs: number;
  /**
   * The agents' cycle (DIRAC AgentModule `PollingTime`): `runsvctrl d` only
   * asks an agent to stop (its control/t touches stop_agent), and it ends
   * after its current cycle. @defaultValue 120 s
   */
  readonly agentPollingTimeMs: number;
  readonly boxes: readonly DiracBox[];
  /** Host name of the framework server box. */
  readonly frameworkServer: string;
}

interface ClusterBase {
  /** The cluster's key under `clusters`. */
  readonly name: string;
  readonly description: string | undefined;
  /** Slack channel id (`C…`/`G…`) for run messages. */
  readonly channel: string;
  /** The cluster's policy (defaults merged with the cluster's `approval`). Prefer `approvalPolicyFor`. */
  readonly approval: ApprovalPolicy;
  /** Fully merged policies of procedures that override the cluster's, by procedure id. */
  readonly procedureApprovals: Readonly<Record<string, ApprovalPolicy>>;
  /** Hosts by name (null-prototype record: `hosts["constructor"]` is undefined). */
  readonly hosts: Readonly<Record<string, HostEntry>>;
}

export interface LeofsCluster extends ClusterBase {
  readonly kind: "leofs";
  readonly leofs: LeofsTopology;
}

export interface DiracCluster extends ClusterBase {
  readonly kind: "dirac";
  readonly dirac: DiracSetup;
}

export type Cluster = LeofsCluster | DiracCluster;

export interface Inventory {
  readonly version: 1;
  /** The file it was read from, as given. */
  readonly file: string;
  /** The command line's identities: OS user name → Slack user id (`cli.users`). */
  readonly cliUsers: Readonly<Record<string, string>>;
  /** Clusters by name (null-prototype record). */
  readonly clusters: Readonly<Record<string, Cluster>>;
}
