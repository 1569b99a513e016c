import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { descendantsOf, processAlive, processCmdline, processId, type ProcessId } from "../../../sim/process/process-tree";

const REPO = path.resolve(__dirname, "..", "..", "..");

/** Processes that name `dir` in their command line or working directory: the ones a double fork hid from the tree. */
function processesUsing(dir: string): ProcessId[] {
  const found: ProcessId[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let cwd = "";
    try {
      cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // exited, or not ours to read
    }
    if (cwd.startsWith(dir) || processCmdline(pid).includes(dir)) {
      const id = processId(pid);
      if (id !== null) found.push(id);
    }
  }
  return found;
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`demo did not print ${pattern} within ${timeoutMs} ms; it printed:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString("utf8");
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited (${code}) before printing ${pattern}:\n${seen}`));
    });
  });
}

/**
 * Ctrl-C in a terminal sends SIGINT to the whole foreground process group,
 * so the demo runs in a group of its own here and gets exactly that. What it
 * started is collected while it runs (its process tree, plus anything naming
 * its temporary directory, which catches processes that daemonized), and
 * after it exits none may be left, nor any of its temporary files.
 */
describe("npm run demo and Ctrl-C", () => {
  let child: ChildProcess | undefined;
  let tmp = "";

  afterEach(() => {
    // Only if the test failed half-way: stop what the demo left, by pid.
    if (child?.pid !== undefined && child.exitCode === null) process.kill(-child.pid, "SIGKILL");
    for (const id of tmp === "" ? [] : processesUsing(tmp)) if (processAlive(id)) process.kill(id.pid, "SIGKILL");
    if (tmp !== "") fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("stops every process it started and removes its temporary directories", async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-demo-ctrl-c-"));
    const work = path.join(tmp, "cwd");
    const tmpdir = path.join(tmp, "tmp");
    fs.mkdirSync(work);
    fs.mkdirSync(tmpdir);
    child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(REPO, "demo", "main.ts")], {
      cwd: work,
      detached: true, // its own process group, as a shell gives a foreground job
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PORT: "0", TMPDIR: tmpdir, TS_NODE_PROJECT: path.join(REPO, "tsconfig.json"), NODE_PATH: path.join(REPO, "node_modules") },
    });
    const demoPid = child.pid!;
    const banner = await waitForLine(child, /intervene demo is running/, 120_000);
    expect(banner).toContain("Ctrl-C stops everything.");

    const started = new Map<string, ProcessId>();
    for (const id of [...descendantsOf([demoPid]), ...processesUsing(tmpdir)]) started.set(`${id.pid}:${id.startTime}`, id);
    const names = [...started.values()].map((id) => processCmdline(id.pid));
    // The demo really runs simulated DIRAC boxes under runit and the LeoFS sim: the check below is not vacuous.
    expect(names.some((n) => n.startsWith("runsv "))).toBe(true);
    expect(names.some((n) => n.includes("redis-server"))).toBe(true);

    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
    process.kill(-demoPid, "SIGINT");
    const code = await exited;
    expect(code).toBe(0);

    const left = [...started.values()].filter(processAlive).map((id) => `${id.pid} ${processCmdline(id.pid)}`);
    expect(left).toEqual([]);
    expect(processesUsing(tmpdir).map((id) => `${id.pid} ${processCmdline(id.pid)}`)).toEqual([]);
    // Node's own compile cache (ts-node runs the demo here) is not the demo's.
    expect(fs.readdirSync(tmpdir).filter((name) => !name.startsWith("v8-compile-cache"))).toEqual([]);
  }, 180_000);
});
