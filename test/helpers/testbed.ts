import fs from "node:fs";

/** What globalSetup started for this jest run; read by tests through `getTestbed()`. */
export interface TestbedHost {
  readonly address: string;
  readonly port: number;
  readonly username: string;
  readonly hostPublicKey: string;
  readonly dir: string;
  readonly pid: number;
}

export interface Testbed {
  readonly dir: string;
  readonly redisUrl: string;
  readonly redisPid: number;
  readonly hosts: readonly TestbedHost[];
  readonly privateKeyPath: string;
  readonly publicKey: string;
  readonly knownHostsPath: string;
  /** An OpenSSH client config with the pinned known_hosts, for `ssh -F`. */
  readonly sshConfigPath: string;
}

export const TESTBED_ENV = "INTERVENE_TESTBED_FILE";

export function getTestbed(): Testbed {
  const file = process.env[TESTBED_ENV];
  if (file === undefined || file === "") {
    throw new Error(`${TESTBED_ENV} is not set: integration tests run under jest's "integration" project, whose globalSetup starts Redis and sshd`);
  }
  return JSON.parse(fs.readFileSync(file, "utf8")) as Testbed;
}
