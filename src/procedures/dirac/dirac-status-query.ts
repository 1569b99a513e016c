import type { DiracCluster } from "../../config";
import { shPart } from "../sh";
import { startupDir } from "./dirac-layout";

export interface DiracStatusQuery {
  /** Inventory host name of the box. */
  readonly host: string;
  readonly command: string;
}

/**
 * `runsvstat` over every service linked in a box's `startup` dir (reference
 * §5: what `dirac-status-component` calls). `2>&1` keeps runsv's warnings
 * (`runsv not running.`) in order with the status lines; the glob stays live.
 */
export function diracStatusQuery(cluster: DiracCluster): readonly DiracStatusQuery[] {
  return cluster.dirac.boxes.map((box) => ({ host: box.host, command: shPart`runsvstat ${startupDir(cluster, box.host)}/* 2>&1`.text }));
}
