import { loadInventory } from "../../../src/config";
import {
  createEngine,
  createSshExecutor,
  inventoryPolicyResolver,
  inventoryStatusQueryPlanner,
  startWorker,
  type ClusterStatusResult,
  type DiracClusterStatus,
  type EngineHandle,
  type WorkerHandle,
} from "../../../src/jobs";
import { shellQuote } from "../../../src/util/shell-quote";
import { SshPool } from "../../../src/ssh";
import { startDiracSim, type DiracSim } from "../../../sim/dirac/start-dirac-sim";
import { getTestbed } from "../../helpers/testbed";
import { cleanupPrefix, uniquePrefix } from "./helpers/jobs-harness";

function diracOk(result: ClusterStatusResult): DiracClusterStatus {
  if (!result.ok || result.kind !== "dirac") throw new Error(`expected a DIRAC status, got ${JSON.stringify(result)}`);
  return result;
}

describe("/dirac status: runsvstat of every box's startup services, run by a worker over SSH", () => {
  let sim: DiracSim;
  let prefix: string;
  let engine: EngineHandle;
  let worker: WorkerHandle;
  let pool: SshPool;

  beforeAll(async () => {
    sim = await startDiracSim({ approval: { requesters: ["U0OPERATOR"] } });
    const inventory = loadInventory({ inventoryFile: sim.inventoryPath, ssh: { privateKeyFile: sim.privateKeyPath, knownHostsFile: sim.knownHostsPath } });
    const redis = getTestbed().redisUrl;
    prefix = uniquePrefix("query-dirac");
    engine = createEngine({ redis, prefix, policy: inventoryPolicyResolver(inventory) });
    pool = new SshPool();
    worker = await startWorker({
      redis,
      prefix,
      policy: inventoryPolicyResolver(inventory),
      executor: createSshExecutor(pool, inventory),
      statusQueries: inventoryStatusQueryPlanner(inventory),
      statusQueryExecTimeoutMs: 5000,
    });
    for (const box of sim.boxes) await sim.waitUntilUp(box.name);
  });

  afterAll(async () => {
    await worker?.close();
    await engine?.close();
    await pool?.close();
    if (prefix !== undefined) await cleanupPrefix(getTestbed().redisUrl, prefix);
    await sim?.stop();
  });

  it("lists every box and the state of each component linked in its startup dir", async () => {
    const status = diracOk(await engine.queryStatus(sim.cluster, { userId: "U0OPERATOR" }));
    expect(status.boxes.map((b) => b.host).sort()).toEqual(sim.boxes.map((b) => b.name).sort());
    for (const box of status.boxes) {
      expect(box.ok).toBe(true);
      const expected = sim.state.componentStatus(box.host);
      expect(box.services.map((s) => s.service).sort()).toEqual(Object.keys(expected).sort());
      for (const s of box.services) {
        expect(s.state).toBe("run");
        expect(s.pid).toBe(expected[s.service]?.pid);
      }
    }
    // A database-only box has no component: an empty list, not an error.
    const databases = sim.boxes.find((b) => b.roles.length === 1 && b.roles[0] === "databases");
    if (databases !== undefined) expect(status.boxes.find((b) => b.host === databases.name)?.services).toEqual([]);
  });

  it("a component taken down with runsvctrl shows `down`", async () => {
    const agents = sim.boxes.find((b) => b.roles.includes("agents"));
    if (agents === undefined) throw new Error("the default sim has an agents box");
    const component = Object.keys(sim.state.componentStatus(agents.name))[0] ?? "";
    const dir = `${agents.startupDir}/${component}`;
    expect((await sim.exec(agents.name, `runsvctrl d ${shellQuote(dir)}`)).code).toBe(0);
    await sim.waitFor(() => sim.state.componentStatus(agents.name)[component]?.state === "down", `${component} down`);
    try {
      const status = diracOk(await engine.queryStatus(sim.cluster, { userId: "U0OPERATOR" }));
      const service = status.boxes.find((b) => b.host === agents.name)?.services.find((s) => s.service === component);
      expect(service).toMatchObject({ state: "down", notes: ["normally up"] });
    } finally {
      await sim.exec(agents.name, `runsvctrl u ${shellQuote(dir)}`);
    }
  });
});
