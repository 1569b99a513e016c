import Redis from "ioredis";
import { openRedis } from "../../../src/jobs/store/redis-connection";
import { redisConnectionFor } from "../../../src/runtime/redis-connection-for";
import { startStallingProxy, type StallingProxy } from "../../../sim/ssh/stalling-proxy";
import { eventually, eventuallyTrue } from "../../helpers/eventually";
import { startSentinelSet, type SentinelSet } from "./helpers/sentinel-set";

/**
 * The chaos row "Redis failover under Sentinel" once lost a product
 * connection for good: ioredis's `Connection is closed.` and status `end`.
 * The cause (src/jobs/store/reconnect-safe-sentinel-connector.ts): the failover
 * detector of the connection to the dead primary is still subscribed while
 * the reconnect asks a sentinel for the new primary; the sentinels' own
 * `+switch-master` then disconnects the connector mid-question.
 *
 * Here that window is held open: the client reaches its one sentinel through
 * a proxy that lets the detector's open subscription through but leaves new
 * questions unanswered until the failover has been announced.
 */
describe("a Redis connection through Sentinel during a failover", () => {
  let set: SentinelSet;
  let proxy: StallingProxy;
  let redis: Redis | undefined;

  beforeAll(async () => {
    set = await startSentinelSet({ sentinels: 1, quorum: 1 });
    proxy = await startStallingProxy({ address: "127.0.0.1", target: { host: "127.0.0.1", port: set.sentinels[0]!.port } });
  });
  afterAll(async () => {
    redis?.disconnect();
    await proxy.close();
    await set.stop();
  });

  it("survives the sentinels announcing the new primary while it is still asking for it", async () => {
    const connection = redisConnectionFor({
      redisUrl: "redis://127.0.0.1:1",
      redisSentinel: { sentinels: [{ host: proxy.address, port: proxy.port }], name: set.name },
    });
    redis = openRedis(connection, "stale-detector");
    const errors: string[] = [];
    redis.on("error", (e: Error) => errors.push(e.message));
    await redis.set("before", "1");
    // One question for the primary, then the detector's subscription stays open.
    await eventuallyTrue("the failover detector subscribed", () => proxy.acceptedAt.length >= 2 && proxy.openConnections() >= 1);

    proxy.stallNew();
    const before = await set.primaryPort();
    await set.servers.get(before)!.stop("SIGKILL");
    await set.waitForNewPrimary(before);
    // The announcement reaches the old detector over its open subscription
    // while the reconnect's question hangs (the sentinel command timeout is 2 s).
    await eventuallyTrue("the reconnect is asking a sentinel", () => proxy.acceptedAt.length >= 3);
    await new Promise((r) => setTimeout(r, 2500));
    proxy.heal();

    const status = await eventually("the connection is ready again", () => (redis!.status === "ready" || redis!.status === "end" ? redis!.status : undefined), 20_000);
    expect(status).toBe("ready");
    await redis.set("after", "1");
    const after = await set.primaryPort();
    const primary = new Redis({ host: "127.0.0.1", port: after });
    try {
      expect(await primary.get("after")).toBe("1");
    } finally {
      primary.disconnect();
    }
    expect(errors).not.toContain("Connection is closed.");
  }, 60_000);
});
