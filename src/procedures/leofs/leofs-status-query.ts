import type { LeofsCluster } from "../../config";
import { leofsAdm, manager, type ManagerRole } from "./leofs-layout";

/** One read-only `leofs-adm status` call: where it runs, what it runs, which console it asks. */
export interface LeofsStatusQuery {
  /** Inventory host name the command runs on. */
  readonly host: string;
  readonly command: string;
  readonly console: ManagerRole;
  readonly consolePort: number;
}

/**
 * Whole-system `leofs-adm status` against one manager's console (the master's
 * by default). The slave's console (10011) answers the same table, which is
 * what an operator asks when the master's console is unreachable (reference §1).
 */
export function leofsStatusQuery(cluster: LeofsCluster, role: ManagerRole = "master"): LeofsStatusQuery {
  const target = leofsAdm(cluster, role, "status");
  return { host: target.host, command: target.command ?? "", console: role, consolePort: manager(cluster, role).consolePort };
}
