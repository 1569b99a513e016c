import { readFileSync } from "node:fs";
import net from "node:net";

/**
 * The kernel's ephemeral range (`net.ipv4.ip_local_port_range`): the ports it
 * gives to `listen(0)` and to every outbound connection's local end.
 */
export function ephemeralRange(text?: string): [number, number] {
  let raw = text;
  if (raw === undefined) {
    try {
      raw = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8");
    } catch {
      raw = "32768 60999"; // Linux's default where /proc is not readable.
    }
  }
  const [low, high] = raw.trim().split(/\s+/).map(Number);
  if (!Number.isInteger(low) || !Number.isInteger(high) || low! < 1 || high! < low!) return [32768, 60999];
  return [low!, high!];
}

/**
 * Where freePort draws from: below the ephemeral range when there is room,
 * above it otherwise. A port the kernel picked with listen(0) lies inside that
 * range, so between freePort closing it and the caller's listen, any outbound
 * connection on the machine (a Redis client, an SSH session of a parallel test)
 * could take it as its local port, and the listen fails with EADDRINUSE (a CI
 * run met this on the queue board test's PORT). Outside the range only another
 * explicit bind can take it.
 */
export function freePortPool(range: [number, number] = ephemeralRange()): [number, number] {
  const [low, high] = range;
  if (low - 1 - 10000 >= 1000) return [10000, low - 1];
  if (65535 - (high + 1) >= 1000) return [high + 1, 65535];
  return [1024, 65535]; // No room outside: take the risk rather than fail.
}

/** Ports this process has handed out, so two callers here never get the same one. */
const handedOut = new Set<number>();

function tryListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A TCP port that is free on `host` right now, drawn at random from `pool` (outside the kernel's ephemeral range). */
export async function freePort(host = "127.0.0.1", pool: [number, number] = freePortPool()): Promise<number> {
  const [low, high] = pool;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port)) continue;
    if (await tryListen(host, port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port on ${host} in ${low}-${high} after 200 tries`);
}

/** Resolves once something accepts TCP connections on host:port (and, if given, greets with `banner`). */
export async function waitForPort(host: string, port: number, timeoutMs: number, banner?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port });
      const done = (value: boolean): void => {
        socket.destroy();
        resolve(value);
      };
      socket.setTimeout(500, () => done(false));
      socket.on("error", () => done(false));
      socket.on("connect", () => {
        if (banner === undefined) done(true);
      });
      socket.on("data", (data) => done(data.toString("latin1").startsWith(banner ?? "")));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing answered on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
