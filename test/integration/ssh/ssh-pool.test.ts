import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SshConnectionError, SshPool, SshPoolClosedError, type SshTarget } from "../../../src/ssh";
import { freePort } from "../../../sim/process/free-port";
import { createSshIdentity, startSshd, type SshdHandle } from "../../../sim/ssh/sshd";
import { getTestbed } from "../../helpers/testbed";
import { eventuallyTrue } from "../../helpers/eventually";
import { testbedTargets } from "./targets";

jest.setTimeout(30_000);

/** Local ports of this process's TCP sockets, from /proc. */
function ownTcpPorts(): number[] {
  const inodes = new Set(
    fs.readdirSync("/proc/self/fd").flatMap((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`));
        return m !== null ? [m[1]!] : [];
      } catch {
        return [];
      }
    }),
  );
  return fs
    .readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length > 9 && inodes.has(f[9]!))
    .map((f) => parseInt(f[1]!.split(":")[1]!, 16));
}

describe("the SSH pool", () => {
  const testbed = getTestbed();
  const [host2, host3] = testbedTargets();
  let pool: SshPool;
  afterEach(async () => {
    await pool.close();
  });

  it("runs 100 sequential execs over one connection (same client port seen by sshd)", async () => {
    pool = new SshPool();
    const sources = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const result = await pool.exec(host2!, 'echo "$SSH_CONNECTION"', { timeoutMs: 10_000 });
      if (result.code !== 0) console.log(i, result);
      expect(result.code).toBe(0);
      sources.add(result.stdout.trim().split(" ").slice(0, 2).join(" "));
    }
    expect(sources.size).toBe(1);
    expect(pool.stats()).toMatchObject({ connectsTotal: 1, openConnections: 1, busyChannels: 0, queued: 0 });
  });

  it("runs 50 concurrent execs on one host despite sshd's MaxSessions 10, queueing beyond 8 channels", async () => {
    pool = new SshPool();
    let maxBusy = 0;
    let maxQueued = 0;
    const execs = Array.from({ length: 50 }, (_, i) =>
      pool.exec(host2!, `sleep 0.05; echo ${i}`, { timeoutMs: 30_000 }).then((r) => {
        const s = pool.stats();
        maxBusy = Math.max(maxBusy, s.busyChannels);
        maxQueued = Math.max(maxQueued, s.queued);
        return r;
      }),
    );
    const atStart = pool.stats();
    expect(atStart.busyChannels).toBe(8);
    expect(atStart.queued).toBe(42);
    const results = await Promise.all(execs);
    expect(results.map((r) => r.code)).toEqual(Array(50).fill(0));
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 50 }, (_, i) => `${i}\n`));
    expect(maxBusy).toBeLessThanOrEqual(8);
    expect(pool.stats()).toMatchObject({ connectsTotal: 1, busyChannels: 0, queued: 0 });
  });

  it("serves queued execs in FIFO order", async () => {
    pool = new SshPool({ channelsPerHost: 1 });
    const order: number[] = [];
    await Promise.all(Array.from({ length: 6 }, (_, i) => pool.exec(host2!, "true", { timeoutMs: 10_000 }).then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("shares one connect among concurrent first callers, one connection per host", async () => {
    pool = new SshPool();
    await Promise.all([host2, host3, host2, host3, host2].map((t) => pool.exec(t!, "true", { timeoutMs: 10_000 })));
    expect(pool.stats()).toMatchObject({ connectsTotal: 2, openConnections: 2 });
  });

  it("closes idle connections and reconnects on the next exec", async () => {
    pool = new SshPool({ idleTimeoutMs: 100 });
    await pool.exec(host2!, "true", { timeoutMs: 10_000 });
    expect(pool.stats().openConnections).toBe(1);
    await eventuallyTrue("the idle connection to close", () => pool.stats().openConnections === 0);
    await pool.exec(host2!, "true", { timeoutMs: 10_000 });
    expect(pool.stats()).toMatchObject({ openConnections: 1, connectsTotal: 2 });
  });

  it("fails with a retryable SshConnectionError on a port where nothing listens", async () => {
    pool = new SshPool();
    const dead: SshTarget = { ...host2!, port: await freePort("127.0.0.2") };
    const error: unknown = await pool.exec(dead, "true", { timeoutMs: 5000 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SshConnectionError);
    expect(error).toMatchObject({ host: "127.0.0.2", port: dead.port, phase: "connect", retryable: true });
    expect((error as Error).message).toContain(`127.0.0.2:${dead.port}`);
  });

  it("rejects queued execs when closed and refuses new ones", async () => {
    pool = new SshPool({ channelsPerHost: 1 });
    let started!: () => void;
    const hasStarted = new Promise<void>((resolve) => (started = resolve));
    const running = pool.exec(host2!, "echo started; sleep 5", { timeoutMs: 10_000, onStdout: () => started() });
    const queued = pool.exec(host2!, "true", { timeoutMs: 10_000 });
    await hasStarted;
    expect(pool.stats().queued).toBe(1);
    const closing = pool.close();
    await expect(queued).rejects.toBeInstanceOf(SshPoolClosedError);
    await expect(running).rejects.toBeInstanceOf(SshConnectionError);
    await closing;
    await expect(pool.exec(host2!, "true", { timeoutMs: 1000 })).rejects.toBeInstanceOf(SshPoolClosedError);
  });

  it("tunnels through a bastion host", async () => {
    pool = new SshPool();
    const viaBastion: SshTarget = { ...host3!, bastion: host2! };
    const result = await pool.exec(viaBastion, 'echo "$SSH_CONNECTION"', { timeoutMs: 10_000 });
    const [, clientPort, serverAddress] = result.stdout.trim().split(" ");
    expect(serverAddress).toBe("127.0.0.3");
    // host3's sshd sees a TCP connection that host2's sshd made, not one of this process's sockets.
    expect(ownTcpPorts()).not.toContain(Number(clientPort));
    expect(pool.stats()).toMatchObject({ connectsTotal: 2, openConnections: 2 });
    const keys = pool.stats().hosts.map((h) => h.key);
    expect(keys).toContain(`${host3!.username}@127.0.0.3:${host3!.port} via ${host2!.username}@127.0.0.2:${host2!.port}`);
  });

  describe("with a host whose sshd goes away", () => {
    let sshd: SshdHandle;
    let dir: string;
    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-ssh-drop-"));
      const identity = createSshIdentity(path.dirname(testbed.privateKeyPath));
      sshd = await startSshd({ address: "127.0.0.5", identity, dir });
    });
    afterEach(async () => {
      await sshd.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    function ownTarget(handle: SshdHandle): SshTarget {
      const knownHostsPath = path.join(dir, "known_hosts");
      fs.writeFileSync(knownHostsPath, `${handle.knownHostsLine}\n`);
      return { host: handle.address, port: handle.port, username: handle.username, privateKeyPath: testbed.privateKeyPath, knownHostsPath, connectTimeoutMs: 3000 };
    }

    it("loses a running command as a retryable error, then reconnects when the host is back", async () => {
      pool = new SshPool();
      const target = ownTarget(sshd);
      expect((await pool.exec(target, "echo up", { timeoutMs: 5000 })).stdout).toBe("up\n");
      // The per-connection sshd process is the parent of our session's shell: end it by pid to drop the connection.
      let out = "";
      const running = pool.exec(target, "echo $PPID $$; exec sleep 30", {
        timeoutMs: 60_000,
        onStdout: (text) => {
          out += text;
          if (!out.endsWith("\n")) return;
          const pid = Number(out.split(" ")[0]);
          expect(fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim()).toBe("sshd");
          expect(fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[3]).toBe(String(sshd.pid()));
          process.kill(pid, "SIGKILL");
        },
      });
      const error: unknown = await running.catch((err: unknown) => err);
      expect(error).toBeInstanceOf(SshConnectionError);
      expect(error).toMatchObject({ phase: "running", retryable: true });
      expect(pool.stats().openConnections).toBe(0);
      const again = await pool.exec(target, "echo again", { timeoutMs: 5000 });
      expect(again.stdout).toBe("again\n");
      expect(pool.stats().connectsTotal).toBe(2);
      // The orphaned `sleep` outlives its connection (sshd does not end no-pty sessions): end it, by its group.
      process.kill(-Number(out.trim().split(" ")[1]), "SIGKILL");
    });

    it("reports a stopped sshd as SshConnectionError and reconnects to it once it is back on the same port", async () => {
      pool = new SshPool({ idleTimeoutMs: 60_000 });
      const target = ownTarget(sshd);
      await pool.exec(target, "true", { timeoutMs: 5000 });
      await sshd.stop();
      // sshd -D keeps established sessions; only new connections fail. Kill ours by closing the pool's connection.
      await pool.close();
      pool = new SshPool();
      await expect(pool.exec(target, "true", { timeoutMs: 5000 })).rejects.toBeInstanceOf(SshConnectionError);
      sshd = await startSshd({ address: "127.0.0.5", identity: createSshIdentity(path.dirname(testbed.privateKeyPath)), dir });
      const restarted = ownTarget(sshd);
      expect((await pool.exec(restarted, "echo back", { timeoutMs: 5000 })).stdout).toBe("back\n");
    });
  });
});
