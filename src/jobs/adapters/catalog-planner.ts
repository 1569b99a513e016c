import type { Inventory } from "../../config";
import { getProcedure, planProcedure } from "../../procedures";
import { EngineError } from "../engine-error";
import { systemClock, type Clock } from "../ports/clock";
import type { Planner } from "../ports/planner";

/** Plans catalog procedures against the inventory (bad parameters and topology surface as PARAMS refusals). */
export function catalogPlanner(inventory: Inventory, clock: Clock = systemClock): Planner {
  return {
    plan(request) {
      const cluster = Object.hasOwn(inventory.clusters, request.cluster) ? inventory.clusters[request.cluster] : undefined;
      if (cluster === undefined) {
        throw new EngineError("NOT_FOUND", `no cluster ${request.cluster}; known: ${Object.keys(inventory.clusters).join(", ")}`, { cluster: request.cluster });
      }
      return planProcedure(getProcedure(request.procedureId), cluster, request.cluster, request.params, clock.now());
    },
  };
}
