import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { timingSafeEqual } from "node:crypto";
import { Server, utils, type AuthContext, type Connection, type ServerChannel } from "ssh2";
import { generateSshKeyPair } from "./generate-ssh-key-pair";
import type { SshdHandle, SshdOptions, SshIdentity } from "./sshd";
import type { SimSshHosts } from "../sim-ssh-hosts";

/** sshd's defaults for a session, before SetEnv (session.c: do_setup_env). */
const SESSION_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/games";

function loopbackOnly(address: string): void {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address)) throw new Error(`simulated SSH hosts listen on 127.0.0.0/8 only, not ${address}`);
}

function writeKeyPair(privatePath: string, comment: string): { privateKey: string; publicKey: string } {
  const pair = generateSshKeyPair(comment);
  fs.writeFileSync(privatePath, pair.privateKey, { mode: 0o600 });
  fs.writeFileSync(`${privatePath}.pub`, `${pair.publicKey} ${comment}\n`);
  return pair;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Simulated hosts behind an in-process ssh2 server, for the demo: no sshd, no
 * root, no ssh-keygen. Each host has its own address, port and host key; it
 * takes only the identity's key for the current user, and runs every exec as
 * sshd does without a pty: `bash -c <command>` as a session leader (setsid),
 * with the host's session environment and nothing of this process's.
 */
export class InProcessSshHosts implements SimSshHosts {
  private readonly servers = new Map<Server, Set<Connection>>();
  private readonly children = new Set<number>();

  createIdentity(dir: string): SshIdentity {
    const privateKeyPath = path.join(dir, "id_ed25519");
    const { publicKey } = writeKeyPair(privateKeyPath, "intervene-demo");
    return { privateKeyPath, publicKey };
  }

  async startHost(options: SshdOptions): Promise<SshdHandle> {
    loopbackOnly(options.address);
    const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `intervene-ssh-${options.address}-`));
    fs.mkdirSync(path.join(dir, "home"), { recursive: true });
    const host = writeKeyPair(path.join(dir, "ssh_host_ed25519_key"), "");
    const allowed = utils.parseKey(options.identity.publicKey);
    if (allowed instanceof Error) throw new Error(`cannot read the client public key: ${allowed.message}`);
    const username = os.userInfo().username;
    const env: Record<string, string> = {
      HOME: path.join(dir, "home"),
      USER: username,
      LOGNAME: username,
      SHELL: "/bin/bash",
      PATH: SESSION_PATH,
      ...options.env,
    };
    const maxSessions = options.maxSessions ?? 10;

    const authenticate = (ctx: AuthContext): void => {
      if (ctx.method !== "publickey" || ctx.username !== username) return ctx.reject(["publickey"]);
      const offered = ctx.key;
      if (offered.algo !== allowed.type || !sameBytes(offered.data, allowed.getPublicSSH())) return ctx.reject(["publickey"]);
      // Without a signature the client only asks whether the key would do.
      if (ctx.signature === undefined) return ctx.accept();
      if (ctx.blob !== undefined && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
      return ctx.reject(["publickey"]);
    };

    const connections = new Set<Connection>();
    const server = new Server({ hostKeys: [host.privateKey] }, (client: Connection) => {
      connections.add(client);
      client.once("close", () => connections.delete(client));
      // Nagle would hold every small reply for a delayed ACK (STACK.md): ssh2 has the call, its types do not.
      (client as Connection & { setNoDelay?(noDelay: boolean): void }).setNoDelay?.(true);
      let sessions = 0;
      client.on("authentication", authenticate);
      client.on("error", () => undefined);
      client.on("ready", () => {
        client.on("session", (acceptSession, rejectSession) => {
          if (sessions >= maxSessions) return rejectSession();
          sessions++;
          const session = acceptSession();
          let counted = true;
          const release = (): void => {
            if (counted) sessions--;
            counted = false;
          };
          session.on("close", release);
          session.on("pty", (_accept, reject) => reject?.());
          session.on("env", (_accept, reject) => reject?.());
          session.on("shell", (_accept, reject) => reject());
          session.on("subsystem", (_accept, reject) => reject());
          session.on("exec", (accept, _reject, info) => this.runExec(accept(), info.command, env));
        });
        client.on("tcpip", (_accept, reject) => reject());
      });
    });
    this.servers.set(server, connections);
    const port = await new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, options.address, () => {
        const address = server.address();
        resolve(typeof address === "object" && address !== null ? address.port : 0);
      });
    });
    const stop = (): Promise<void> => this.stopServer(server);
    return {
      address: options.address,
      port,
      username,
      dir,
      hostPublicKey: host.publicKey,
      knownHostsLine: `[${options.address}]:${port} ${host.publicKey}`,
      pid: () => undefined,
      stop,
    };
  }

  /** Stops every host's server, then TERMs the process group of each command still running (by its pid: each is a session leader). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((server) => this.stopServer(server)));
    for (const pid of this.children) {
      try {
        process.kill(-pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    this.children.clear();
  }

  private stopServer(server: Server): Promise<void> {
    const connections = this.servers.get(server);
    if (connections === undefined) return Promise.resolve();
    this.servers.delete(server);
    return new Promise((resolve) => {
      server.close(() => resolve());
      // Open connections would keep close() waiting: end them, as sshd's exit does.
      for (const c of connections) c.end();
    });
  }

  /** Commands running now (their bash pids), for the demo's shutdown. */
  runningCommands(): number[] {
    return [...this.children];
  }

  private runExec(channel: ServerChannel, command: string, env: Record<string, string>): void {
    // detached: setsid(), so the shell's $$ is the process group the product kills on timeout, as under sshd.
    const child = spawn("/bin/bash", ["-c", command], { cwd: env.HOME, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
    const pid = child.pid;
    if (pid !== undefined) this.children.add(pid);
    channel.on("error", () => undefined);
    child.stdin.on("error", () => undefined);
    child.stdout.pipe(channel, { end: false });
    child.stderr.pipe(channel.stderr, { end: false });
    channel.pipe(child.stdin);
    child.once("error", (err) => {
      channel.stderr.write(`bash: ${err.message}\n`);
      channel.exit(127);
      channel.end();
    });
    // 'close': the shell exited and its output pipes reached EOF, which is when sshd sends exit-status and closes.
    child.once("close", (code, signal) => {
      if (pid !== undefined) this.children.delete(pid);
      if (signal !== null) channel.exit(signal.replace(/^SIG/, ""), false, "");
      else channel.exit(code ?? 255);
      channel.end();
    });
  }
}
