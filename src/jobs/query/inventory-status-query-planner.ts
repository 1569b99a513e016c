import type { Inventory } from "../../config";
import { diracStatusQuery } from "../../procedures/dirac/dirac-status-query";
import { leofsStatusQuery } from "../../procedures/leofs/leofs-status-query";
import { EngineError } from "../engine-error";
import type { StatusQueryPlanner } from "./status-query-planner";

/** Status queries from the validated inventory: master's console, then the slave's; every DIRAC box. */
export function inventoryStatusQueryPlanner(inventory: Inventory): StatusQueryPlanner {
  return {
    statusQuery(name) {
      const cluster = Object.hasOwn(inventory.clusters, name) ? inventory.clusters[name] : undefined;
      if (cluster === undefined) throw new EngineError("NOT_FOUND", `no cluster ${name} in ${inventory.file}`, { cluster: name });
      if (cluster.kind === "dirac") return { kind: "dirac", boxes: diracStatusQuery(cluster) };
      return { kind: "leofs", consoles: [leofsStatusQuery(cluster, "master"), leofsStatusQuery(cluster, "slave")] };
    },
  };
}
