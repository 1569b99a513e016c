import fs from "node:fs";
import path from "node:path";
import type { DiracCluster, Inventory, LeofsCluster } from "../../../src/config";
import { parseInventory } from "../../../src/config";

const ssh = { privateKeyFile: "/nonexistent/id_ed25519", knownHostsFile: "/nonexistent/known_hosts" };

export function inventoryFrom(yamlText: string, file = "test-inventory.yaml"): Inventory {
  return parseInventory(yamlText, { inventoryFile: file, ssh, homeDir: "/home/test" });
}

/** The contract example: `prod` (LeoFS 1.4.3, admin on the master host) and `lhcb` (DIRAC). */
export function exampleInventory(): Inventory {
  const file = path.join(__dirname, "../../../config/inventory.example.yaml");
  return inventoryFrom(fs.readFileSync(file, "utf8"), file);
}

export function prodCluster(): LeofsCluster {
  const c = exampleInventory().clusters.prod;
  if (c?.kind !== "leofs") throw new Error("example inventory has no leofs cluster prod");
  return c;
}

export function lhcbCluster(): DiracCluster {
  const c = exampleInventory().clusters.lhcb;
  if (c?.kind !== "dirac") throw new Error("example inventory has no dirac cluster lhcb");
  return c;
}

/** A simulator-style cluster: every host has a root prefix, a backup dir with a space, two storage nodes on one host. */
export const SIM_YAML = `
version: 1
defaults:
  approval:
    requesters: { users: [U0OPERATOR] }
    approvers: { users: [U0APPROVER1] }
clusters:
  sim:
    kind: leofs
    channel: C0SIM
    leofs:
      version: 1.4.3
      replicas: 2
      managers:
        master: { host: m0, node: manager_0@127.0.0.2 }
        slave: { host: m1, node: manager_1@127.0.0.3 }
      storage:
        - { host: s0, node: storage_0@127.0.0.2 }
        - { host: s0, node: storage_1@127.0.0.2, dir: leo_storage_1 }
        - { host: s1, node: storage_2@127.0.0.3 }
      gateways:
        - { host: s1, node: gateway_0@127.0.0.3 }
      paths:
        backupDir: /var/backups/my intervene
    hosts:
      m0: { address: 127.0.0.2, os: deb, root: /srv/sim/m0 }
      m1: { address: 127.0.0.3, os: deb, root: /srv/sim/m1/ }
      s0: { address: 127.0.0.2, os: rpm, root: /srv/sim/s0 }
      s1: { address: 127.0.0.3, os: rpm }
`;

export function simCluster(): LeofsCluster {
  const c = inventoryFrom(SIM_YAML).clusters.sim;
  if (c?.kind !== "leofs") throw new Error("sim inventory has no leofs cluster");
  return c;
}

export const NOW = new Date("2024-05-01T10:20:30.456Z");
