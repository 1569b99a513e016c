/**
 * zod schemas of the inventory file as written (config/inventory.example.yaml).
 * Objects are strict so a typo is an error rather than a silently ignored key.
 * Static defaults are applied here; merges and derived defaults (approval and
 * SSH inheritance, admin host, mysqlServer) happen in `normalizeInventory`.
 */
import { z } from "zod";
import { describeValue, expected } from "./describe-value";
import { parseDuration } from "./parse-duration";

function matching(pattern: RegExp, what: string) {
  const error = expected(what);
  return z.string({ error }).regex(pattern, { error });
}

function integer(min: number, max?: number) {
  const error = expected(max === undefined ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`);
  const base = z.number({ error }).int({ error }).min(min, { error });
  return max === undefined ? base : base.max(max, { error });
}

function duration(minMs: number) {
  const what = "a duration like 30s, 30m or 2h";
  return z.string({ error: expected(what) }).transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms !== undefined && ms >= minMs) return ms;
    const message = ms === undefined ? `expected ${what}, got ${describeValue(text)}` : `must be at least ${minMs} ms, got ${describeValue(text)}`;
    ctx.addIssue({ code: "custom", message, input: text });
    return z.NEVER;
  });
}

const NO_CONTROL = "[^\\u0000-\\u001f]";
const absolutePath = matching(new RegExp(`^/${NO_CONTROL}*$`), "an absolute path");
const relativePath = matching(new RegExp(`^(?!/)(?!(.*/)?\\.\\.(/|$))${NO_CONTROL}+$`), "a relative path without ..");
const nodePath = matching(new RegExp(`^(?!(.*/)?\\.\\.(/|$))${NO_CONTROL}+$`), "a path without ..");
const keyFile = matching(new RegExp(`^(/|~/)${NO_CONTROL}*$`), "an absolute path or one starting with ~/");
const hostName = matching(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "a host name (letters, digits, . _ -)");
const clusterName = matching(/^[a-z0-9][a-z0-9_-]*$/, "a cluster name (lower-case letters, digits, _ -)");
const procedureId = matching(/^[a-z][a-z0-9]*(\.[a-z0-9][a-z0-9-]*)+$/, "a procedure id like leofs.upgrade");
const address = matching(/^[A-Za-z0-9._:-]+$/, "a host name or IP address");
const sshUser = matching(/^[A-Za-z_][A-Za-z0-9_.-]*$/, "a user name");
const port = integer(1, 65535);
const channelId = matching(/^[CG][A-Z0-9]{2,}$/, "a Slack channel id (C… or G…)");
const userId = matching(/^[UW][A-Z0-9]{2,}$/, "a Slack user id (U… or W…)");
const userGroupId = matching(/^S[A-Z0-9]{2,}$/, "a Slack user group id (S…)");
const erlangNode = matching(/^[A-Za-z0-9_-]+@[A-Za-z0-9._-]+$/, "an Erlang node name like storage_0@10.0.0.104");

// --- approval --------------------------------------------------------------

const principals = z.strictObject({ users: z.array(userId).default([]), userGroups: z.array(userGroupId).default([]) });

/**
 * Who may start runs. Deny by default (issue 12 point 1): an empty list lets
 * nobody in; `channelMembers: true` is the explicit way to let the cluster
 * channel's members in (checked with conversations.members).
 */
const requesterPrincipals = z.strictObject({
  users: z.array(userId).default([]),
  userGroups: z.array(userGroupId).default([]),
  channelMembers: z.boolean({ error: expected("true or false") }).default(false),
});

const approvalFields = {
  requesters: requesterPrincipals.optional(),
  approvers: principals.optional(),
  minApprovals: integer(1).optional(),
  // Issue 12 point 12: gone. Four-eyes holds everywhere; emergencies go through breakGlass.
  allowSelfApproval: z
    .never({ error: "allowSelfApproval is gone: four-eyes holds everywhere. For emergencies name a break-glass channel, breakGlass: { channel: C0123ABCD }, where a requester may approve their own gate with a reason, announced in the cluster's channel" })
    .optional(),
  /** A channel where a requester may approve their own gate, with a reason, announced loudly. */
  breakGlass: z.strictObject({ channel: channelId }).optional(),
  expiresAfter: duration(1000).optional(),
  mode: z.enum(["per-step", "per-run"]).optional(),
};
/** Partial: merged field by field over the inherited policy. */
export const approvalOverrideSchema = z.strictObject(approvalFields);
const clusterApprovalSchema = z.strictObject({
  ...approvalFields,
  procedures: z.record(procedureId, approvalOverrideSchema).optional(),
});

// --- ssh -------------------------------------------------------------------

const bastionSchema = z.strictObject({ host: address, port: port.optional(), user: sshUser.optional() });
/** Partial: merged field by field, host over cluster over defaults over the environment. */
export const sshOverrideSchema = z.strictObject({
  user: sshUser.optional(),
  port: port.optional(),
  privateKeyFile: keyFile.optional(),
  knownHostsFile: keyFile.optional(),
  connectTimeout: duration(1).optional(),
  bastion: bastionSchema.optional(),
});

/**
 * How the LeoFS nodes of a host are started and stopped: the launch scripts
 * (`bin/leo_* start|stop`) or the packages' systemd units (rel/service/).
 * LeoFS does not support mixing the two on one node
 * (docs/admin/system_operations/systemd.md).
 */
const serviceManager = z.enum(["launch-script", "systemd"], {
  error: expected('"launch-script" (bin/leo_* start|stop) or "systemd" (systemctl start|stop leofs-*)'),
});

const hostSchema = z.strictObject({
  address,
  os: z.enum(["deb", "rpm"]).optional(),
  root: absolutePath.default("/"),
  ssh: sshOverrideSchema.optional(),
  /** Overrides the cluster's `leofs.service` for this host. */
  service: serviceManager.optional(),
});

// --- leofs -----------------------------------------------------------------

const managerSchema = (consolePort: number, dir: string) =>
  z.strictObject({
    host: hostName,
    node: erlangNode,
    consolePort: port.default(consolePort),
    dir: relativePath.default(dir),
  });
const leofsNodeSchema = (dir: string) => z.strictObject({ host: hostName, node: erlangNode, dir: relativePath.default(dir) });

const leofsSchema = z.strictObject({
  // YAML reads `1.4` as a number; the hint says how to keep it text.
  version: matching(/^\d+(\.\d+)+$/, 'a version like 1.4.3 (quote it: "1.4")'),
  installDir: absolutePath.default("/usr/local/leofs/current"),
  service: serviceManager.default("launch-script"),
  packageDir: absolutePath.optional(),
  replicas: integer(1),
  admin: z.strictObject({ host: hostName }).optional(),
  managers: z.strictObject({ master: managerSchema(10010, "leo_manager_0"), slave: managerSchema(10011, "leo_manager_1") }),
  storage: z.array(leofsNodeSchema("leo_storage")).min(1, { error: "expected at least one storage node" }),
  gateways: z.array(leofsNodeSchema("leo_gateway")).default([]),
  paths: z
    .strictObject({
      mnesiaSubdir: relativePath.default("work/mnesia/127.0.0.1"),
      backupDir: absolutePath.default("/var/backups/intervene"),
      launchTempDir: absolutePath.default("/tmp/usr"),
      avsDirs: z.array(nodePath).default([]),
      cacheDirs: z.array(nodePath).default([]),
      logDirs: z.array(nodePath).default([]),
      workDirs: z.array(nodePath).default([]),
    })
    .prefault({}),
});

// --- dirac -----------------------------------------------------------------

const diracBoxSchema = z.strictObject({
  host: hostName,
  roles: z.array(z.enum(["agents", "services", "databases"])).min(1, { error: "expected at least one role" }),
  frameworkServer: z.boolean({ error: expected("true or false") }).default(false),
  innodbJournal: z.boolean({ error: expected("true or false") }).default(false),
});

const diracSchema = z.strictObject({
  setup: matching(/^[A-Za-z0-9_.-]+$/, "a DIRAC setup name like LHCb-Production"),
  instanceRoot: absolutePath.default("/opt/dirac"),
  maintenance: z
    .strictObject({
      command: matching(/^[A-Za-z0-9_./-]+$/, "a command name or path"),
      reason: matching(/^[^\u0000-\u001f]+$/, "a one-line reason"),
    })
    .optional(),
  mysqlServer: absolutePath.optional(),
  innodbJournal: z.strictObject({ from: absolutePath, to: absolutePath }).optional(),
  waitBeforeAgents: duration(0).default(5 * 60_000),
  /** The agents' PollingTime (DIRAC AgentModule default 120 s): one cycle, which a stopping agent may finish. */
  agentPollingTime: duration(1000).default(120_000),
  boxes: z.array(diracBoxSchema).min(1, { error: "expected at least one box" }),
});

// --- cluster and file ------------------------------------------------------

export const clusterSchema = z.strictObject({
  kind: z.enum(["leofs", "dirac"]),
  description: z.string({ error: expected("a string") }).optional(),
  channel: channelId,
  approval: clusterApprovalSchema.optional(),
  ssh: sshOverrideSchema.optional(),
  leofs: leofsSchema.optional(),
  dirac: diracSchema.optional(),
  hosts: z.record(hostName, hostSchema),
});

export const defaultsSchema = z.strictObject({
  approval: approvalOverrideSchema.optional(),
  ssh: sshOverrideSchema.optional(),
});

const osUserName = z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}\$?$/, { error: expected("an OS user name like alice") });

/**
 * Who the command line acts as (issue 12 point 5): the OS user running it,
 * mapped to a Slack user. Nobody else can be named on the command line.
 */
export const cliSchema = z.strictObject({
  users: z.record(osUserName, userId, { error: expected("a mapping of OS user names to Slack user ids, e.g. { alice: U0123ABCD }") }).default({}),
});

/** The file's top level; each cluster is checked on its own with `clusterSchema` so one bad cluster hides nothing of another. */
export const inventoryFileSchema = z.strictObject({
  version: z.literal(1, { error: expected("1 (the only inventory format version)") }),
  defaults: z.unknown().optional(),
  cli: cliSchema.optional(),
  clusters: z
    .record(clusterName, z.unknown(), { error: expected("a mapping of clusters by name") })
    .refine((clusters) => Object.keys(clusters).length > 0, { error: "expected at least one cluster" }),
});

export type RawApprovalOverride = z.output<typeof approvalOverrideSchema>;
export type RawClusterApproval = z.output<typeof clusterApprovalSchema>;
export type RawSshOverride = z.output<typeof sshOverrideSchema>;
export type RawDefaults = z.output<typeof defaultsSchema>;
export type RawCluster = z.output<typeof clusterSchema>;
export type RawHost = z.output<typeof hostSchema>;
