import type { Cluster } from "../config";
import type { ClusterKind } from "./model/plan";
import type { ProcedureDefinition } from "./model/procedure-definition";
import { UnknownProcedureError } from "./procedure-errors";
import { launch } from "./leofs/launch";
import { recoverManager } from "./leofs/recover-manager";
import { storageOperation } from "./leofs/storage-operation";
import { takeoverManager } from "./leofs/takeover-manager";
import { upgrade } from "./leofs/upgrade";
import { intervention } from "./dirac/intervention";

/**
 * A catalog entry with its parameter and cluster types erased. Sound because
 * `planProcedure` parses parameters with the entry's own schema and checks
 * the cluster kind before calling `build`.
 */
export type CatalogProcedure = ProcedureDefinition<unknown, Cluster>;

function entry<P, C extends Cluster>(definition: ProcedureDefinition<P, C>): CatalogProcedure {
  return definition as unknown as CatalogProcedure;
}

const PROCEDURES: readonly CatalogProcedure[] = [entry(recoverManager), entry(launch), entry(storageOperation), entry(takeoverManager), entry(upgrade), entry(intervention)];

const BY_ID: ReadonlyMap<string, CatalogProcedure> = new Map(PROCEDURES.map((p) => [p.id, p]));

/** The procedure with this id; throws `UnknownProcedureError` listing the known ids. */
export function getProcedure(id: string): CatalogProcedure {
  const found = BY_ID.get(id);
  if (found === undefined) throw new UnknownProcedureError(id, [...BY_ID.keys()]);
  return found;
}

/** Every procedure, or those for one cluster kind, in catalog order. */
export function listProcedures(kind?: ClusterKind): readonly CatalogProcedure[] {
  return kind === undefined ? PROCEDURES : PROCEDURES.filter((p) => p.kind === kind);
}
