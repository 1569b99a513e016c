import { approvalPolicyFor, type Inventory } from "../../config";
import { EngineError } from "../engine-error";
import type { PolicyResolver } from "../ports/run-policy";

/** Approval policy per (cluster, procedure), straight from the validated inventory. */
export function inventoryPolicyResolver(inventory: Inventory): PolicyResolver {
  return {
    approvalPolicyFor(clusterName, procedureId) {
      const cluster = Object.hasOwn(inventory.clusters, clusterName) ? inventory.clusters[clusterName] : undefined;
      if (cluster === undefined) throw new EngineError("NOT_FOUND", `no cluster ${clusterName} in ${inventory.file}`, { cluster: clusterName });
      return { ...approvalPolicyFor(cluster, procedureId), channel: cluster.channel };
    },
  };
}
