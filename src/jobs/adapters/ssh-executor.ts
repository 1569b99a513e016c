import { hostFor, type Inventory } from "../../config";
import type { SshPool, SshTarget } from "../../ssh";
import { EngineError } from "../engine-error";
import type { HostRef, RemoteExecutor } from "../ports/remote-executor";

/** The inventory host's SSH target: address, user, pinned known_hosts, key, optional bastion. */
export function sshTargetFor(inventory: Inventory, ref: HostRef): SshTarget {
  const cluster = Object.hasOwn(inventory.clusters, ref.cluster) ? inventory.clusters[ref.cluster] : undefined;
  if (cluster === undefined) throw new EngineError("NOT_FOUND", `no cluster ${ref.cluster} in ${inventory.file}`, { cluster: ref.cluster });
  const host = hostFor(cluster, ref.host);
  const ssh = host.ssh;
  const base = { username: ssh.user, privateKeyPath: ssh.privateKeyFile, knownHostsPath: ssh.knownHostsFile, connectTimeoutMs: ssh.connectTimeoutMs };
  return {
    ...base,
    host: host.address,
    port: ssh.port,
    hostLabel: host.name,
    ...(ssh.bastion !== undefined ? { bastion: { ...base, host: ssh.bastion.host, port: ssh.bastion.port, username: ssh.bastion.user } } : {}),
  };
}

/** Adapts the product's `SshPool` to the worker's executor port, addressing hosts by inventory name. */
export function createSshExecutor(pool: SshPool, inventory: Inventory): RemoteExecutor {
  return {
    exec: (ref, command, options) => pool.exec(sshTargetFor(inventory, ref), command, { ...options }),
    copy: (from, fromPath, to, toPath, options) =>
      pool.copy(sshTargetFor(inventory, from), fromPath, sshTargetFor(inventory, to), toPath, {
        timeoutMs: options?.timeoutMs ?? 600_000,
        ...(options?.signal !== undefined ? { signal: options.signal } : {}),
      }),
    close: () => pool.close(),
  };
}
