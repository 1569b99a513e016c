import type { Cluster, HostEntry, SshSettings } from "./inventory";

export class UnknownHostError extends Error {
  readonly retryable = false;

  constructor(
    readonly cluster: string,
    readonly host: string,
  ) {
    super(`cluster ${cluster} has no host ${JSON.stringify(host)}`);
    this.name = "UnknownHostError";
  }
}

/** The host entry by name; throws UnknownHostError for a name the inventory does not define. */
export function hostFor(cluster: Cluster, hostName: string): HostEntry {
  const host = Object.hasOwn(cluster.hosts, hostName) ? cluster.hosts[hostName] : undefined;
  if (host === undefined) throw new UnknownHostError(cluster.name, hostName);
  return host;
}

/** SSH settings resolved for one host (host over cluster over defaults over SSH_* environment). */
export function sshSettingsFor(cluster: Cluster, hostName: string): SshSettings {
  return hostFor(cluster, hostName).ssh;
}
