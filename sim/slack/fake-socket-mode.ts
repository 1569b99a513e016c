import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

/** Envelope types Slack sends over Socket Mode. */
export type EnvelopeType = "slash_commands" | "interactive" | "events_api";

interface Pending {
  readonly resolve: (ack: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Slack's Socket Mode server side, on loopback (issue 15 point 2), after
 * api.slack.com/apis/socket-mode: `apps.connections.open` (served by the
 * fake Web API) hands out this server's URL; each connection gets `hello`;
 * events arrive as envelopes `{ envelope_id, type, payload,
 * accepts_response_payload, retry_attempt, retry_reason }` and the client acks
 * with `{ envelope_id, payload? }`; `disconnect` with `refresh_requested` asks
 * the client to reconnect; connections may also just drop.
 */
export class FakeSocketMode {
  private readonly sockets = new Set<WebSocket>();
  private readonly pending = new Map<string, Pending>();
  /** Every ack received, in order. */
  readonly acks: { readonly envelopeId: string; readonly payload: unknown }[] = [];
  /** Connections ever opened. */
  opened = 0;

  private constructor(
    private readonly server: http.Server,
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeSocketMode> {
    const server = http.createServer((_req, res) => res.writeHead(426).end());
    const wss = new WebSocketServer({ server });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeSocketMode(server, wss, `ws://127.0.0.1:${port}/link/?ticket=e2e`);
    wss.on("connection", (socket) => fake.accept(socket));
    return fake;
  }

  /** Open connections now. */
  get connections(): number {
    return [...this.sockets].filter((s) => s.readyState === s.OPEN).length;
  }

  private accept(socket: WebSocket): void {
    this.opened += 1;
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("message", (data: Buffer) => {
      let message: { envelope_id?: unknown; payload?: unknown };
      try {
        message = JSON.parse(data.toString("utf8")) as typeof message;
      } catch {
        return;
      }
      if (typeof message.envelope_id !== "string") return;
      this.acks.push({ envelopeId: message.envelope_id, payload: message.payload });
      const waiting = this.pending.get(message.envelope_id);
      if (waiting !== undefined) {
        clearTimeout(waiting.timer);
        this.pending.delete(message.envelope_id);
        waiting.resolve(message.payload);
      }
    });
    socket.send(JSON.stringify({ type: "hello", num_connections: this.sockets.size, debug_info: { host: "fake-socket-mode", approximate_connection_time: 18060 }, connection_info: { app_id: "A123456" } }));
  }

  /** Waits until a client is connected (after start, a refresh or a drop). */
  async connected(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.connections === 0) {
      if (Date.now() > deadline) throw new Error("no Socket Mode client connected");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Sends one envelope on an open connection and resolves with the ack's
   * payload (undefined when the ack carried none); rejects when no ack comes
   * within `ackTimeoutMs`. `retryAttempt` > 0 is how Slack marks a redelivery.
   */
  async deliver(type: EnvelopeType, payload: unknown, options: { readonly retryAttempt?: number; readonly envelopeId?: string; readonly ackTimeoutMs?: number } = {}): Promise<unknown> {
    await this.connected();
    const socket = [...this.sockets].find((s) => s.readyState === s.OPEN);
    if (socket === undefined) throw new Error("no open Socket Mode connection");
    const envelopeId = options.envelopeId ?? randomUUID();
    const retryAttempt = options.retryAttempt ?? 0;
    const acked = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        reject(new Error(`envelope ${envelopeId} (${type}) was not acked within ${options.ackTimeoutMs ?? 3000} ms`));
      }, options.ackTimeoutMs ?? 3000);
      this.pending.set(envelopeId, { resolve, timer });
    });
    socket.send(
      JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== "events_api", retry_attempt: retryAttempt, retry_reason: retryAttempt > 0 ? "timeout" : "" }),
    );
    return acked;
  }

  /** `disconnect` with reason `refresh_requested`, as Slack sends before it recycles a connection. */
  requestRefresh(): void {
    for (const s of this.sockets) s.send(JSON.stringify({ type: "disconnect", reason: "refresh_requested", debug_info: { host: "fake-socket-mode" } }));
  }

  /** Cuts every connection without a word (a network drop). */
  drop(): void {
    for (const s of this.sockets) s.terminate();
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.drop();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
