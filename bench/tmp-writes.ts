import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createSshIdentity, startSshd } from "../sim/ssh/sshd";
import { SshPool } from "../src/ssh";
import { RawSshPool } from "./raw-ssh-pool";

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-writes-"));
  const identity = createSshIdentity(dir);
  const sshd = await startSshd({ address: "127.0.0.40", identity, dir: path.join(dir, "h") });
  const kh = path.join(dir, "known_hosts");
  fs.writeFileSync(kh, `${sshd.knownHostsLine}\n`);
  const target = { host: sshd.address, port: sshd.port, username: sshd.username, privateKeyPath: identity.privateKeyPath, knownHostsPath: kh };
  let writes = 0;
  const orig = net.Socket.prototype.write;
  net.Socket.prototype.write = function (this: net.Socket, ...a: unknown[]) { writes++; return (orig as (...x: unknown[]) => boolean).apply(this, a); } as typeof orig;
  const raw = new RawSshPool();
  await raw.open([target]);
  const pool = new SshPool();
  for (let i = 0; i < 20; i++) { await raw.exec(target, "true"); await pool.exec(target, "true", { timeoutMs: 10000 }); }
  const N = 200;
  for (const [name, f] of [["raw", () => raw.exec(target, "true")], ["pool", () => pool.exec(target, "export INTERVENE_STEP_KEY='x'; true", { timeoutMs: 10000, onStdout: () => undefined, onStderr: () => undefined, maxOutputBytes: 1 << 20 })]] as const) {
    writes = 0;
    const c0 = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < N; i++) await (f as () => Promise<unknown>)();
    const cpu = process.cpuUsage(c0);
    console.log(name, "writes/exec", writes / N, "ms/exec", ((performance.now() - t) / N).toFixed(3), "cpu ms/exec", ((cpu.user + cpu.system) / 1000 / N).toFixed(3));
  }
  raw.close();
  await pool.close();
  await sshd.stop();
}
void main();
