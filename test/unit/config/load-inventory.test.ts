import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  approvalPolicyFor,
  InventoryError,
  loadEnvConfig,
  loadInventory,
  parseInventory,
  sshSettingsFor,
  UnknownHostError,
  type Cluster,
  type DiracCluster,
  type Inventory,
  type LeofsCluster,
} from "../../../src/config";
import { BASE_INVENTORY, mutate } from "./inventory-fixture";

const EXAMPLE = path.join(__dirname, "../../../config/inventory.example.yaml");
const sshFallback = { privateKeyFile: "/etc/intervene/id_ed25519", knownHostsFile: "/etc/intervene/known_hosts" };
const options = { inventoryFile: "config/inventory.yaml", ssh: sshFallback, homeDir: "/home/op" };

function cluster<K extends Cluster["kind"]>(inventory: Inventory, name: string, kind: K): Extract<Cluster, { kind: K }> {
  const found = inventory.clusters[name];
  if (found?.kind !== kind) throw new Error(`expected a ${kind} cluster named ${name}`);
  return found as Extract<Cluster, { kind: K }>;
}

describe("the example inventory (config/inventory.example.yaml)", () => {
  const inventory = loadInventory({ inventoryFile: EXAMPLE, ssh: sshFallback, homeDir: "/home/op" });
  const prod: LeofsCluster = cluster(inventory, "prod", "leofs");
  const lhcb: DiracCluster = cluster(inventory, "lhcb", "dirac");

  it("validates, with its two clusters", () => {
    expect(inventory.version).toBe(1);
    expect(inventory.file).toBe(EXAMPLE);
    expect(Object.keys(inventory.clusters)).toEqual(["prod", "lhcb"]);
    expect(prod).toMatchObject({ name: "prod", channel: "C0LEOFSPROD", description: "Production object store (Tokyo)" });
  });

  it("names hosts in the leofs topology and resolves them through cluster.hosts", () => {
    expect(prod.leofs.managers.master).toEqual({ host: "leofs-m0", node: "manager_0@10.0.0.101", consolePort: 10010, dir: "leo_manager_0" });
    expect(prod.leofs.managers.slave).toEqual({ host: "leofs-m1", node: "manager_1@10.0.0.102", consolePort: 10011, dir: "leo_manager_1" });
    expect(prod.hosts[prod.leofs.managers.slave.host]).toMatchObject({ name: "leofs-m1", address: "10.0.0.102", os: "deb", root: "/" });
    expect(prod.leofs.storage.map((s) => [s.host, s.dir])).toEqual([
      ["leofs-s0", "leo_storage"],
      ["leofs-s1", "leo_storage"],
      ["leofs-s2", "leo_storage"],
    ]);
    expect(prod.leofs.gateways).toEqual([{ host: "leofs-g0", node: "gateway_0@10.0.0.103", dir: "leo_gateway" }]);
    expect(prod.leofs).toMatchObject({
      version: "1.4.3",
      installDir: "/usr/local/leofs/current",
      packageDir: "/var/cache/leofs-packages",
      replicas: 3,
      admin: { host: "leofs-m0" },
    });
  });

  it("fills the leofs path defaults", () => {
    expect(prod.leofs.paths).toEqual({
      mnesiaSubdir: "work/mnesia/127.0.0.1",
      backupDir: "/var/backups/intervene",
      launchTempDir: "/tmp/usr",
      avsDirs: [],
      cacheDirs: [],
      logDirs: [],
      workDirs: [],
    });
  });

  it("merges the approval policy field by field: defaults, then cluster, then procedure", () => {
    const policy = {
      requesters: { users: ["U0OPERATOR1"], userGroups: ["S0SREONCALL"], channelMembers: false },
      approvers: { users: ["U0APPROVER1", "U0APPROVER2"], userGroups: ["S0SREONCALL"] },
      minApprovals: 2,
      breakGlass: undefined,
      expiresAfterMs: 30 * 60_000,
      mode: "per-step",
    };
    expect(approvalPolicyFor(prod, "leofs.recover-manager")).toEqual(policy);
    expect(approvalPolicyFor(prod, "leofs.upgrade")).toEqual({ ...policy, mode: "per-run" });
    expect(approvalPolicyFor(lhcb, "dirac.intervention")).toEqual({ ...policy, minApprovals: 1 });
    // Inherited names from Object.prototype are not procedures.
    expect(approvalPolicyFor(prod, "constructor")).toEqual(policy);
  });

  it("resolves SSH per host: host over cluster over defaults over the environment's key files", () => {
    const clusterWide = {
      user: "leofs-ops",
      port: 22,
      privateKeyFile: sshFallback.privateKeyFile,
      knownHostsFile: sshFallback.knownHostsFile,
      connectTimeoutMs: 10_000,
      bastion: { host: "bastion.example.net", port: 22, user: "jump" },
    };
    expect(sshSettingsFor(prod, "leofs-m0")).toEqual(clusterWide);
    expect(sshSettingsFor(prod, "leofs-g0")).toEqual({ ...clusterWide, port: 2222 });
    expect(sshSettingsFor(lhcb, "volhcb18")).toEqual({ ...clusterWide, user: "root", bastion: undefined });
    expect(() => sshSettingsFor(prod, "volhcb18")).toThrow(UnknownHostError);
    expect(() => sshSettingsFor(prod, "constructor")).toThrow('cluster prod has no host "constructor"');
  });

  it("fills the dirac defaults and finds the framework server", () => {
    expect(lhcb.dirac).toMatchObject({
      setup: "LHCb-Production",
      instanceRoot: "/opt/dirac",
      maintenance: { command: "sms", reason: "power stop" },
      mysqlServer: "/opt/dirac/pro/mysql/share/mysql/mysql.server",
      innodbJournal: { from: "/opt/dirac/mysql/log", to: "/home/dirac/mysql-log" },
      waitBeforeAgentsMs: 5 * 60_000,
      frameworkServer: "volhcb18",
    });
    expect(lhcb.dirac.boxes[0]).toEqual({ host: "volhcb20", roles: ["agents"], frameworkServer: false, innodbJournal: false });
    expect(lhcb.dirac.boxes.filter((b) => b.innodbJournal).map((b) => b.host)).toEqual(["volhcb21"]);
    expect(lhcb.hosts.volhcb21).toMatchObject({ address: "volhcb21.cern.ch", os: undefined, root: "/" });
  });

  it("is deeply frozen, and host lookups never reach Object.prototype", () => {
    expect(Object.isFrozen(inventory)).toBe(true);
    expect(Object.isFrozen(prod.leofs.storage)).toBe(true);
    expect(Object.isFrozen(prod.hosts["leofs-m0"]?.ssh)).toBe(true);
    expect(prod.hosts["constructor"]).toBeUndefined();
    expect(inventory.clusters["toString"]).toBeUndefined();
  });
});

describe("parseInventory defaults and derived values", () => {
  it("defaults the admin host to the master's host and mysqlServer to the instance root", () => {
    const inventory = parseInventory(
      mutate(BASE_INVENTORY, [["      setup: LHCb-Production\n", "      setup: LHCb-Production\n      instanceRoot: /srv/dirac\n"]]),
      options,
    );
    expect(cluster(inventory, "prod", "leofs").leofs.admin).toEqual({ host: "m0" });
    expect(cluster(inventory, "grid", "dirac").dirac).toMatchObject({
      mysqlServer: "/srv/dirac/pro/mysql/share/mysql/mysql.server",
      maintenance: undefined,
      innodbJournal: undefined,
      waitBeforeAgentsMs: 300_000,
    });
  });

  it("expands ~/ in the inventory's own key files and keeps a host's root prefix", () => {
    const inventory = parseInventory(
      mutate(BASE_INVENTORY, [
        ["      m1: { address: 10.0.0.2, os: deb }", "      m1: { address: 10.0.0.2, os: deb, root: /srv/sim/m1, ssh: { privateKeyFile: ~/.ssh/sim_key, connectTimeout: 1500ms } }"],
      ]),
      options,
    );
    const prod = cluster(inventory, "prod", "leofs");
    expect(prod.hosts.m1).toMatchObject({ root: "/srv/sim/m1", ssh: { privateKeyFile: "/home/op/.ssh/sim_key", connectTimeoutMs: 1500 } });
    expect(prod.hosts.m0?.ssh.privateKeyFile).toBe(sshFallback.privateKeyFile);
  });

  it("replaces approver lists as a whole when a cluster names its own", () => {
    const inventory = parseInventory(
      mutate(BASE_INVENTORY, [["    channel: G0GRID\n", "    channel: G0GRID\n    approval: { approvers: { users: [W0GRIDLEAD] }, expiresAfter: 2h }\n"]]),
      options,
    );
    expect(cluster(inventory, "grid", "dirac").approval).toMatchObject({
      approvers: { users: ["W0GRIDLEAD"], userGroups: [] },
      expiresAfterMs: 2 * 3_600_000,
      minApprovals: 1,
    });
  });
});

describe("loadInventory reading the file", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "intervene-inventory-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("takes its file and SSH fallbacks straight from the settings, as main does", () => {
    const settings = loadEnvConfig({ ROLE: "worker", INVENTORY_FILE: EXAMPLE, SSH_PRIVATE_KEY_FILE: "/srv/key", HOME: "/home/op" });
    const inventory = loadInventory(settings);
    expect(inventory.file).toBe(EXAMPLE);
    expect(sshSettingsFor(cluster(inventory, "lhcb", "dirac"), "volhcb15").privateKeyFile).toBe("/srv/key");
  });

  it("reads a valid file", () => {
    const file = path.join(dir, "inventory.yaml");
    writeFileSync(file, BASE_INVENTORY);
    expect(Object.keys(loadInventory({ ...options, inventoryFile: file }).clusters)).toEqual(["prod", "grid"]);
  });

  it("names a missing file and the variable that selects it", () => {
    const file = path.join(dir, "nope.yaml");
    expect(() => loadInventory({ ...options, inventoryFile: file })).toThrow(
      new InventoryError(file, [
        { path: "", message: "file not found (INVENTORY_FILE selects the inventory; config/inventory.example.yaml shows the format)" },
      ]),
    );
    expect(() => loadInventory({ ...options, inventoryFile: file })).toThrow(
      `${file}: file not found (INVENTORY_FILE selects the inventory; config/inventory.example.yaml shows the format)`,
    );
  });

  it("refuses a directory", () => {
    expect(() => loadInventory({ ...options, inventoryFile: dir })).toThrow(
      `${dir}: is a directory, expected an inventory YAML file (check INVENTORY_FILE)`,
    );
  });
});
