import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startRedisServer } from "../../sim/process/redis-server";
import { createSshIdentity, startSshd, type SshdHandle } from "../../sim/ssh/sshd";
import { TESTBED_ENV, type Testbed } from "./testbed";
import { hasGlobalHandles, setGlobalHandles } from "./global-handles";
import { sshClientConfig } from "../../sim/ssh/ssh-client-config";

const HOST_COUNT = 3;

/**
 * Starts the run's private redis-server (appendonly, free loopback port) and
 * HOST_COUNT real sshd hosts on 127.0.0.2, 127.0.0.3, ... Everything is
 * stopped by pid in globalTeardown.
 */
export default async function globalSetup(): Promise<void> {
  // Every project that needs services names this setup; jest calls it once per project, in one process.
  if (hasGlobalHandles()) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-testbed-"));
  const identity = createSshIdentity(dir);
  fs.mkdirSync(path.join(dir, "redis"));
  const redis = await startRedisServer({ dir: path.join(dir, "redis") });
  const hosts: SshdHandle[] = await Promise.all(
    Array.from({ length: HOST_COUNT }, (_, i) => startSshd({ address: `127.0.0.${i + 2}`, identity, dir: path.join(dir, `host${i + 2}`) })),
  );
  const knownHostsPath = path.join(dir, "known_hosts");
  fs.writeFileSync(knownHostsPath, hosts.map((h) => `${h.knownHostsLine}\n`).join(""));
  const sshConfigPath = path.join(dir, "ssh_config");
  fs.writeFileSync(sshConfigPath, sshClientConfig({ privateKeyPath: identity.privateKeyPath, knownHostsPath }));
  const testbed: Testbed = {
    dir,
    redisUrl: redis.url,
    redisPid: redis.pid() ?? -1,
    hosts: hosts.map((h) => ({
      address: h.address, port: h.port, username: h.username, hostPublicKey: h.hostPublicKey, dir: h.dir, pid: h.pid() ?? -1,
    })),
    privateKeyPath: identity.privateKeyPath,
    publicKey: identity.publicKey,
    knownHostsPath,
    sshConfigPath,
  };
  const file = path.join(dir, "testbed.json");
  fs.writeFileSync(file, JSON.stringify(testbed, null, 2));
  process.env[TESTBED_ENV] = file;
  setGlobalHandles({ dir, stops: [() => redis.stop(), ...hosts.map((h) => () => h.stop())] });
}
