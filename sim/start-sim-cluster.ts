import { loadInventory, type Inventory } from "../src/config";
import { startDiracSim, type DiracSim, type DiracSimSpec } from "./dirac/start-dirac-sim";
import { startLeofsSim, type LeofsSim, type LeofsSimSpec } from "./leofs/start-leofs-sim";

/** Slack user ids the sim clusters' approval policies use: one requests, another approves. */
export const U_REQUESTER = "U0REQUESTER";
export const U_APPROVER = "U0APPROVER";

export type SimClusterSpec = ({ readonly kind: "leofs" } & LeofsSimSpec) | ({ readonly kind: "dirac" } & DiracSimSpec);

export interface SimCluster<S> {
  readonly sim: S;
  /** The sim's inventory as the product loads it (`loadInventory`): proof the file is valid. */
  readonly inventory: Inventory;
  readonly clusterName: string;
  stop(): Promise<void>;
}

/**
 * Starts a simulated LeoFS or DIRAC cluster whose inventory names two users,
 * U_REQUESTER (may request) and U_APPROVER (approves; no self-approval),
 * unless the spec sets its own `approval`.
 */
export async function startSimCluster(spec: { readonly kind: "leofs" } & LeofsSimSpec): Promise<SimCluster<LeofsSim>>;
export async function startSimCluster(spec: { readonly kind: "dirac" } & DiracSimSpec): Promise<SimCluster<DiracSim>>;
export async function startSimCluster(spec: SimClusterSpec): Promise<SimCluster<LeofsSim> | SimCluster<DiracSim>> {
  const approval = spec.approval ?? { requesters: [U_REQUESTER], approvers: [U_APPROVER] };
  if (spec.kind === "leofs") {
    const sim = await startLeofsSim({ ...spec, approval });
    return withInventory(sim, sim.clusterName, sim.inventoryPath, sim.privateKeyPath, sim.knownHostsPath);
  }
  const sim = await startDiracSim({ ...spec, approval });
  return withInventory(sim, sim.cluster, sim.inventoryPath, sim.privateKeyPath, sim.knownHostsPath);
}

async function withInventory<S extends { stop(): Promise<void> }>(sim: S, clusterName: string, inventoryFile: string, privateKeyFile: string, knownHostsFile: string): Promise<SimCluster<S>> {
  try {
    const inventory = loadInventory({ inventoryFile, ssh: { privateKeyFile, knownHostsFile } });
    if (!Object.hasOwn(inventory.clusters, clusterName)) throw new Error(`the sim's inventory ${inventoryFile} has no cluster ${clusterName}`);
    return { sim, inventory, clusterName, stop: () => sim.stop() };
  } catch (error) {
    await sim.stop();
    throw error;
  }
}
