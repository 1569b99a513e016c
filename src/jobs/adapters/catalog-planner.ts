import type { Inventory } from "../../config";
import { getProcedure, planProcedure } from "../../procedures";
import { EngineError } from "../engine-error";
import { systemWallClock, type WallClock } from "../ports/wall-clock";
import type { Planner } from "../ports/planner";

const MAX_PREVIEW_AGE_MS = 24 * 3600_000;
const CLOCK_SKEW_MS = 60_000;

/** The preview's planning time when a Start re-plans it; refused when it cannot be a real preview's. */
function planningTime(plannedAt: string | undefined, now: Date): Date {
  if (plannedAt === undefined) return now;
  const at = new Date(plannedAt);
  const age = now.getTime() - at.getTime();
  if (Number.isNaN(at.getTime()) || age < -CLOCK_SKEW_MS || age > MAX_PREVIEW_AGE_MS) {
    throw new EngineError("PARAMS", "this plan preview is too old (or its time is invalid): run the command again for a fresh plan", { plannedAt });
  }
  return at;
}

/** Plans catalog procedures against the inventory (bad parameters and topology surface as PARAMS refusals). */
export function catalogPlanner(inventory: Inventory, clock: WallClock = systemWallClock): Planner {
  return {
    plan(request) {
      const cluster = Object.hasOwn(inventory.clusters, request.cluster) ? inventory.clusters[request.cluster] : undefined;
      if (cluster === undefined) {
        throw new EngineError("NOT_FOUND", `no cluster ${request.cluster}; known: ${Object.keys(inventory.clusters).join(", ")}`, { cluster: request.cluster });
      }
      return planProcedure(getProcedure(request.procedureId), cluster, request.cluster, request.params, planningTime(request.plannedAt, clock.now()));
    },
  };
}
