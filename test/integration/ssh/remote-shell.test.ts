import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SshConnectionError, SshPool, type SshTarget } from "../../../src/ssh";
import { shellQuote } from "../../../src/util/shell-quote";
import { createSshIdentity, startSshd, type SshdHandle } from "../../../sim/ssh/sshd";
import { getTestbed } from "../../helpers/testbed";
import { isLive, liveProcessesInGroup, testbedTargets } from "./targets";

/** pid, parent pid and process group of the command's own shell, as the host's /proc tells them. */
const WHO_AM_I = 'read -r l < /proc/$BASHPID/stat; set -- ${l##*) }; echo "$BASHPID $2 $3"';

function who(stdout: string): { pid: number; ppid: number; pgrp: number } {
  const [pid, ppid, pgrp] = stdout.trim().split(" ").map(Number);
  return { pid: pid!, ppid: ppid!, pgrp: pgrp! };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
}

describe("commands in a long-lived remote shell", () => {
  const [host2] = testbedTargets();
  let pool: SshPool;
  let dir: string;
  beforeEach(() => {
    pool = new SshPool();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-ssh-shell-"));
  });
  afterEach(async () => {
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("runs sequential commands in one shell, each in a process of its own that leads its own process group", async () => {
    const seen = [];
    for (let i = 0; i < 20; i++) seen.push(who((await pool.exec(host2!, WHO_AM_I, { timeoutMs: 10_000 })).stdout));
    expect(new Set(seen.map((s) => s.pid)).size).toBe(20);
    expect(seen.every((s) => s.pgrp === s.pid)).toBe(true);
    expect(new Set(seen.map((s) => s.ppid)).size).toBe(1);
    expect(pool.stats()).toMatchObject({ connectsTotal: 1, shellsOpened: 1, shellCommands: 20, idleShells: 1, busyChannels: 0 });
  });

  it("keeps one command's directory, variables, umask, limits and aliases from the next", async () => {
    const probe = 'pwd; echo "${IV_PROBE-unset}"; umask; ulimit -n; type ll 2>&1 | head -1; echo "$#"';
    const before = await pool.exec(host2!, probe, { timeoutMs: 10_000 });
    const change = await pool.exec(host2!, "cd /; export IV_PROBE=1; umask 077; ulimit -n 64; alias ll=ls; set -- a b; trap 'echo bye' EXIT", { timeoutMs: 10_000 });
    expect(change).toMatchObject({ code: 0, stdout: "bye\n" });
    const after = await pool.exec(host2!, probe, { timeoutMs: 10_000 });
    expect(after.stdout).toBe(before.stdout);
    expect(before.stdout).toContain("unset\n");
    expect(pool.stats().shellsOpened).toBe(1);
  });

  it("keeps a syntax error to its own command", async () => {
    const broken = await pool.exec(host2!, 'echo "unbalanced', { timeoutMs: 10_000 });
    expect(broken.code).toBe(2);
    expect(broken.stdout).toBe("");
    expect(broken.stderr).toMatch(/unexpected EOF/);
    expect(await pool.exec(host2!, "echo fine", { timeoutMs: 10_000 })).toMatchObject({ code: 0, stdout: "fine\n", stderr: "" });
    expect(pool.stats().shellsOpened).toBe(1);
  });

  it("passes output that looks like the shell's markers through untouched, with or without a final newline", async () => {
    const fake = "printf '\\036intervene-shell:ready\\n\\036abc:e=0:0\\nx\\036'; printf '\\036abc:p=1\\n\\036abc:e\\n' >&2";
    const result = await pool.exec(host2!, fake, { timeoutMs: 10_000 });
    expect(result).toMatchObject({ code: 0, stdout: "\u001eintervene-shell:ready\n\u001eabc:e=0:0\nx\u001e", stderr: "\u001eabc:p=1\n\u001eabc:e\n" });
    expect(await pool.exec(host2!, "printf abc; printf def >&2; exit 7", { timeoutMs: 10_000 })).toMatchObject({ code: 7, stdout: "abc", stderr: "def" });
    // The command cannot read the token that marks its end.
    expect((await pool.exec(host2!, 'echo "${__iv_m-none} ${__iv_c-none} $(type -t __iv || echo none)"', { timeoutMs: 10_000 })).stdout).toBe("none none none\n");
  });

  it("retires a shell whose command left a process behind, so its late output reaches no other command", async () => {
    const left = await pool.exec(host2!, "(sleep 0.5; echo late; echo late >&2) & echo $!", { timeoutMs: 10_000 });
    expect(left.code).toBe(0);
    expect(left.stdout).toMatch(/^\d+\n$/);
    const next = await pool.exec(host2!, "sleep 1; echo next", { timeoutMs: 10_000 });
    expect(next).toMatchObject({ code: 0, stdout: "next\n", stderr: "" });
    expect(pool.stats().shellsOpened).toBe(2);
    await until(() => !isLive(Number(left.stdout.trim())));
    expect(isLive(Number(left.stdout.trim()))).toBe(false);
  });

  it("kills the command's whole process group on timeout and on abort, and the next command runs", async () => {
    const file = (name: string): string => shellQuote(path.join(dir, name));
    const tree = (tag: string): string =>
      [
        `echo $BASHPID > ${file(`${tag}.pid`)}`,
        `sh -c ${shellQuote("exec sleep 300")} &`,
        `sh -c ${shellQuote("trap '' TERM; while :; do sleep 1; done")} &`,
        "echo started",
        "sleep 300",
      ].join("\n");
    const timedOut = await pool.exec(host2!, tree("timeout"), { timeoutMs: 800, killGraceMs: 300 });
    expect(timedOut).toMatchObject({ timedOut: true, aborted: false, code: null, cleanup: "killed", stdout: "started\n" });
    expect(timedOut.signal).toMatch(/^SIG(TERM|KILL)$/);
    expect(liveProcessesInGroup(Number(fs.readFileSync(path.join(dir, "timeout.pid"), "utf8")))).toEqual([]);

    const controller = new AbortController();
    const running = pool.exec(host2!, tree("abort"), { timeoutMs: 60_000, signal: controller.signal, killGraceMs: 300 });
    await until(() => fs.existsSync(path.join(dir, "abort.pid")));
    controller.abort();
    expect(await running).toMatchObject({ aborted: true, timedOut: false, code: null, cleanup: "killed" });
    expect(liveProcessesInGroup(Number(fs.readFileSync(path.join(dir, "abort.pid"), "utf8")))).toEqual([]);
    expect(await pool.exec(host2!, "echo after", { timeoutMs: 10_000 })).toMatchObject({ code: 0, stdout: "after\n" });
  });

  it("a shell that died while idle is replaced, and the command runs once", async () => {
    const first = who((await pool.exec(host2!, WHO_AM_I, { timeoutMs: 10_000 })).stdout);
    // The long-lived shell is the parent of every command's subshell; it was started by the test bed's sshd for this pool.
    process.kill(first.ppid, "SIGKILL");
    const counter = path.join(dir, "runs");
    const again = await pool.exec(host2!, `echo x >> ${shellQuote(counter)}; ${WHO_AM_I}`, { timeoutMs: 10_000 });
    expect(again.code).toBe(0);
    expect(who(again.stdout).ppid).not.toBe(first.ppid);
    expect(fs.readFileSync(counter, "utf8")).toBe("x\n");
    expect((await pool.exec(host2!, "echo ok", { timeoutMs: 10_000 })).stdout).toBe("ok\n");
  });

  it("a shell that dies while its command runs fails that command as lost, and does not run it again", async () => {
    const counter = path.join(dir, "runs");
    // The command's parent is the long-lived shell: it kills it, then goes on as an orphan that still holds the output.
    const command = `echo x >> ${shellQuote(counter)}; read -r l < /proc/$BASHPID/stat; set -- \${l##*) }; kill -KILL "$2"; sleep 0.2; echo after`;
    const error: unknown = await pool.exec(host2!, command, { timeoutMs: 10_000 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SshConnectionError);
    expect(error).toMatchObject({ phase: "running", retryable: true, message: expect.stringContaining("the remote shell ended (SIGKILL) while the command ran") as unknown });
    expect(fs.readFileSync(counter, "utf8")).toBe("x\n");
    expect((await pool.exec(host2!, "echo ok", { timeoutMs: 10_000 })).stdout).toBe("ok\n");
    expect(pool.stats().shellsOpened).toBe(2);
  });

  it("with remoteShells off, every command has a session of its own, led by its shell", async () => {
    await pool.close();
    pool = new SshPool({ remoteShells: false });
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push(who((await pool.exec(host2!, WHO_AM_I, { timeoutMs: 10_000 })).stdout));
    // sshd forks each exec's shell and makes it the leader of its own group (session.c, setsid).
    expect(seen.every((s) => s.pgrp === s.pid)).toBe(true);
    expect(new Set(seen.map((s) => s.pid)).size).toBe(3);
    expect(seen.map((s) => fs.readFileSync(`/proc/${s.ppid}/comm`, "utf8").trim())).toEqual(["sshd", "sshd", "sshd"]);
    expect(pool.stats()).toMatchObject({ shellsOpened: 0, shellCommands: 0, idleShells: 0 });
  });

  it("still uses an exec channel for input, `$$` and long commands", async () => {
    expect(await pool.exec(host2!, "cat", { timeoutMs: 10_000, stdin: "in" })).toMatchObject({ stdout: "in" });
    const own = await pool.exec(host2!, 'echo $$; read -r l < /proc/$$/stat; set -- ${l##*) }; echo "$3"', { timeoutMs: 10_000 });
    const [shellPid, group] = own.stdout.trim().split("\n");
    expect(shellPid).toBe(group);
    expect((await pool.exec(host2!, `: ${"x".repeat(9000)}; echo long`, { timeoutMs: 10_000 })).stdout).toBe("long\n");
    expect(pool.stats()).toMatchObject({ shellsOpened: 0, shellCommands: 0 });
  });
});

describe("on hosts of their own", () => {
  let dir: string;
  let sshd: SshdHandle | undefined;
  let pool: SshPool | undefined;
  const testbed = getTestbed();
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-ssh-shell-own-"));
  });
  afterEach(async () => {
    await pool?.close();
    await sshd?.stop();
    pool = undefined;
    sshd = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function ownHost(extraConfig: string[] = []): Promise<SshTarget> {
    sshd = await startSshd({ address: "127.0.0.6", identity: createSshIdentity(path.dirname(testbed.privateKeyPath)), dir, extraConfig });
    const knownHostsPath = path.join(dir, "known_hosts");
    fs.writeFileSync(knownHostsPath, `${sshd.knownHostsLine}\n`);
    return { host: sshd.address, port: sshd.port, username: sshd.username, privateKeyPath: testbed.privateKeyPath, knownHostsPath, connectTimeoutMs: 3000 };
  }

  it("falls back to an exec channel per command where the login shell is not bash", async () => {
    // ForceCommand runs every session's command under dash: a host whose login shell is a POSIX sh.
    const target = await ownHost(['ForceCommand exec /bin/dash -c "$SSH_ORIGINAL_COMMAND"']);
    pool = new SshPool();
    for (let i = 0; i < 3; i++) expect(await pool.exec(target, 'echo "${BASH_VERSION-dash}"', { timeoutMs: 10_000 })).toMatchObject({ code: 0, stdout: "dash\n" });
    expect(pool.stats()).toMatchObject({ shellsOpened: 1, shellCommands: 1 });
    const stopped = await pool.exec(target, "echo started; sleep 300", { timeoutMs: 500, killGraceMs: 200 });
    expect(stopped).toMatchObject({ timedOut: true, cleanup: "killed" });
  });

  it("loses a command whose connection drops as a retryable error, then reconnects", async () => {
    const target = await ownHost();
    pool = new SshPool();
    let out = "";
    const running = pool.exec(target, 'echo "$PPID $BASHPID"; exec sleep 30', {
      timeoutMs: 60_000,
      onStdout: (text) => {
        out += text;
        if (!out.endsWith("\n")) return;
        // The per-connection sshd process is the parent of the long-lived shell: end it by pid to drop the connection.
        const sshdSession = Number(out.split(" ")[0]);
        expect(fs.readFileSync(`/proc/${sshdSession}/stat`, "utf8").split(" ")[3]).toBe(String(sshd!.pid()));
        process.kill(sshdSession, "SIGKILL");
      },
    });
    const error: unknown = await running.catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SshConnectionError);
    expect(error).toMatchObject({ phase: "running", retryable: true });
    expect((await pool.exec(target, "echo again", { timeoutMs: 5000 })).stdout).toBe("again\n");
    expect(pool.stats()).toMatchObject({ connectsTotal: 2, shellsOpened: 2 });
    // The orphaned `sleep` outlives its connection (sshd does not end no-pty sessions): end it, by its group.
    process.kill(-Number(out.trim().split(" ")[1]), "SIGKILL");
  });
});
