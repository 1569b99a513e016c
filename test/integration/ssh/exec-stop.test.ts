import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SshPool } from "../../../src/ssh";
import { shellJoin, shellQuote } from "../../../src/util/shell-quote";
import { createSshIdentity, startSshd, type SshdHandle } from "../../../sim/ssh/sshd";
import { getTestbed } from "../../helpers/testbed";
import { isLive, liveProcessesInGroup, testbedTargets } from "./targets";

/**
 * A command that leaves a tree behind if only its channel is closed: a
 * background child, a grandchild that ignores TERM, then a long sleep. Each
 * writes its pid and process group to files the test reads from /proc.
 */
function treeCommand(dir: string): string {
  const file = (name: string): string => shellQuote(path.join(dir, name));
  return [
    `echo $$ > ${file("shell.pid")}`,
    `sh -c ${shellQuote(`echo $$ > ${file("child.pid")}; exec sleep 300`)} &`,
    `sh -c ${shellQuote(`trap '' TERM; echo $$ > ${file("stubborn.pid")}; while :; do sleep 1; done`)} &`,
    `echo started`,
    `sleep 300`,
  ].join("\n");
}

function readPid(dir: string, name: string): number {
  return Number(fs.readFileSync(path.join(dir, name), "utf8").trim());
}

/** The pid in a file a background shell may still be writing: undefined until it is whole. */
function pidIfWritten(dir: string, name: string): number | undefined {
  const text = fs.existsSync(path.join(dir, name)) ? fs.readFileSync(path.join(dir, name), "utf8") : "";
  return text.endsWith("\n") ? Number(text.trim()) : undefined;
}

function groupOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

async function waitForFile(file: string): Promise<void> {
  for (let i = 0; i < 200 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 25));
}

describe("a stopped command does not keep running on the host", () => {
  const [host2] = testbedTargets();
  let pool: SshPool;
  let dir: string;
  beforeEach(() => {
    pool = new SshPool();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-ssh-stop-"));
  });
  afterEach(async () => {
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("kills the whole remote process tree on timeout, including a child that ignores TERM", async () => {
    const seenGroup: number[] = [];
    const result = await pool.exec(host2!, treeCommand(dir), {
      timeoutMs: 1500,
      killGraceMs: 500,
      onStdout: () => {
        // While it runs, every process of the tree is alive and in one group.
        for (const name of ["shell.pid", "child.pid", "stubborn.pid"]) {
          const pid = pidIfWritten(dir, name);
          if (pid !== undefined && isLive(pid)) seenGroup.push(groupOf(pid));
        }
      },
    });
    expect(result).toMatchObject({ timedOut: true, aborted: false, code: null, cleanup: "killed" });
    expect(result.stdout).toBe("started\n");
    const shell = readPid(dir, "shell.pid");
    const pids = [shell, readPid(dir, "child.pid"), readPid(dir, "stubborn.pid")];
    expect(seenGroup.length).toBeGreaterThan(0);
    expect(new Set(seenGroup)).toEqual(new Set([shell]));
    expect(pids.filter(isLive)).toEqual([]);
    expect(liveProcessesInGroup(shell)).toEqual([]);
  });

  it("kills the remote process tree when the caller aborts", async () => {
    const controller = new AbortController();
    const running = pool.exec(host2!, treeCommand(dir), { timeoutMs: 60_000, signal: controller.signal, killGraceMs: 500 });
    await waitForFile(path.join(dir, "stubborn.pid"));
    const shell = readPid(dir, "shell.pid");
    expect(liveProcessesInGroup(shell).length).toBeGreaterThanOrEqual(4);
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ aborted: true, timedOut: false, code: null, cleanup: "killed" });
    expect(liveProcessesInGroup(shell)).toEqual([]);
    expect([readPid(dir, "child.pid"), readPid(dir, "stubborn.pid")].filter(isLive)).toEqual([]);
  });

  it("confirms from the host itself that nothing of the group is left", async () => {
    const result = await pool.exec(host2!, treeCommand(dir), { timeoutMs: 800, killGraceMs: 300 });
    expect(result.cleanup).toBe("killed");
    const shell = readPid(dir, "shell.pid");
    // Ask the host through a fresh exec, reading its process table.
    const check = await pool.exec(host2!, shellJoin(["ps", "-o", "pid=,stat=", "-g", String(shell)]), { timeoutMs: 10_000 });
    const live = check.stdout.split("\n").filter((l) => l.trim() !== "" && !/\sZ/.test(l));
    expect(live).toEqual([]);
  });

  it("an abort before the command starts throws without running it", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(pool.exec(host2!, `touch ${shellQuote(path.join(dir, "ran"))}`, { timeoutMs: 5000, signal: controller.signal })).rejects.toMatchObject({
      name: "SshAbortedError",
    });
    expect(fs.existsSync(path.join(dir, "ran"))).toBe(false);
  });

  it("a command that finishes before its timeout is not signalled", async () => {
    const result = await pool.exec(host2!, "sleep 0.2; echo done", { timeoutMs: 5000 });
    expect(result).toMatchObject({ code: 0, timedOut: false, cleanup: "none", stdout: "done\n" });
  });
});

describe("on a host whose ~/.bashrc writes to stderr", () => {
  let sshd: SshdHandle;
  let dir: string;
  let pool: SshPool;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-ssh-bashrc-"));
    fs.mkdirSync(path.join(dir, "home"));
    fs.writeFileSync(path.join(dir, "home", ".bashrc"), 'echo "noise from bashrc" >&2\n');
    sshd = await startSshd({ address: "127.0.0.5", identity: createSshIdentity(path.dirname(getTestbed().privateKeyPath)), dir });
    fs.writeFileSync(path.join(dir, "known_hosts"), `${sshd.knownHostsLine}\n`);
    pool = new SshPool();
  });
  afterAll(async () => {
    await pool.close();
    await sshd.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("still finds the process group to kill, and keeps the noise as stderr", async () => {
    const target = { host: sshd.address, port: sshd.port, username: sshd.username, privateKeyPath: getTestbed().privateKeyPath, knownHostsPath: path.join(dir, "known_hosts") };
    const ok = await pool.exec(target, "echo out; echo err >&2", { timeoutMs: 10_000 });
    expect(ok).toMatchObject({ code: 0, stdout: "out\n" });
    // bash sources ~/.bashrc for commands run by sshd: its noise comes before our header.
    expect(ok.stderr).toBe("noise from bashrc\nerr\n");
    const stopped = await pool.exec(target, treeCommand(dir), { timeoutMs: 800, killGraceMs: 300 });
    expect(stopped).toMatchObject({ timedOut: true, cleanup: "killed" });
    expect(liveProcessesInGroup(readPid(dir, "shell.pid"))).toEqual([]);
  });
});
