import { Queue } from "bullmq";
import Redis from "ioredis";
import { loadInventory, type Inventory } from "../../../src/config";
import {
  createEngine,
  createSshExecutor,
  inventoryPolicyResolver,
  inventoryStatusQueryPlanner,
  startWorker,
  type Actor,
  type ClusterStatusResult,
  type EngineHandle,
  type LeofsClusterStatus,
  type PolicyResolver,
  type WorkerHandle,
} from "../../../src/jobs";
import { QUERY_QUEUE } from "../../../src/jobs/query/status-query-job";
import { SshPool } from "../../../src/ssh";
import { startLeofsSim, type LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { getTestbed } from "../../helpers/testbed";
import { cleanupPrefix, testPlan, uniquePrefix, waitForRun } from "./helpers/jobs-harness";

const OPERATOR: Actor = { userId: "U0OPERATOR" };

function leofsOk(result: ClusterStatusResult): LeofsClusterStatus {
  if (!result.ok || result.kind !== "leofs") throw new Error(`expected a LeoFS status, got ${JSON.stringify(result)}`);
  return result;
}

/** A one-step plan that parks on a human checkpoint: the run holds the cluster lock until aborted. */
function parkedPlan(cluster: string) {
  return testPlan(cluster, [{ id: "look-at-logs", kind: "confirm", prompt: "check the logs" }]);
}

describe("/leofs status: read-only query run by a worker over SSH", () => {
  let sim: LeofsSim;
  let inventory: Inventory;
  let prefix: string;
  let engine: EngineHandle;
  let worker: WorkerHandle;
  let pool: SshPool;
  const redisUrl = (): string => getTestbed().redisUrl;

  beforeAll(async () => {
    sim = await startLeofsSim({ storage: 3, gateways: 1, started: true, approval: { requesters: [OPERATOR.userId] } });
    inventory = loadInventory({ inventoryFile: sim.inventoryPath, ssh: { privateKeyFile: sim.privateKeyPath, knownHostsFile: sim.knownHostsPath } });
    prefix = uniquePrefix("query");
    engine = createEngine({ redis: redisUrl(), prefix, policy: inventoryPolicyResolver(inventory), heartbeatMs: 1000 });
    pool = new SshPool();
    worker = await startWorker({
      redis: redisUrl(),
      prefix,
      policy: inventoryPolicyResolver(inventory),
      executor: createSshExecutor(pool, inventory),
      statusQueries: inventoryStatusQueryPlanner(inventory),
      statusQueryExecTimeoutMs: 3000,
      reconcileIntervalMs: 500,
      shutdownGraceMs: 5000,
    });
  });

  afterAll(async () => {
    await worker?.close();
    await engine?.close();
    await pool?.close();
    if (prefix !== undefined) await cleanupPrefix(redisUrl(), prefix);
    await sim?.stop();
  });

  it("answers the parsed `leofs-adm status` of the master's console: every node, the ring hashes, the replicas", async () => {
    const status = leofsOk(await engine.queryStatus(sim.clusterName, OPERATOR));
    const expected = await sim.state.nodeStates();
    expect(status.status.nodes.map((n) => ({ type: n.type, node: n.node, state: n.state, currentRing: n.currentRing, previousRing: n.prevRing }))).toEqual(
      expected.map((n) => ({ type: n.type, node: n.node, state: n.state, currentRing: n.currentRing, previousRing: n.previousRing })),
    );
    expect(status.status.nodes.map((n) => n.node)).toEqual([...sim.hosts.filter((h) => h.role === "storage" || h.role === "gateway").map((h) => h.node)]);
    expect(status.status.nodes.every((n) => n.state === "running")).toBe(true);
    expect(status.status.system.version).toBe("1.4.3");
    const cluster = inventory.clusters[sim.clusterName];
    expect(status.status.system.totalReplicas).toBe(cluster?.kind === "leofs" ? cluster.leofs.replicas : undefined);
    expect(status.status.system.currentRingHash).toMatch(/^[0-9a-f]{8}$/);
    expect(status.status.nodes.every((n) => n.currentRing === status.status.system.currentRingHash)).toBe(true);
    expect(status.attempts.map((a) => [a.console, a.host, a.port, a.outcome])).toEqual([["master", "leofs-m0", 10010, "ok"]]);
    // No run record, no lock, no audit of a run: the query leaves the run store as it was.
    expect(await engine.list({ cluster: sim.clusterName })).toEqual([]);
    const redis = new Redis(redisUrl());
    try {
      expect(await redis.exists(`${prefix}:lock:${sim.clusterName}`)).toBe(0);
    } finally {
      redis.disconnect();
    }
  });

  it("a storage node stopped on its host shows `stop` (and `running` again once restarted)", async () => {
    const s1 = sim.hostOf("storage", 1);
    expect((await sim.exec(s1.name, `${s1.launchScript} stop`)).code).toBe(0);
    const stopped = leofsOk(await engine.queryStatus(sim.clusterName, OPERATOR));
    expect(stopped.status.nodes.find((n) => n.node === s1.node)?.state).toBe("stop");
    expect(stopped.status.nodes.filter((n) => n.state === "running")).toHaveLength(3);

    expect((await sim.exec(s1.name, `${s1.launchScript} start`)).code).toBe(0);
    const back = leofsOk(await engine.queryStatus(sim.clusterName, OPERATOR));
    expect(back.status.nodes.find((n) => n.node === s1.node)?.state).toBe("running");
  });

  it("the master's console down: the slave's console (10011) answers, and the master's failure is kept", async () => {
    const master = sim.hostOf("manager-master").node;
    await sim.fault.consoleDown(master);
    try {
      const status = leofsOk(await engine.queryStatus(sim.clusterName, OPERATOR));
      expect(status.attempts.map((a) => [a.console, a.host, a.port, a.outcome])).toEqual([
        ["master", "leofs-m0", 10010, "console_unreachable"],
        ["slave", "leofs-m1", 10011, "ok"],
      ]);
      expect(status.attempts[0]?.detail).toBe("Error: couldn't connect to LeoFS Manager");
      expect(status.status.nodes).toHaveLength(4);
    } finally {
      await sim.fault.clear("console-down", master);
    }
  });

  it("both consoles down: a structured error that says what was tried", async () => {
    const master = sim.hostOf("manager-master").node;
    const slave = sim.hostOf("manager-slave").node;
    await sim.fault.consoleDown(master);
    await sim.fault.consoleDown(slave);
    try {
      const result = await engine.queryStatus(sim.clusterName, OPERATOR);
      expect(result).toMatchObject({ ok: false, kind: "leofs", code: "console_unreachable" });
      if (result.ok) throw new Error("unreachable");
      expect(result.attempts.map((a) => a.outcome)).toEqual(["console_unreachable", "console_unreachable"]);
      expect(result.message).toBe(
        "the master console (leofs-m0:10010) did not answer: Error: couldn't connect to LeoFS Manager; tried the slave console (leofs-m1:10011) did not answer: Error: couldn't connect to LeoFS Manager",
      );
    } finally {
      await sim.fault.clear("console-down", master);
      await sim.fault.clear("console-down", slave);
    }
  });

  it("a console that answers [ERROR] is reported as such, without asking the slave", async () => {
    await sim.fault.corruptMnesia(sim.hostOf("manager-master").node);
    const m0 = sim.hostOf("manager-master");
    expect((await sim.exec(m0.name, `${m0.launchScript} stop`)).code).toBe(0);
    expect((await sim.exec(m0.name, `${m0.launchScript} start`)).code).toBe(0);
    try {
      const result = await engine.queryStatus(sim.clusterName, OPERATOR);
      expect(result).toMatchObject({ ok: false, code: "leofs_error" });
      if (result.ok) throw new Error("unreachable");
      expect(result.attempts).toHaveLength(1);
      expect(result.message).toContain("[ERROR] Mnesia does not start, yet");
    } finally {
      await sim.exec(m0.name, `${m0.launchScript} stop`);
      await sim.fault.clear("corrupt-mnesia", m0.node);
      await sim.exec(m0.name, `${m0.launchScript} start`);
      await sim.exec(m0.name, `${m0.launchScript} wait_ready`);
    }
    leofsOk(await engine.queryStatus(sim.clusterName, OPERATOR));
  });

  it("takes no cluster lock: a run starts while a query runs, and a query answers while a run holds the lock", async () => {
    const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    const queue = new Queue(QUERY_QUEUE, { connection, prefix: `${prefix}:bq` });
    await sim.fault.hang("status");
    let runId: string;
    try {
      let settled = false;
      const query = engine.queryStatus(sim.clusterName, OPERATOR).finally(() => (settled = true));
      // Wait until a worker holds the query (its leofs-adm is hung on the console).
      for (let i = 0; (await queue.getJobCounts("active")).active !== 1; i++) {
        if (i > 200) throw new Error("the worker never took the query");
        await new Promise((r) => setTimeout(r, 10));
      }
      const run = await engine.start(parkedPlan(sim.clusterName), OPERATOR);
      runId = run.id;
      expect(settled).toBe(false);
      await sim.fault.clear("hang", "status");
      const answered = leofsOk(await query);
      expect(answered.attempts.map((a) => [a.console, a.outcome])).toEqual([["master", "ok"]]);
    } finally {
      await sim.fault.clear("hang", "status");
      await queue.close();
      connection.disconnect();
    }
    const parked = await waitForRun(engine, runId, (r) => r.state === "awaiting_confirmation");
    expect((await engine.list({ cluster: sim.clusterName, active: true })).map((r) => r.id)).toEqual([parked.id]);

    const during = leofsOk(await engine.queryStatus(sim.clusterName, OPERATOR));
    expect(during.status.nodes).toHaveLength(4);
    expect((await engine.get(runId))?.state).toBe("awaiting_confirmation");
    await engine.abort(runId, OPERATOR, "now");
    await waitForRun(engine, runId, (r) => r.state === "aborted");
  });

  it("a console that never answers counts as unreachable after the per-command timeout; the slave is asked", async () => {
    const m0 = sim.hostOf("manager-master");
    // The knob hangs `status` on both consoles; in the sim the hung leofs-adm outlives its channel, so
    // this also shows that a wedged exec does not hold the answer past the per-command deadline.
    await sim.fault.hang("status");
    const query = engine.queryStatus(sim.clusterName, OPERATOR);
    try {
      const result = await query;
      expect(result).toMatchObject({ ok: false, code: "console_unreachable" });
      if (result.ok) throw new Error("unreachable");
      expect(result.attempts.map((a) => [a.console, a.host, a.detail])).toEqual([
        ["master", m0.name, "no answer within 3s"],
        ["slave", sim.hostOf("manager-slave").name, "no answer within 3s"],
      ]);
    } finally {
      await sim.fault.clear("hang", "status");
    }
  });

  it("refuses who may not request on the cluster (policy requesters), before anything is queued", async () => {
    const base = inventoryPolicyResolver(inventory);
    const restricted: PolicyResolver = {
      approvalPolicyFor: (cluster, procedureId) => ({ ...base.approvalPolicyFor(cluster, procedureId), requesters: { users: ["U0OPS"], userGroups: ["S0SRE"], channelMembers: false } }),
    };
    const guarded = createEngine({ redis: redisUrl(), prefix, policy: restricted });
    try {
      await expect(guarded.queryStatus(sim.clusterName, OPERATOR)).rejects.toMatchObject({ name: "EngineError", code: "NOT_ALLOWED" });
      leofsOk(await guarded.queryStatus(sim.clusterName, { userId: "U0OPS" }));
      leofsOk(await guarded.queryStatus(sim.clusterName, { userId: "U0OTHER", userGroups: ["S0SRE"] }));
      await expect(guarded.queryStatus("no-such-cluster", { userId: "U0OPS" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    } finally {
      await guarded.close();
    }
  });

  it("a run's end snapshot is still taken when the process that claimed it died before writing it (the sweep)", async () => {
    const snapper = createEngine({ redis: redisUrl(), prefix, policy: inventoryPolicyResolver(inventory), snapshots: () => true, snapshotSweepMs: 300 });
    const redis = new Redis(redisUrl());
    try {
      const run = await snapper.start(parkedPlan(sim.clusterName), OPERATOR);
      await waitForRun(snapper, run.id, (r) => r.state === "awaiting_confirmation" && r.snapshots?.before !== undefined);
      // Another bot claimed the end snapshot and was SIGKILLed before its query returned: its claim lapses.
      await redis.set(`${prefix}:snapshot:${run.id}:after`, "a-dead-taker", "PX", 1500);
      await snapper.abort(run.id, OPERATOR, "now");
      const ended = await waitForRun(snapper, run.id, (r) => r.state === "aborted");
      expect(ended.snapshots?.after).toBeUndefined();
      const done = await waitForRun(snapper, run.id, (r) => r.snapshots?.after !== undefined, 20_000);
      expect(done.snapshots?.after).toMatchObject({ kind: "leofs", version: "1.4.3" });
      expect(Date.parse(done.snapshots!.after!.at)).toBeGreaterThan(Date.parse(ended.finishedAt!));
    } finally {
      redis.disconnect();
      await snapper.close();
    }
  });

  it("no worker running: a clear `no_worker` answer after the timeout, and the query is withdrawn from the queue", async () => {
    const lonelyPrefix = uniquePrefix("query-lonely");
    const lonely = createEngine({ redis: redisUrl(), prefix: lonelyPrefix, policy: inventoryPolicyResolver(inventory), statusQueryTimeoutMs: 1500 });
    const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    const queue = new Queue(QUERY_QUEUE, { connection, prefix: `${lonelyPrefix}:bq` });
    try {
      const result = await lonely.queryStatus(sim.clusterName, OPERATOR);
      expect(result).toMatchObject({ ok: false, code: "no_worker", cluster: sim.clusterName });
      if (result.ok) throw new Error("unreachable");
      expect(result.message).toBe("no worker answered within 2s: are the workers running (`ROLE=worker` or `npm start`)?");
      expect(result.durationMs).toBeGreaterThanOrEqual(1500);
      expect(await queue.getJobCounts("waiting", "active", "completed", "failed")).toEqual({ waiting: 0, active: 0, completed: 0, failed: 0 });
    } finally {
      await queue.close();
      connection.disconnect();
      await lonely.close();
      await cleanupPrefix(redisUrl(), lonelyPrefix);
    }
  });
});
