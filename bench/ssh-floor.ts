/**
 * `npm run bench:ssh-floor`: what one command costs on the SSH side, which
 * bounds every ratio of issue 13 that is taken against a raw exec.
 *
 * On one simulated host (a real sshd on 127.0.0.9) it runs commands one at a
 * time, in alternating blocks, in two ways:
 * - an exec channel per command on an open connection, as the engine and the
 *   bench's raw baseline both do;
 * - one long-lived `sh` on a single channel of the same connection, each
 *   command in a subshell, its end told by a marker line.
 * For each it reports the CPU of the sshd's whole process tree per command
 * (its connection process, the session it forks and the shell that runs the
 * command, from /proc) and the median latency. It changes nothing in the
 * product: it measures what an executor that kept sessions open would save,
 * to weigh against what that would cost (see the README's Performance
 * section).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { Client, ClientChannel } from "ssh2";
import { connectSshClient } from "../src/ssh/connect-ssh-client";
import { createSshIdentity, sshLoginUser, startSshd } from "../sim/ssh/sshd";
import { treeCpuTimes } from "./cpu-meter";
import { execOnce } from "./raw-ssh-pool";
import { median } from "./stats";

const BLOCK = 150;
const ROUNDS = 6;

/** A shell on one channel that runs one command at a time, each in a subshell reading /dev/null. */
async function longLivedShell(client: Client): Promise<{ run(command: string): Promise<number>; end(): void }> {
  const channel: ClientChannel = await new Promise((resolve, reject) => client.exec("exec sh", (err, ch) => (err ? reject(err) : resolve(ch))));
  channel.stderr.resume();
  let text = "";
  let waiting: ((code: number) => void) | undefined;
  channel.on("data", (chunk: Buffer) => {
    text += chunk.toString("latin1");
    const m = /\u001edone (\d+)\n/.exec(text);
    if (m === null || waiting === undefined) return;
    text = "";
    const resolve = waiting;
    waiting = undefined;
    resolve(Number(m[1]));
  });
  return {
    run: (command) =>
      new Promise((resolve) => {
        waiting = resolve;
        channel.write(`(${command}) </dev/null; printf '\\036done %s\\n' "$?"\n`);
      }),
    end: () => channel.end(),
  };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-ssh-floor-"));
  const identity = createSshIdentity(dir);
  const sshd = await startSshd({ address: "127.0.0.9", identity, dir: path.join(dir, "sshd") });
  const knownHostsPath = path.join(dir, "known_hosts");
  fs.writeFileSync(knownHostsPath, `${sshd.knownHostsLine}\n`);
  const ssh = await connectSshClient({ host: sshd.address, port: sshd.port, username: sshLoginUser(), privateKeyPath: identity.privateKeyPath, knownHostsPath });
  const shell = await longLivedShell(ssh.connection);
  const ways: Record<string, (command: string) => Promise<unknown>> = {
    "exec channel per command": (c) => execOnce(ssh.connection, c),
    "one long-lived shell": (c) => shell.run(c),
  };
  const commands = { "true (a builtin)": "true", "/bin/true (a program)": "/bin/true" };
  const results: string[] = [];
  try {
    for (const [what, command] of Object.entries(commands)) {
      const spent = new Map<string, { cpu: number; count: number; latencies: number[] }>();
      for (const run of Object.values(ways)) for (let i = 0; i < 20; i++) await run(command);
      for (let round = 0; round < ROUNDS; round++) {
        for (const [way, run] of Object.entries(ways)) {
          const entry = spent.get(way) ?? { cpu: 0, count: 0, latencies: [] };
          spent.set(way, entry);
          const before = treeCpuTimes([sshd.pid()!]);
          for (let i = 0; i < BLOCK; i++) {
            const t = performance.now();
            await run(command);
            entry.latencies.push(performance.now() - t);
          }
          const after = treeCpuTimes([sshd.pid()!]);
          entry.cpu += after.user + after.system - before.user - before.system;
          entry.count += BLOCK;
        }
      }
      for (const [way, e] of spent) results.push(`${what.padEnd(22)} ${way.padEnd(26)} sshd tree CPU ${(e.cpu / e.count).toFixed(2)} ms/command, median latency ${median(e.latencies).toFixed(2)} ms`);
    }
  } finally {
    shell.end();
    ssh.dispose();
    await sshd.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${results.join("\n")}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
