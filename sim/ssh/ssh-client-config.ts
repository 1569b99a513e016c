/** One `Host` alias of an OpenSSH client config. */
export interface SshConfigHost {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly user?: string;
}

/**
 * An OpenSSH client config (`ssh -F`) for the test hosts: key-only, batch
 * mode, and host keys checked strictly against the given pinned known_hosts
 * only. Tests and simulators use it whenever they shell out to `ssh`.
 */
export function sshClientConfig(options: { readonly hosts?: readonly SshConfigHost[]; readonly privateKeyPath: string; readonly knownHostsPath: string }): string {
  const aliases = (options.hosts ?? []).flatMap((h) => [
    `Host ${h.name}`,
    `  HostName ${h.address}`,
    `  Port ${h.port}`,
    ...(h.user !== undefined ? [`  User ${h.user}`] : []),
  ]);
  return [
    ...aliases,
    "Host *",
    `  IdentityFile ${options.privateKeyPath}`,
    "  IdentitiesOnly yes",
    `  UserKnownHostsFile ${options.knownHostsPath}`,
    "  GlobalKnownHostsFile /dev/null",
    "  StrictHostKeyChecking yes",
    "  BatchMode yes",
    "  LogLevel ERROR",
    "",
  ].join("\n");
}
