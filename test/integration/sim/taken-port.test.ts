import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../../sim/process/free-port";
import { startRedisServer } from "../../../sim/process/redis-server";
import { createSshIdentity, startSshd } from "../../../sim/ssh/sshd";

/** Something else on the port that answers at once, as another test's daemon would: an SSH or Redis look-alike. */
async function squat(host: string, greeting: string): Promise<{ port: number; close(): Promise<void> }> {
  const port = await freePort(host);
  const server = net.createServer((socket) => {
    socket.on("error", () => undefined);
    socket.end(greeting);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, resolve);
  });
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * A simulated daemon asked for a port that another process holds must fail,
 * never return a handle to the other process because it answered the probe
 * (a cluster's epmd, Redis or sshd shared with another test's).
 */
describe("a simulated daemon on a port another process holds", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-taken-port-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("sshd refuses to start rather than hand out the other listener", async () => {
    const other = await squat("127.0.0.7", "SSH-2.0-somebody-else\r\n");
    try {
      await expect(startSshd({ address: "127.0.0.7", identity: createSshIdentity(dir), dir: path.join(dir, "sshd"), port: other.port })).rejects.toThrow(/exited at start.*Address already in use/s);
    } finally {
      await other.close();
    }
  });

  it("redis-server refuses to start rather than hand out the other listener", async () => {
    const other = await squat("127.0.0.1", "+PONG\r\n");
    try {
      await expect(startRedisServer({ port: other.port, dir: path.join(dir, "redis") })).rejects.toThrow(/exited|another process/);
    } finally {
      await other.close();
    }
  });
});
