import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseInventory } from "../../../../src/config";
import { sshTargetFor, type EngineHandle, type RunRecord } from "../../../../src/jobs";
import { sshTargetKey, type SshPool, type SshPoolOptions } from "../../../../src/ssh";
import { createSshIdentity, startSshd, type SshdHandle } from "../../../../sim/ssh/sshd";
import { getTestbed } from "../../../helpers/testbed";
import { createHarness } from "./jobs-harness";

/** One host of the fault bed's inventory: where the pool connects, and the host key pinned there. */
export interface FaultHost {
  readonly address: string;
  readonly port: number;
  readonly hostPublicKey: string;
}

export interface SshFaultBedOptions {
  readonly name: string;
  /** Inventory name -> where it is reached (an sshd of our own, or a proxy in front of one). */
  readonly hosts: Readonly<Record<string, FaultHost>>;
  /** Inventory `defaults.ssh.connectTimeout`, e.g. "1s". */
  readonly connectTimeout: string;
  /** The worker's pool: keepalive and idle close as the row needs them. */
  readonly pool?: SshPoolOptions;
}

export interface SshFaultBed {
  readonly engine: EngineHandle;
  readonly pool: SshPool;
  readonly dir: string;
  /** Whether the pool holds a connection to the inventory host `name` right now. */
  connected(name: string): boolean;
  close(): Promise<void>;
}

/** Our own real sshd (never a shared test-bed host: the rows kill theirs), logging in with the test bed's identity. */
export async function startOwnSshd(address: string, dir: string, port?: number): Promise<SshdHandle> {
  const identity = createSshIdentity(path.dirname(getTestbed().privateKeyPath));
  return startSshd({ address, identity, dir, ...(port !== undefined ? { port } : {}) });
}

/**
 * An engine and one worker on the test bed's Redis, under a fresh prefix, with
 * an inventory of the caller's own hosts (one dirac cluster `c1`, runs
 * requested by UREQ) and short timeouts: the SSH fault tests and chaos rows
 * route hosts through proxies and sshds of their own. `close` removes it all.
 */
export async function startSshFaultBed(options: SshFaultBedOptions): Promise<SshFaultBed> {
  const tb = getTestbed();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `intervene-${options.name}-`));
  const knownHosts = path.join(dir, "known_hosts");
  fs.writeFileSync(knownHosts, Object.values(options.hosts).map((h) => `[${h.address}]:${h.port} ${h.hostPublicKey}\n`).join(""));
  const names = Object.keys(options.hosts);
  const yaml = `version: 1
defaults:
  approval:
    requesters: { users: [UREQ] }
    approvers: { users: [UAPP1] }
  ssh:
    privateKeyFile: ${tb.privateKeyPath}
    knownHostsFile: ${knownHosts}
    connectTimeout: ${options.connectTimeout}
clusters:
  c1:
    kind: dirac
    channel: C0TEST
    approval: {}
    dirac:
      setup: Test
      boxes:
${names.map((n, i) => (i === 0 ? `        - { host: ${n}, roles: [services], frameworkServer: true }` : `        - { host: ${n}, roles: [agents] }`)).join("\n")}
    hosts:
${Object.entries(options.hosts)
  .map(([n, h]) => `      ${n}: { address: ${h.address}, ssh: { port: ${h.port}, user: ${os.userInfo().username} } }`)
  .join("\n")}
`;
  const inventory = parseInventory(yaml, { inventoryFile: path.join(dir, "inventory.yaml"), ssh: { privateKeyFile: tb.privateKeyPath, knownHostsFile: knownHosts } });
  const harness = createHarness(options.name, undefined, tb.redisUrl, { inventory, ...(options.pool !== undefined ? { pool: options.pool } : {}) });
  try {
    await harness.startWorker();
  } catch (err) {
    await harness.close();
    throw err;
  }
  const { engine, pool } = harness;
  return {
    engine,
    pool,
    dir,
    connected: (name) => {
      const key = sshTargetKey(sshTargetFor(inventory, { cluster: "c1", host: name }));
      return pool.stats().hosts.some((h) => h.key === key && h.connected);
    },
    async close() {
      await harness.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `done` holds or `timeoutMs` passes; the last record either way (undefined only for an unknown run). */
export async function pollRun(engine: EngineHandle, runId: string, done: (run: RunRecord) => boolean, timeoutMs: number): Promise<{ run: RunRecord | undefined; met: boolean; at: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await engine.get(runId);
    const at = Date.now();
    if (run !== undefined && done(run)) return { run, met: true, at };
    if (at > deadline) return { run, met: false, at };
    await new Promise((r) => setTimeout(r, 20));
  }
}
