import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SshConnectionError, SshPool, type SshTarget } from "../../../src/ssh";
import { startStallingProxy, type StallingProxy } from "../../../sim/ssh/stalling-proxy";
import { getTestbed } from "../../helpers/testbed";

// Without the fixes each of these waits forever (or for ssh2's keepalive, set to an hour here): the timeout fails them.
jest.setTimeout(20_000);

/**
 * Issue 15, "a host that accepts TCP but never answers": a loopback proxy in
 * front of a test-bed sshd that accepts and then stops answering, closing
 * nothing. Found by chaos/ssh-faults.chaos.ts; real sshd, real ssh2.
 */
describe("a host that accepts TCP but never answers", () => {
  const testbed = getTestbed();
  const backend = testbed.hosts[0]!;
  let dir: string;
  let proxy: StallingProxy | undefined;
  let pool: SshPool | undefined;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-unanswering-"));
  });
  afterEach(async () => {
    await pool?.close();
    await proxy?.close();
    pool = undefined;
    proxy = undefined;
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The proxy pinned with the backend's host key: it is the same sshd, reached through the proxy's address. */
  async function targetVia(stalled: boolean): Promise<SshTarget> {
    proxy = await startStallingProxy({ address: "127.0.0.71", target: { host: backend.address, port: backend.port }, stalled });
    const knownHostsPath = path.join(dir, `known_hosts-${proxy.port}`);
    fs.writeFileSync(knownHostsPath, `[${proxy.address}]:${proxy.port} ${backend.hostPublicKey}\n`);
    return { host: proxy.address, port: proxy.port, username: backend.username, privateKeyPath: testbed.privateKeyPath, knownHostsPath, hostLabel: "quiet", connectTimeoutMs: 500 };
  }

  it("no SSH banner: a connect error naming the host, and the timed-out handshake throws nothing afterwards", async () => {
    pool = new SshPool();
    const target = await targetVia(true);
    const error: unknown = await pool.exec(target, "true", { timeoutMs: 5000 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SshConnectionError);
    expect(error).toMatchObject({ phase: "connect", host: "127.0.0.71", port: target.port });
    expect((error as Error).message).toBe(`cannot connect to quiet (127.0.0.71:${target.port}): Timed out while waiting for handshake`);
    // ssh2 emits one more 'error' ("Connection lost before handshake") as the socket closes; unheard, it would be an uncaught exception failing this test.
    await new Promise((r) => setTimeout(r, 100));
  });

  it("stalled mid-command: the timeout ends the command although the kill cannot land, and the dead connection leaves the pool", async () => {
    pool = new SshPool({ keepaliveIntervalMs: 3_600_000 });
    const target = await targetVia(false);
    const result = await pool.exec(target, "echo started; sleep 3", {
      timeoutMs: 500,
      onStdout: () => proxy!.stall(),
    });
    expect(result).toMatchObject({ timedOut: true, cleanup: "kill-failed", code: null });
    expect(pool.stats().openConnections).toBe(0);
    proxy!.heal();
    expect((await pool.exec(target, "echo again", { timeoutMs: 5000 })).stdout).toBe("again\n");
    expect(pool.stats().connectsTotal).toBe(2);
  });

  // Found as a CI failure of test/integration/jobs/unanswering-host.test.ts under load: its stall came while
  // the group's report was still in the proxy, and the step stayed running until the keepalive. In a remote
  // shell only: on an exec channel the command's bytes go with the channel's open, which has its own bound (below).
  it("stalled before the command's process group was reported (in a remote shell): the timeout ends the command, said as possibly still running, and the dead connection leaves the pool", async () => {
    pool = new SshPool({ keepaliveIntervalMs: 3_600_000 });
    const target = await targetVia(false);
    // Connected, and (in shell mode) a shell open and idle: the stall below is the command's own.
    expect((await pool.exec(target, "true", { timeoutMs: 5000 })).code).toBe(0);
    const running = pool.exec(target, "sleep 3", { timeoutMs: 300 });
    // Before the proxy has read the command's bytes: the host never gets it, so no group is ever reported.
    proxy!.stall();
    const result = await running;
    expect(result).toMatchObject({ timedOut: true, cleanup: "kill-failed", code: null });
    expect(pool.stats().openConnections).toBe(0);
    proxy!.heal();
    expect((await pool.exec(target, "echo again", { timeoutMs: 5000 })).stdout).toBe("again\n");
  });

  // Before: the command's channel open waited for ssh2's keepalive (an hour here), its timeout not yet started.
  it("stalled as a command's exec channel opens: the open's bound ends it, said as possibly started, never sent again on a new connection", async () => {
    pool = new SshPool({ keepaliveIntervalMs: 3_600_000, remoteShells: false });
    const target = await targetVia(false);
    expect((await pool.exec(target, "true", { timeoutMs: 5000 })).code).toBe(0);
    const marker = path.join(dir, "exec-runs");
    const running = pool.exec(target, `echo ran >> ${marker}`, { timeoutMs: 5000 }).catch((err: unknown) => err);
    // In the tick of the open: its request never reaches the host.
    proxy!.stall();
    const error = await running;
    expect(error).toBeInstanceOf(SshConnectionError);
    expect(error).toMatchObject({ phase: "running" });
    expect((error as Error).message).toBe(`connection lost while a command ran on quiet (127.0.0.71:${target.port}): no answer within 500 ms to the command's channel; it may have started`);
    expect(pool.stats().openConnections).toBe(0);
    // Not tried on a second connection: the proxy saw none (a reconnect would have opened one, stalled or not).
    expect(proxy!.acceptedAt).toHaveLength(1);
    expect(fs.existsSync(marker)).toBe(false);
    proxy!.heal();
    expect((await pool.exec(target, "echo again", { timeoutMs: 5000 })).stdout).toBe("again\n");
  });

  it("stalled as a new remote shell opens: the open's bound drops the connection, and the reconnect's failure says the command never started", async () => {
    pool = new SshPool({ keepaliveIntervalMs: 3_600_000 });
    const target = await targetVia(false);
    // Connected without a shell: a command with input takes an exec channel.
    expect((await pool.exec(target, "cat", { timeoutMs: 5000, stdin: "x" })).stdout).toBe("x");
    expect(pool.stats().shellsOpened).toBe(0);
    const running = pool.exec(target, "true", { timeoutMs: 5000 }).catch((err: unknown) => err);
    proxy!.stall();
    const error = await running;
    expect(error).toBeInstanceOf(SshConnectionError);
    expect(error).toMatchObject({ phase: "connect" });
    expect(pool.stats().openConnections).toBe(0);
    proxy!.heal();
    expect((await pool.exec(target, "echo again", { timeoutMs: 5000 })).stdout).toBe("again\n");
  });

  it("close() ends a pooled connection whose peer stopped answering", async () => {
    pool = new SshPool({ keepaliveIntervalMs: 3_600_000 });
    const target = await targetVia(false);
    await pool.exec(target, "true", { timeoutMs: 5000 });
    proxy!.stall();
    await pool.close();
    expect(pool.stats().openConnections).toBe(0);
  });
});
