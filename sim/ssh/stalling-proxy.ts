import net from "node:net";

export interface StallingProxyOptions {
  /** A 127.0.0.x address; only loopback is ever used. */
  readonly address: string;
  /** Where healthy connections are forwarded (a real sshd, or a Redis server). */
  readonly target: { readonly host: string; readonly port: number };
  /** Start stalled: every connection is accepted and then never answered (no SSH banner). @defaultValue false */
  readonly stalled?: boolean;
}

export interface StallingProxy {
  readonly address: string;
  readonly port: number;
  /** Date.now() of every accepted connection, in order. */
  readonly acceptedAt: readonly number[];
  /**
   * A half-dead network: no byte moves any more in either direction on the
   * open connections, and new ones are accepted but never answered. Nothing
   * is closed or reset, so only the client's own timers can notice.
   */
  stall(): void;
  /**
   * New connections are accepted and never answered, while those already
   * open keep flowing: a server wedged for newcomers (a sentinel whose
   * subscribers still hear it while a fresh client's question hangs).
   */
  stallNew(): void;
  /** New connections are forwarded again; those stalled stay black holes (a real network would not revive them in time either). */
  heal(): void;
  /**
   * New connections go to `target`, and the open ones are cut as a server's
   * death cuts them: a failover as the client sees it, without Sentinel
   * deciding when (tests of what a client does in that window).
   */
  switchTo(target: { readonly host: string; readonly port: number }): void;
  /** Connections currently open through the proxy (stalled or not). */
  openConnections(): number;
  close(): Promise<void>;
}

interface Pair {
  readonly client: net.Socket;
  upstream: net.Socket | undefined;
  stalled: boolean;
}

/**
 * A TCP proxy on loopback that can stop answering without closing anything:
 * the "host accepts TCP but never answers" fault, for the connect, exec and
 * keepalive timeouts of the SSH executor. Data is dropped, not buffered, once
 * a connection is stalled, and both sockets stop reading, so the peers' kernel
 * buffers fill as on a dead link.
 */
export async function startStallingProxy(options: StallingProxyOptions): Promise<StallingProxy> {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(options.address)) throw new Error(`the stalling proxy listens on 127.0.0.0/8 only, not ${options.address}`);
  let stalled = options.stalled ?? false;
  let target = options.target;
  const pairs = new Set<Pair>();
  const acceptedAt: number[] = [];

  const freeze = (pair: Pair): void => {
    pair.stalled = true;
    pair.client.pause();
    pair.upstream?.pause();
  };

  const server = net.createServer((client) => {
    acceptedAt.push(Date.now());
    const pair: Pair = { client, upstream: undefined, stalled: false };
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.on("error", end);
    client.on("close", end);
    if (stalled) {
      freeze(pair);
      return;
    }
    const upstream = net.connect({ host: target.host, port: target.port });
    pair.upstream = upstream;
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    upstream.on("error", end);
    upstream.on("close", end);
    client.on("data", (chunk: Buffer) => {
      if (!pair.stalled) upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!pair.stalled) client.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: options.address, port: 0 }, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the stalling proxy got no port");

  return {
    address: options.address,
    port: address.port,
    acceptedAt,
    stall() {
      stalled = true;
      for (const pair of pairs) freeze(pair);
    },
    stallNew() {
      stalled = true;
    },
    heal() {
      stalled = false;
    },
    switchTo(next) {
      target = next;
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        pair.client.destroy();
        pair.upstream?.destroy();
      }
    },
    openConnections: () => pairs.size,
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
