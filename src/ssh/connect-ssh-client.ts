import fs from "node:fs";
import type { Duplex } from "node:stream";
import { Client, type ConnectConfig, type ServerHostKeyAlgorithm } from "ssh2";
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

/**
 * Opens one authenticated ssh2 connection whose host key is pinned by
 * known_hosts. Resolves once ready; rejects with HostKeyError,
 * SshConnectionError or SshConfigError.
 */
export async function connectSshClient(target: SshTarget, options: ConnectOptions = {}): Promise<Client> {
  const knownHosts = readKnownHosts(target.knownHostsPath);
  const privateKey = readPrivateKey(target);
  const pinned = knownHosts.lookup(target.host, target.port).keys;
  // Offer only the pinned key types, so the server proves the key we hold
  // rather than another one we would have to refuse.
  const serverHostKey = [...new Set(pinned.flatMap((k) => HOST_KEY_ALGORITHMS[k.keyType] ?? []))];

  let refusal: HostKeyError | undefined;
  const config: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.username,
    privateKey,
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

  const client = new Client();
  client.setMaxListeners(options.maxListeners ?? 100);
  return new Promise<Client>((resolve, reject) => {
    const fail = (err: unknown): void => {
      cleanup();
      // ssh2 goes on emitting 'error' for a client that failed: after a handshake timeout, the socket's
      // close adds "Connection lost before handshake". With no listener left, EventEmitter throws it as
      // an uncaught exception and the worker dies of a host that merely never answered (found by
      // chaos/ssh-faults.chaos.ts). The failure is already reported through the rejection.
      client.on("error", () => undefined);
      client.end();
      reject(refusal ?? new SshConnectionError(target.host, target.port, "connect", err, target.hostLabel));
    };
    const onClose = (): void => fail(new Error("connection closed during handshake"));
    const onReady = (): void => {
      cleanup();
      resolve(client);
    };
    // Nagle would hold every small exec request for a delayed ACK (~40 ms per exec).
    const onConnect = (): void => void client.setNoDelay(true);
    const cleanup = (): void => {
      client.off("error", fail);
      client.off("close", onClose);
      client.off("ready", onReady);
      client.off("connect", onConnect);
    };
    client.on("error", fail);
    client.on("close", onClose);
    client.on("ready", onReady);
    client.on("connect", onConnect);
    try {
      client.connect(config);
    } catch (err) {
      fail(err);
    }
  });
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
