import { execFileSync } from "node:child_process";
import Redis from "ioredis";
import { getTestbed } from "../helpers/testbed";

describe("the test bed", () => {
  const testbed = getTestbed();

  it("serves a private redis-server on a loopback port that is not the machine's shared 6379", async () => {
    expect(testbed.redisUrl).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(testbed.redisUrl.endsWith(":6379")).toBe(false);
    const redis = new Redis(testbed.redisUrl);
    try {
      expect(await redis.ping()).toBe("PONG");
      expect(await redis.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
    } finally {
      redis.disconnect();
    }
  });

  it("serves real sshd hosts on distinct 127.0.0.x addresses, reachable with the pinned known_hosts only", () => {
    expect(testbed.hosts.map((h) => h.address)).toEqual(["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
    for (const host of testbed.hosts) {
      const out = execFileSync(
        "ssh",
        ["-F", testbed.sshConfigPath, "-p", String(host.port), `${host.username}@${host.address}`, "echo $HOME; echo ok"],
        { encoding: "utf8" },
      );
      expect(out.trim().split("\n")).toEqual([`${host.dir}/home`, "ok"]);
    }
  });
});
