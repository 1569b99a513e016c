/** Where and as whom to run: one inventory host, resolved to an address. */
export interface SshTarget {
  /** Address (or DNS name) to connect to; also the name looked up in known_hosts. */
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** One of privateKeyPath / privateKey is required. */
  readonly privateKeyPath?: string;
  readonly privateKey?: string | Buffer;
  readonly passphrase?: string;
  readonly knownHostsPath: string;
  /** Inventory name, used in messages only. */
  readonly hostLabel?: string;
  /** Jump host: the connection to `host` is tunnelled through it (direct-tcpip). */
  readonly bastion?: SshTarget;
  /** TCP connect + handshake + auth. @defaultValue 10000 */
  readonly connectTimeoutMs?: number;
}

/** Connections are shared per key: same user on the same host:port through the same bastion chain. */
export function sshTargetKey(target: SshTarget): string {
  const own = `${target.username}@${target.host}:${target.port}`;
  return target.bastion === undefined ? own : `${own} via ${sshTargetKey(target.bastion)}`;
}

/** `label (host:port)` for messages. */
export function describeSshTarget(target: SshTarget): string {
  const address = `${target.host}:${target.port}`;
  return target.hostLabel !== undefined ? `${target.hostLabel} (${address})` : address;
}
