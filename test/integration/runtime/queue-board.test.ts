import path from "node:path";
import pino from "pino";
import { EnvConfigError, loadEnvConfig, loadInventory } from "../../../src/config";
import { startIntervene, type InterveneHandle } from "../../../src/runtime/start-intervene";
import { freePort } from "../../../sim/process/free-port";
import { cleanupPrefix } from "../../helpers/cleanup-prefix";
import { getTestbed } from "../../helpers/testbed";

const EXAMPLE = path.join(__dirname, "../../../config/inventory.example.yaml");
const USER = "ops";
const PASSWORD = "board-password-0123456789";
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** A worker process's operations server (in process), with or without the board's credentials. */
async function startWorker(prefix: string, board: boolean): Promise<InterveneHandle> {
  const settings = loadEnvConfig({
    ROLE: "worker",
    REDIS_URL: getTestbed().redisUrl,
    REDIS_PREFIX: prefix,
    INVENTORY_FILE: EXAMPLE,
    PORT: String(await freePort()),
    OPS_PORT: "0",
    ...(board ? { QUEUE_BOARD_USER: USER, QUEUE_BOARD_PASSWORD: PASSWORD } : {}),
  });
  return startIntervene({ settings, inventory: loadInventory(settings), logger: pino({ level: "silent" }), prefix, host: "127.0.0.1" });
}

/** Issue 14 point 4: Bull Board at /admin/queues on the operations port, behind basic auth from the environment. */
describe("Bull Board on the operations port", () => {
  const prefix = `it-board-${process.pid}`;
  let withBoard: InterveneHandle;
  let without: InterveneHandle;

  beforeAll(async () => {
    withBoard = await startWorker(prefix, true);
    without = await startWorker(`${prefix}-off`, false);
  });
  afterAll(async () => {
    await withBoard?.close();
    await without?.close();
    await cleanupPrefix(getTestbed().redisUrl, prefix);
  });

  it("refuses without credentials or with wrong ones, asking for basic auth", async () => {
    for (const headers of [{} as Record<string, string>, { authorization: basic(USER, "wrong-password-000000") }, { authorization: basic("root", PASSWORD) }, { authorization: "Bearer x" }]) {
      for (const route of ["/admin/queues", "/admin/queues/api/queues"]) {
        const res = await fetch(`${withBoard.opsUrl!}${route}`, { headers });
        expect([route, res.status]).toEqual([route, 401]);
        expect(res.headers.get("www-authenticate")).toContain("Basic");
        expect(await res.text()).toContain("QUEUE_BOARD_USER");
      }
    }
  });

  it("with the credentials, serves the board and the engine's queues, read-only", async () => {
    const auth = { authorization: basic(USER, PASSWORD) };
    const page = await fetch(`${withBoard.opsUrl!}/admin/queues`, { headers: auth });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const api = await fetch(`${withBoard.opsUrl!}/admin/queues/api/queues`, { headers: auth });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: Array<{ name: string; readOnlyMode: boolean }> };
    expect(body.queues.map((q) => [q.name, q.readOnlyMode]).sort()).toEqual([
      ["control", true],
      ["queries", true],
      ["steps", true],
    ]);
    // Read-only: the board's own write routes refuse.
    const clean = await fetch(`${withBoard.opsUrl!}/admin/queues/api/queues/steps/clean/completed`, { method: "PUT", headers: auth });
    expect(clean.status).toBeGreaterThanOrEqual(400);
    // The other operations routes are unchanged.
    expect((await fetch(`${withBoard.opsUrl!}/readyz`)).status).toBe(200);
  });

  it("is not served at all without credentials in the environment", async () => {
    expect((await fetch(`${without.opsUrl!}/admin/queues`)).status).toBe(404);
  });

  it("the environment must give both, and a long enough password", () => {
    const base = { ROLE: "worker", INVENTORY_FILE: EXAMPLE };
    expect(() => loadEnvConfig({ ...base, QUEUE_BOARD_USER: USER })).toThrow(EnvConfigError);
    expect(() => loadEnvConfig({ ...base, QUEUE_BOARD_USER: USER })).toThrow(/QUEUE_BOARD_PASSWORD: required with QUEUE_BOARD_USER/);
    expect(() => loadEnvConfig({ ...base, QUEUE_BOARD_USER: USER, QUEUE_BOARD_PASSWORD: "short" })).toThrow(/at least 16 characters/);
    expect(() => loadEnvConfig({ ...base, QUEUE_BOARD_USER: "a:b", QUEUE_BOARD_PASSWORD: PASSWORD })).toThrow(/without spaces or ":"/);
  });
});
