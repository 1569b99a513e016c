import type { Client } from "ssh2";
import { connectSshClient } from "../src/ssh/connect-ssh-client";
import type { SshTarget } from "../src/ssh";

interface RawHost {
  readonly client: Client;
  busy: number;
  readonly queue: Array<() => void>;
}

/**
 * The floor the engine is measured against: one open ssh2 connection per
 * host (the product's own connect, so the same host-key pinning and
 * setNoDelay), a bare exec channel per command, at most `channelsPerHost`
 * channels at once. No process-group wrapper, no output capture, no Redis.
 */
export class RawSshPool {
  private readonly hosts = new Map<string, RawHost>();
  /** Channel opens sshd refused for lack of a free session slot, retried. */
  refusals = 0;

  constructor(private readonly channelsPerHost = 8) {}

  async open(targets: readonly SshTarget[]): Promise<void> {
    for (const t of targets) {
      const key = `${t.host}:${t.port}`;
      if (!this.hosts.has(key)) this.hosts.set(key, { client: (await connectSshClient(t)).connection, busy: 0, queue: [] });
    }
  }

  /** Runs `command`; resolves with its exit code once the channel has closed. */
  async exec(target: SshTarget, command: string): Promise<number | null> {
    const host = this.hosts.get(`${target.host}:${target.port}`);
    if (host === undefined) throw new Error(`raw pool: ${target.host}:${target.port} not opened`);
    if (host.busy >= this.channelsPerHost) await new Promise<void>((resolve) => host.queue.push(resolve));
    else host.busy++;
    try {
      // sshd frees a session slot a moment after the channel closed, so a full cap can briefly be refused (as in SshPool).
      for (let refusals = 0; ; refusals++) {
        try {
          return await execOnce(host.client, command);
        } catch (err) {
          if (typeof (err as { reason?: unknown }).reason !== "number" || refusals >= 20) throw err;
          this.refusals++;
          await new Promise((r) => setTimeout(r, 10 * (refusals + 1)));
        }
      }
    } finally {
      const next = host.queue.shift();
      if (next !== undefined) next();
      else host.busy--;
    }
  }

  close(): void {
    for (const h of this.hosts.values()) h.client.end();
    this.hosts.clear();
  }
}

/** One command on its own exec channel of `client`; resolves with its exit code once the channel has closed. */
export function execOnce(client: Client, command: string): Promise<number | null> {
  return new Promise<number | null>((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) {
        reject(err);
        return;
      }
      let code: number | null = null;
      channel.on("exit", (c: number | null) => (code = c));
      channel.on("close", () => resolve(code));
      channel.resume();
      channel.stderr.resume();
    });
  });
}
