import { expandTilde } from "./expand-tilde";
import type { SshSettings } from "./inventory";
import type { RawSshOverride } from "./inventory-schema";

/** The environment's identity and pinned keys (SSH_PRIVATE_KEY_FILE, SSH_KNOWN_HOSTS_FILE), absolute. */
export interface SshFallback {
  readonly privateKeyFile: string;
  readonly knownHostsFile: string;
}

const DEFAULT_USER = "root";
const DEFAULT_PORT = 22;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Merges SSH layers field by field, the last (most specific) set value
 * winning: `[defaults.ssh, cluster.ssh, host.ssh]`, then the fallback.
 * A bastion is taken whole from the most specific layer that has one.
 */
export function resolveSshSettings(
  layers: readonly (RawSshOverride | undefined)[],
  fallback: SshFallback,
  homeDir: string,
): SshSettings {
  const pick = <K extends keyof RawSshOverride>(key: K): RawSshOverride[K] | undefined =>
    layers.reduceRight<RawSshOverride[K] | undefined>((found, layer) => found ?? layer?.[key], undefined);
  const user = pick("user") ?? DEFAULT_USER;
  const bastion = pick("bastion");
  const keyFile = pick("privateKeyFile");
  const knownHosts = pick("knownHostsFile");
  return {
    user,
    port: pick("port") ?? DEFAULT_PORT,
    privateKeyFile: keyFile === undefined ? fallback.privateKeyFile : expandTilde(keyFile, homeDir),
    knownHostsFile: knownHosts === undefined ? fallback.knownHostsFile : expandTilde(knownHosts, homeDir),
    connectTimeoutMs: pick("connectTimeout") ?? DEFAULT_CONNECT_TIMEOUT_MS,
    bastion:
      bastion === undefined
        ? undefined
        : { host: bastion.host, port: bastion.port ?? DEFAULT_PORT, user: bastion.user ?? user },
  };
}
