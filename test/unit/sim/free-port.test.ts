import net from "node:net";
import { ephemeralRange, freePort, freePortPool } from "../../../sim/process/free-port";

describe("freePort", () => {
  it("reads the kernel's ephemeral range, falling back to Linux's default on nonsense", () => {
    expect(ephemeralRange("32768\t60999\n")).toEqual([32768, 60999]);
    expect(ephemeralRange("1024 65000")).toEqual([1024, 65000]);
    expect(ephemeralRange("garbage")).toEqual([32768, 60999]);
    expect(ephemeralRange("5000 4000")).toEqual([32768, 60999]);
  });

  it("draws below the ephemeral range, or above it when there is no room below", () => {
    expect(freePortPool([32768, 60999])).toEqual([10000, 32767]);
    expect(freePortPool([1024, 50000])).toEqual([50001, 65535]);
    expect(freePortPool([1024, 65535])).toEqual([1024, 65535]);
  });

  it("hands out distinct ports outside this machine's ephemeral range that a listen can take", async () => {
    const [low, high] = ephemeralRange();
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) expect(port < low || port > high).toBe(true);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: "127.0.0.1", port: ports[0] }, resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("never hands out a port something already listens on", async () => {
    // A port held by a listener this test keeps (the kernel's pick: not one freePort handed out before),
    // offered as the whole pool: every draw must see it taken.
    const held = net.createServer();
    await new Promise<void>((resolve, reject) => {
      held.once("error", reject);
      held.listen({ host: "127.0.0.1", port: 0 }, resolve);
    });
    const port = (held.address() as net.AddressInfo).port;
    try {
      await expect(freePort("127.0.0.1", [port, port])).rejects.toThrow(`no free port on 127.0.0.1 in ${port}-${port}`);
    } finally {
      await new Promise<void>((resolve) => held.close(() => resolve()));
    }
  });
});
