import { randomBytes } from "node:crypto";
import { parseInventory, type Inventory } from "../../../../src/config";
import { computePlanHash } from "../../../../src/procedures";
import type { Plan } from "../../../../src/procedures/model/plan";
import type { PlannedStep } from "../../../../src/procedures/model/step";
import type { StepFields } from "../../../helpers/step-fields";
import { SshPool, type SshPoolOptions } from "../../../../src/ssh";
import {
  createEngine,
  createSshExecutor,
  inventoryPolicyResolver,
  startWorker,
  type EngineHandle,
  type RedisConnectionConfig,
  type RunRecord,
  type WorkerHandle,
  type WorkerOptions,
} from "../../../../src/jobs";
import { getTestbed } from "../../../helpers/testbed";
import { cleanupPrefix } from "../../../helpers/cleanup-prefix";

export { cleanupPrefix };

export const HOSTS = ["h2", "h3", "h4"] as const;

export function uniquePrefix(name: string): string {
  return `t-${name}-${randomBytes(4).toString("hex")}`;
}


/**
 * An inventory of the test bed's three sshd hosts (h2, h3, h4), one dirac
 * cluster per entry of `clusters` with its own approval overrides (YAML flow text).
 */
export function testInventory(clusters: Record<string, string> = { c1: "{}" }): Inventory {
  const tb = getTestbed();
  return parseInventory(testInventoryYaml(clusters), { inventoryFile: "test-inventory.yaml", ssh: { privateKeyFile: tb.privateKeyPath, knownHostsFile: tb.knownHostsPath } });
}

export function testInventoryYaml(clusters: Record<string, string> = { c1: "{}" }): string {
  const tb = getTestbed();
  const hostLines = tb.hosts
    .map((h, i) => `      ${HOSTS[i]}: { address: ${h.address}, ssh: { port: ${h.port}, user: ${h.username} } }`)
    .join("\n");
  const clusterText = Object.entries(clusters)
    .map(
      ([name, approval]) => `  ${name}:
    kind: dirac
    channel: C0TEST
    approval: ${approval}
    dirac:
      setup: Test
      boxes:
        - { host: h2, roles: [agents] }
        - { host: h3, roles: [services], frameworkServer: true }
        - { host: h4, roles: [databases] }
    hosts:
${hostLines}`,
    )
    .join("\n");
  return `version: 1
defaults:
  approval:
    # Deny by default: the people these tests start runs as.
    requesters: { users: [UREQ, UAPP1, UAPP2, UAPP3, UALICE, UBOB, UOPS, UONCALL, U0OPS, U0OPERATOR, U0REQUESTER, U0OTHER, U0APPROVER1], userGroups: [SOPS] }
    approvers: { users: [UAPP1, UAPP2, UAPP3], userGroups: [SOPS] }
    expiresAfter: 30m
  ssh:
    privateKeyFile: ${tb.privateKeyPath}
    knownHostsFile: ${tb.knownHostsPath}
    connectTimeout: 10s
clusters:
${clusterText}
`;
}

type StepInput = StepFields & Pick<PlannedStep, "id" | "kind">;

/** A hand-built plan (the engine runs any valid Plan), hashed like the planner does. */
export function testPlan(cluster: string, steps: readonly StepInput[], procedureId = "test.procedure"): Plan {
  const planned = steps.map((s, index) => ({
    index,
    title: s.id,
    cite: "test",
    destructive: false,
    idempotent: s.kind === "check" || s.kind === "wait" || s.kind === "confirm",
    targets: [],
    parallel: null,
    timeoutMs: 20_000,
    retries: { max: 0, backoffMs: 0 },
    onFailure: "pause",
    ...s,
  })) as PlannedStep[];
  const unhashed = { procedureId, procedureTitle: "Test procedure", cluster, clusterKind: "dirac" as const, params: {}, steps: planned };
  return { ...unhashed, planHash: computePlanHash(unhashed) };
}

/** Polls the run until `done` holds (runs are driven by workers; events may be missed by a late subscriber). */
export async function waitForRun(engine: EngineHandle, runId: string, done: (run: RunRecord) => boolean, timeoutMs = 30_000): Promise<RunRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await engine.get(runId);
    if (run !== undefined && done(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} did not reach the expected state in ${timeoutMs} ms; last: ${run?.state} at step ${run?.cursor} (${JSON.stringify(run?.steps.map((s) => s.state))})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const isSettled = (run: RunRecord): boolean =>
  ["succeeded", "failed", "aborted", "paused", "awaiting_approval", "awaiting_confirmation"].includes(run.state);

export interface Harness {
  readonly prefix: string;
  readonly redisUrl: string;
  readonly inventory: Inventory;
  readonly engine: EngineHandle;
  readonly pool: SshPool;
  startWorker(extra?: Partial<WorkerOptions>): Promise<WorkerHandle>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** How the engine and workers connect (Sentinel options, say); default `redisUrl`. */
  readonly connection?: RedisConnectionConfig;
  /** Where `close` removes the prefix; default `redisUrl`. */
  readonly cleanupUrl?: () => Promise<string>;
  /** An inventory of the test's own (its own sshd hosts); default `testInventory(clusters)`. */
  readonly inventory?: Inventory;
  /** The workers' pool options (keepalive, idle close). */
  readonly pool?: SshPoolOptions;
}

/** Engine + (on demand) workers on the test bed's Redis and sshd hosts, under a unique prefix; `close` removes everything. */
export function createHarness(name: string, clusters?: Record<string, string>, redisUrl = getTestbed().redisUrl, options: HarnessOptions = {}): Harness {
  const connection = options.connection ?? redisUrl;
  const cleanupUrl = options.cleanupUrl ?? (() => Promise.resolve(redisUrl));
  const prefix = uniquePrefix(name);
  const inventory = options.inventory ?? testInventory(clusters);
  const policy = inventoryPolicyResolver(inventory);
  const engine = createEngine({ redis: connection, prefix, policy, heartbeatMs: 1000 });
  const pool = new SshPool(options.pool);
  const workers: WorkerHandle[] = [];
  return {
    prefix,
    redisUrl,
    inventory,
    engine,
    pool,
    async startWorker(extra = {}) {
      const worker = await startWorker({
        redis: connection,
        prefix,
        policy,
        executor: createSshExecutor(pool, inventory),
        reconcileIntervalMs: 500,
        lockDurationMs: 5000,
        stalledIntervalMs: 2000,
        shutdownGraceMs: 5000,
        ...extra,
      });
      workers.push(worker);
      return worker;
    },
    async close() {
      await Promise.allSettled(workers.map((w) => w.close()));
      // A close that gave up on Redis (CloseGaveUpError) still lets the rest be cleaned up, then fails the test.
      try {
        await engine.close();
      } finally {
        await pool.close();
        await cleanupPrefix(await cleanupUrl(), prefix).catch(() => undefined);
      }
    },
  };
}
