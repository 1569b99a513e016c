/**
 * Latency of `true` over SSH, on a private sshd: a pooled connection (the
 * executor's hot path) vs connect+exec+dispose vs OpenSSH as a process.
 *   npx ts-node --transpile-only bench/ssh-exec-latency.ts
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { SshPool, type SshTarget } from "../src/ssh";
import { createSshIdentity, startSshd } from "../sim/ssh/sshd";

const run = promisify(execFile);

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return `median ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms (n=${samples.length})`;
}

async function time(n: number, once: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await once();
    samples.push(performance.now() - start);
  }
  return samples;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-bench-ssh-"));
  const identity = createSshIdentity(dir);
  const sshd = await startSshd({ address: "127.0.0.9", identity, dir: path.join(dir, "host") });
  try {
    const knownHostsPath = path.join(dir, "known_hosts");
    fs.writeFileSync(knownHostsPath, `${sshd.knownHostsLine}\n`);
    const sshConfig = path.join(dir, "ssh_config");
    fs.writeFileSync(
      sshConfig,
      [`Host *`, `  IdentityFile ${identity.privateKeyPath}`, "  IdentitiesOnly yes", `  UserKnownHostsFile ${knownHostsPath}`, "  GlobalKnownHostsFile /dev/null", "  StrictHostKeyChecking yes", "  BatchMode yes", "  LogLevel ERROR", ""].join("\n"),
    );
    const target: SshTarget = { host: sshd.address, port: sshd.port, username: sshd.username, privateKeyPath: identity.privateKeyPath, knownHostsPath };
    const check = async (p: Promise<{ code: number | null }>): Promise<void> => {
      const r = await p;
      if (r.code !== 0) throw new Error(`exec failed with ${r.code}`);
    };

    const pool = new SshPool();
    await time(20, () => check(pool.exec(target, "true", { timeoutMs: 10_000 })));
    const pooled = await time(500, () => check(pool.exec(target, "true", { timeoutMs: 10_000 })));
    const concurrentStart = performance.now();
    await Promise.all(Array.from({ length: 200 }, () => check(pool.exec(target, "true", { timeoutMs: 30_000 }))));
    const concurrentMs = performance.now() - concurrentStart;
    const connectsPooled = pool.stats().connectsTotal;
    await pool.close();

    const fresh = await time(50, async () => {
      const once = new SshPool();
      try {
        await check(once.exec(target, "true", { timeoutMs: 10_000 }));
      } finally {
        await once.close();
      }
    });

    const openssh = await time(20, () => run("ssh", ["-F", sshConfig, "-p", String(sshd.port), `${sshd.username}@${sshd.address}`, "true"]));

    console.log(`exec true, pooled connection (setNoDelay): ${summary(pooled)}; ${connectsPooled} connection(s) for all pooled execs`);
    console.log(`200 concurrent execs on one pooled host: ${concurrentMs.toFixed(0)} ms total (${(concurrentMs / 200).toFixed(2)} ms each)`);
    console.log(`connect + exec + dispose:                  ${summary(fresh)}`);
    console.log(`OpenSSH \`ssh host true\` as a process:      ${summary(openssh)}`);
  } finally {
    await sshd.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
