import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, waitForPort } from "../process/free-port";
import { ownsListener } from "../process/listener-owner";
import { registerChild } from "../process/child-process-registry";
import { requireBinary } from "../process/require-binary";

/** A client identity: the key the executor logs in with. */
export interface SshIdentity {
  readonly privateKeyPath: string;
  readonly publicKey: string;
}

export interface SshdHandle {
  readonly address: string;
  readonly port: number;
  readonly username: string;
  readonly dir: string;
  /** `ssh-ed25519 AAAA...` (no comment). */
  readonly hostPublicKey: string;
  /** The pinned line: `[127.0.0.2]:2222 ssh-ed25519 AAAA...`. */
  readonly knownHostsLine: string;
  pid(): number | undefined;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** A 127.0.0.x address; only loopback is ever used. */
  address: string;
  identity: SshIdentity;
  /** Environment for every session (sshd `SetEnv`): HOME, PATH shims, SIM_ROOT... */
  env?: Record<string, string>;
  dir?: string;
  maxSessions?: number;
  /**
   * Listen on this port instead of a free one: restarting a killed host on
   * the address and port its clients (and known_hosts) already know. With
   * `dir` of the earlier start, the host key is the same too.
   */
  port?: number;
  /** More sshd_config lines, e.g. a `ForceCommand` that makes the host's shell another one than the user's. */
  extraConfig?: readonly string[];
}

/** The user sessions log in as: root in CI, otherwise whoever runs the tests (a non-root sshd can only serve itself). */
export function sshLoginUser(): string {
  return os.userInfo().username;
}

export function createSshIdentity(dir: string): SshIdentity {
  const keygen = requireBinary("ssh-keygen", "openssh-client");
  const privateKeyPath = path.join(dir, "id_ed25519");
  if (!fs.existsSync(privateKeyPath)) {
    execFileSync(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", "intervene-test", "-f", privateKeyPath]);
  }
  const publicKey = fs.readFileSync(`${privateKeyPath}.pub`, "utf8").trim();
  return { privateKeyPath, publicKey };
}

function assertLoopback(address: string): void {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address)) {
    throw new Error(`test sshd must listen on a 127.0.0.0/8 address, not ${address}`);
  }
}

function setEnvLine(env: Record<string, string>): string {
  const pairs = Object.entries(env).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || /["\n]/.test(v)) throw new Error(`unsupported SetEnv entry ${k}`);
    return `"${k}=${v}"`;
  });
  return pairs.length > 0 ? `SetEnv ${pairs.join(" ")}` : "";
}

/**
 * Starts a real OpenSSH sshd on `address` (a free high port), key-only, with
 * its own host key. Stopped by pid. Works as root and as an ordinary user.
 */
export async function startSshd(options: SshdOptions): Promise<SshdHandle> {
  assertLoopback(options.address);
  const sshd = requireBinary("sshd", "openssh-server");
  const keygen = requireBinary("ssh-keygen", "openssh-client");
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `intervene-sshd-${options.address}-`));
  fs.mkdirSync(dir, { recursive: true });
  if (process.getuid?.() === 0) fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });

  const hostKey = path.join(dir, "ssh_host_ed25519_key");
  if (!fs.existsSync(hostKey)) execFileSync(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", hostKey]);
  const hostPublicKey = fs.readFileSync(`${hostKey}.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
  const authorizedKeys = path.join(dir, "authorized_keys");
  fs.writeFileSync(authorizedKeys, `${options.identity.publicKey}\n`, { mode: 0o600 });
  const home = path.join(dir, "home");
  fs.mkdirSync(home, { recursive: true });
  const env = { HOME: home, ...options.env };

  for (let attempt = 0; ; attempt++) {
    const port = options.port ?? (await freePort(options.address));
    const config = path.join(dir, "sshd_config");
    fs.writeFileSync(
      config,
      [
        `ListenAddress ${options.address}:${port}`,
        `HostKey ${hostKey}`,
        `PidFile ${path.join(dir, "sshd.pid")}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        "AuthenticationMethods publickey",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "UsePAM no",
        // Keys live under the temp dir (mode 1777): StrictModes would refuse them.
        "StrictModes no",
        "UseDNS no",
        "PrintMotd no",
        "PrintLastLog no",
        `MaxSessions ${options.maxSessions ?? 10}`,
        "MaxStartups 200:30:400",
        "LogLevel ERROR",
        "Subsystem sftp internal-sftp",
        setEnvLine(env),
        ...(options.extraConfig ?? []),
        "",
      ].join("\n"),
    );
    const log = path.join(dir, "sshd.log");
    execFileSync(sshd, ["-t", "-f", config]);
    const child: ChildProcess = spawn(sshd, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", fs.openSync(log, "a")] });
    registerChild(child);
    const exited = new Promise<"exited">((resolve) => child.once("exit", () => resolve("exited")));
    const ready = waitForPort(options.address, port, 10_000, "SSH-").then(() => "ready" as const);
    let outcome = await Promise.race([ready, exited]);
    // Answered, but by whom: another test's sshd may have taken the port first (see ownsListener).
    if (outcome === "ready" && !ownsListener(child.pid!, options.address, port)) {
      if (child.exitCode === null) process.kill(child.pid!, "SIGKILL");
      outcome = await exited;
      fs.appendFileSync(log, `Address already in use: ${options.address}:${port} is answered by another process\n`);
    }
    if (outcome === "exited") {
      const text = fs.readFileSync(log, "utf8");
      // A free port may be taken between the probe and the bind: pick another. A fixed one cannot move, only wait.
      if (attempt < 3 && /Address already in use/.test(text)) {
        if (options.port !== undefined) await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      throw new Error(`sshd on ${options.address}:${port} exited at start: ${text.trim()}`);
    }
    const stop = async (): Promise<void> => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      process.kill(child.pid, "SIGTERM");
      await gone;
    };
    return {
      address: options.address,
      port,
      username: sshLoginUser(),
      dir,
      hostPublicKey,
      knownHostsLine: `[${options.address}]:${port} ${hostPublicKey}`,
      pid: () => child.pid,
      stop,
    };
  }
}
