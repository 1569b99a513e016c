import type { DiracSim, DiracSimSpec } from "../../sim/dirac/start-dirac-sim";
import type { LeofsSim, LeofsSimSpec } from "../../sim/leofs/start-leofs-sim";
import { startSimCluster, type SimCluster, type SimClusterSpec } from "../../sim/start-sim-cluster";
import { startEngineHarness, type EngineHarness } from "./engine-harness";
import { getTestbed } from "./testbed";

export interface SimClusterBed<S> {
  readonly cluster: SimCluster<S>;
  readonly sim: S;
  readonly harness: EngineHarness;
}

export interface SimClusterBedOptions<S> {
  /** Before the engine starts: staging packages, launching nodes by hand. */
  readonly prepare?: (sim: S) => Promise<void>;
  /** Once everything is up (assign the file's own variables here). */
  readonly ready: (bed: SimClusterBed<S>) => void;
  /** Abort what a test left running, so a paused run does not hold the cluster's lock for the next one. @defaultValue false */
  readonly abortAfterEach?: boolean;
}

/**
 * The e2e procedure files' shared bed: a simulated cluster, then an engine
 * harness (engine, worker, SSH pool) on the testbed's Redis; both stopped
 * after the file. Registers the jest hooks where it is called.
 */
export function useSimClusterBed(spec: { readonly kind: "leofs" } & LeofsSimSpec, options: SimClusterBedOptions<LeofsSim>): void;
export function useSimClusterBed(spec: { readonly kind: "dirac" } & DiracSimSpec, options: SimClusterBedOptions<DiracSim>): void;
export function useSimClusterBed(spec: SimClusterSpec, options: SimClusterBedOptions<LeofsSim> | SimClusterBedOptions<DiracSim>): void {
  let cluster: SimCluster<LeofsSim | DiracSim> | undefined;
  let harness: EngineHarness | undefined;
  beforeAll(async () => {
    cluster = spec.kind === "leofs" ? await startSimCluster(spec) : await startSimCluster(spec);
    const bedOptions = options as SimClusterBedOptions<LeofsSim | DiracSim>;
    await bedOptions.prepare?.(cluster.sim);
    harness = await startEngineHarness({ inventory: cluster.inventory, redisUrl: getTestbed().redisUrl });
    bedOptions.ready({ cluster, sim: cluster.sim, harness });
  });
  if (options.abortAfterEach === true) {
    afterEach(async () => {
      await harness?.abortActive();
    });
  }
  afterAll(async () => {
    await harness?.close();
    await cluster?.stop();
  });
}
