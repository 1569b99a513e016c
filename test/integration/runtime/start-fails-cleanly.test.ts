import net from "node:net";
import path from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import pino from "pino";
import { loadEnvConfig, loadInventory } from "../../../src/config";
import { startIntervene } from "../../../src/runtime/start-intervene";
import { STEP_QUEUE } from "../../../src/jobs/step-job";
import { redisKeys } from "../../../src/jobs/store/redis-keys";
import { freePort } from "../../../sim/process/free-port";
import { cleanupPrefix } from "../../helpers/cleanup-prefix";
import { getTestbed } from "../../helpers/testbed";

const EXAMPLE = path.join(__dirname, "../../../config/inventory.example.yaml");

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port }, () => resolve(server));
  });
}
const closeServer = (server: net.Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

/**
 * A process whose start fails half-way (its Slack or health port taken,
 * after its operations server and, in role all, its worker had started)
 * closes what it had opened: a worker left consuming steps, or a server left
 * listening, would outlive the failed start (a CI run met this when a port
 * was taken: the test's process did not exit).
 */
describe("a start that fails half-way", () => {
  const prefix = `it-startfail-${process.pid}`;
  afterAll(async () => cleanupPrefix(getTestbed().redisUrl, prefix));

  const roles = [
    // A worker-only process takes its ports first: its worker never starts.
    { role: "worker", env: {} },
    // A bot and worker in one: the worker had started and registered on the step queue before the bot's listen failed.
    { role: "all", env: { SLACK_BOT_TOKEN: "xoxb-start-fails", SLACK_SIGNING_SECRET: "start-fails-signing-secret", SLACK_API_URL: "http://127.0.0.1:9/api/" } },
  ];
  it.each(roles)("role $role: rejects with the listen error and leaves no worker, server or connection behind", async ({ role, env }) => {
    const [port, opsPort] = [await freePort(), await freePort()];
    const squatter = await listen(port);
    const connection = new Redis(getTestbed().redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(STEP_QUEUE, { connection, prefix: redisKeys(prefix).bullPrefix });
    try {
      const settings = loadEnvConfig({ ROLE: role, REDIS_URL: getTestbed().redisUrl, REDIS_PREFIX: prefix, INVENTORY_FILE: EXAMPLE, PORT: String(port), OPS_PORT: String(opsPort), ...env });
      await expect(startIntervene({ settings, inventory: loadInventory(settings), logger: pino({ level: "silent" }), prefix, host: "127.0.0.1" })).rejects.toThrow(/EADDRINUSE/);
      expect(await queue.getWorkers()).toEqual([]);
      // The operations server had listened; its port is free again.
      await closeServer(await listen(opsPort));
    } finally {
      await closeServer(squatter);
      await queue.close();
      connection.disconnect();
    }
  });
});
