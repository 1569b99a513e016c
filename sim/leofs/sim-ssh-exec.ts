import fs from "node:fs";
import { Client, type ConnectConfig } from "ssh2";
import type { ExecResult as SshExecResult } from "../../src/ssh/exec-types";

/** What a simulated host's command gave: the product's exec result, as much as the sim reports. */
export type SimExecResult = Pick<SshExecResult, "code" | "stdout" | "stderr">;

export interface SimSshTarget {
  readonly address: string;
  readonly port: number;
  readonly username: string;
  /** `ssh-ed25519 AAAA...`: the only host key this connection accepts. */
  readonly hostPublicKey: string;
}

/**
 * One pinned ssh2 connection to a simulated host, for tests. Not the product's
 * SSH pool: tests drive the simulator through plain exec channels so that
 * outputs (CRLF included) arrive byte for byte.
 */
export class SimSshExec {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;

  constructor(
    private readonly target: SimSshTarget,
    private readonly privateKeyPath: string,
  ) {}

  private connect(): Promise<Client> {
    if (this.client !== undefined) return Promise.resolve(this.client);
    if (this.connecting !== undefined) return this.connecting;
    const [keyType, keyB64] = this.target.hostPublicKey.split(/\s+/);
    const pinned = Buffer.from(keyB64 ?? "", "base64");
    const config: ConnectConfig = {
      host: this.target.address,
      port: this.target.port,
      username: this.target.username,
      privateKey: fs.readFileSync(this.privateKeyPath),
      readyTimeout: 10_000,
      algorithms: { serverHostKey: [keyType as "ssh-ed25519"] },
      hostVerifier: (key: Buffer) => key.equals(pinned),
    };
    this.connecting = new Promise<Client>((resolve, reject) => {
      const client = new Client();
      client.once("ready", () => {
        this.client = client;
        resolve(client);
      });
      client.once("error", (err) => {
        this.connecting = undefined;
        reject(err);
      });
      client.once("close", () => {
        this.client = undefined;
        this.connecting = undefined;
      });
      client.connect(config);
    });
    return this.connecting;
  }

  async exec(command: string): Promise<SimExecResult> {
    const client = await this.connect();
    return new Promise<SimExecResult>((resolve, reject) => {
      client.exec(command, (err, stream) => {
        if (err) {
          reject(err);
          return;
        }
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let code: number | null = null;
        stream.on("data", (d: Buffer) => out.push(d));
        stream.stderr.on("data", (d: Buffer) => errOut.push(d));
        stream.on("exit", (c: number | null) => {
          code = c;
        });
        stream.on("close", () => {
          resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(errOut).toString("utf8"), code });
        });
      });
    });
  }

  close(): void {
    this.client?.end();
    this.client = undefined;
  }
}
