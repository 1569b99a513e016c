import fs from "node:fs";
import type { Duplex } from "node:stream";
import { NodeSSH, type Config } from "node-ssh";
import type { Client, ServerHostKeyAlgorithm } from "ssh2";
import { fingerprintSha256 } from "./fingerprint-sha256";
import { KnownHosts } from "./known-hosts";
import { HostKeyError, SshConfigError, SshConnectionError } from "./ssh-errors";
import type { SshTarget } from "./ssh-target";

export interface ConnectOptions {
  /** An already open stream to the target's sshd (a bastion's direct-tcpip channel). */
  sock?: Duplex;
  /** @defaultValue 15000 */
  keepaliveIntervalMs?: number;
  /** @defaultValue 3 */
  keepaliveCountMax?: number;
  /** Listener headroom: one connection carries many channels, each with its own listeners. */
  maxListeners?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** known_hosts key types -> the signature algorithms that prove them. */
const HOST_KEY_ALGORITHMS: Record<string, readonly ServerHostKeyAlgorithm[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
  "ssh-dss": ["ssh-dss"],
};

/** A connected NodeSSH: its ssh2 `connection` is set. */
export type ConnectedSsh = NodeSSH & { connection: Client };

/**
 * Opens one authenticated connection (node-ssh's `NodeSSH`, the design's SSH
 * library) whose host key is pinned by known_hosts. Resolves once ready;
 * rejects with HostKeyError, SshConnectionError or SshConfigError. The exec
 * channels, with their output caps and remote process-group kill, use its
 * ssh2 `connection` directly.
 */
export async function connectSshClient(target: SshTarget, options: ConnectOptions = {}): Promise<ConnectedSsh> {
  const knownHosts = readKnownHosts(target.knownHostsPath);
  const privateKey = readPrivateKey(target);
  const pinned = knownHosts.lookup(target.host, target.port).keys;
  // Offer only the pinned key types, so the server proves the key we hold
  // rather than another one we would have to refuse.
  const serverHostKey = [...new Set(pinned.flatMap((k) => HOST_KEY_ALGORITHMS[k.keyType] ?? []))];

  let refusal: HostKeyError | undefined;
  const config: Config = {
    host: target.host,
    port: target.port,
    username: target.username,
    // node-ssh takes a key as text only (its `connect` asserts a string).
    privateKey: typeof privateKey === "string" ? privateKey : privateKey.toString("utf8"),
    passphrase: target.passphrase,
    readyTimeout: target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepaliveInterval: options.keepaliveIntervalMs ?? 15_000,
    keepaliveCountMax: options.keepaliveCountMax ?? 3,
    hostVerifier: (key: Buffer): boolean => {
      const verdict = knownHosts.verify(target.host, target.port, key);
      if (verdict.ok) return true;
      refusal = new HostKeyError(target.host, target.port, fingerprintSha256(key), verdict.reason, target.knownHostsPath, target.hostLabel);
      return false;
    },
    ...(serverHostKey.length > 0 ? { algorithms: { serverHostKey } } : {}),
    ...(options.sock !== undefined ? { sock: options.sock } : {}),
  };

  const ssh = new NodeSSH();
  // `connect` creates its ssh2 client and starts connecting before its first await (node-ssh
  // src/index.ts `connect`, given a key rather than a key path), so the socket can be tuned now.
  const pending = ssh.connect(config);
  const client = ssh.connection;
  if (client !== null) {
    client.setMaxListeners(options.maxListeners ?? 100);
    // Nagle would hold every small exec request for a delayed ACK (~40 ms per exec).
    client.setNoDelay(true);
    // ssh2 goes on emitting 'error' for a client that failed: after a handshake timeout, the socket's
    // close adds "Connection lost before handshake". node-ssh removes its own listener once ready;
    // without one, EventEmitter would throw it as an uncaught exception and the worker would die of
    // a host that merely never answered (found by chaos/ssh-faults.chaos.ts).
    client.on("error", () => undefined);
  }
  try {
    await pending;
  } catch (err) {
    ssh.dispose();
    throw refusal ?? new SshConnectionError(target.host, target.port, "connect", err, target.hostLabel);
  }
  if (ssh.connection === null) throw new SshConnectionError(target.host, target.port, "connect", new Error("connection closed during handshake"), target.hostLabel);
  return ssh as ConnectedSsh;
}

function readKnownHosts(path: string): KnownHosts {
  try {
    return KnownHosts.read(path);
  } catch (err) {
    throw new SshConfigError("cannot read known_hosts", path, err);
  }
}

function readPrivateKey(target: SshTarget): string | Buffer {
  if (target.privateKey !== undefined) return target.privateKey;
  if (target.privateKeyPath === undefined) {
    throw new SshConfigError("no privateKey or privateKeyPath for the SSH target", `${target.host}:${target.port}`, "missing");
  }
  try {
    return fs.readFileSync(target.privateKeyPath);
  } catch (err) {
    throw new SshConfigError("cannot read the SSH private key", target.privateKeyPath, err);
  }
}
