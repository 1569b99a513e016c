import { createSshIdentity, startSshd, type SshdHandle, type SshdOptions, type SshIdentity } from "./ssh/sshd";

/**
 * How a simulator puts its hosts behind SSH. The tests use real OpenSSH sshd
 * processes (`OPENSSH_HOSTS`); the demo passes an in-process ssh2 server that
 * gives each exec the same session environment (sshd's `SetEnv`, HOME, a
 * bash that is session leader), so the product's SSH client path is the same.
 */
export interface SimSshHosts {
  /** A client key pair under `dir`: `<dir>/id_ed25519` and its `.pub`. */
  createIdentity(dir: string): SshIdentity;
  /** One SSH host on `options.address` serving `options.env` to every session. */
  startHost(options: SshdOptions): Promise<SshdHandle>;
}

export const OPENSSH_HOSTS: SimSshHosts = { createIdentity: createSshIdentity, startHost: startSshd };
