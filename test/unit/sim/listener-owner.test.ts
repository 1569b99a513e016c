import { spawn } from "node:child_process";
import net from "node:net";
import { freePort, waitForPort } from "../../../sim/process/free-port";
import { listenInodes, ownsListener } from "../../../sim/process/listener-owner";

const PROC_NET_TCP = [
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
  "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0",
  "   1: 0A00007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2222 1 0000000000000000 100 0 0 10 0",
  "   2: 00000000:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3333 1 0000000000000000 100 0 0 10 0",
  "   3: 0100007F:1F90 0100007F:D3F2 01 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 20 4 30 10 -1",
].join("\n");

describe("listenInodes", () => {
  it("finds the LISTEN sockets on an address and port, or on the wildcard, and nothing else", () => {
    expect([...listenInodes(PROC_NET_TCP, "127.0.0.1", 8080)]).toEqual(["1111"]); // not the connected 4444
    expect([...listenInodes(PROC_NET_TCP, "127.0.0.10", 8080)]).toEqual(["2222"]);
    expect([...listenInodes(PROC_NET_TCP, "127.0.0.1", 8081)]).toEqual(["3333"]); // 0.0.0.0:8081 takes it too
    expect([...listenInodes(PROC_NET_TCP, "127.0.0.2", 8080)]).toEqual([]);
    expect(() => listenInodes(PROC_NET_TCP, "localhost", 8080)).toThrow(/IPv4/);
  });
});

describe("ownsListener", () => {
  it("tells the process that listens on a port from another that does not", async () => {
    const port = await freePort();
    // A child that listens: not this process, so ownership is told apart by pid.
    const child = spawn(process.execPath, ["-e", `require("net").createServer().listen(${port}, "127.0.0.1"); setTimeout(() => {}, 60000)`], { stdio: "ignore" });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      await waitForPort("127.0.0.1", port, 10_000);
      expect(ownsListener(child.pid!, "127.0.0.1", port)).toBe(true);
      expect(ownsListener(process.pid, "127.0.0.1", port)).toBe(false);
      expect(ownsListener(child.pid!, "127.0.0.1", port + 1)).toBe(false);
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
    // This process's own listener, on a port of its own (the child's may linger until the kernel has closed it).
    const minePort = await freePort();
    const mine = await listenOn(minePort);
    expect(ownsListener(process.pid, "127.0.0.1", minePort)).toBe(true);
    await new Promise<void>((resolve) => mine.close(() => resolve()));
  });
});

function listenOn(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port }, () => resolve(server));
  });
}
