import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Actor, RunRecord } from "../src/jobs";
import type { SshPoolOptions } from "../src/ssh";
import type { ProcessId } from "../sim/process/process-tree";
import { crashSshd } from "../sim/ssh/crash-sshd";
import { startStallingProxy, type StallingProxy } from "../sim/ssh/stalling-proxy";
import type { SshdHandle } from "../sim/ssh/sshd";
import { testPlan } from "../test/integration/jobs/helpers/jobs-harness";
import { AppendTrial, waitGone } from "./append-trial";
import { recordRow, recoveryFigures, trials } from "./chaos-row";
import { pollRun, startOwnSshd, startSshFaultBed, type SshFaultBed } from "../test/integration/jobs/helpers/ssh-fault-bed";

jest.setTimeout(600_000);

const requester: Actor = { userId: "UREQ" };
/** Addresses of this file's own hosts: the shared test bed (127.0.0.2-4) and other tests (127.0.0.5) are never touched. */
const CRASH_ADDRESS = "127.0.0.61";
const BACKEND_ADDRESS = "127.0.0.62";
const MUTE_ADDRESS = "127.0.0.63";
const STALL_ADDRESS = "127.0.0.64";
/** Inventory connectTimeout of every bed. */
const CONNECT_TIMEOUT_MS = 1000;
/** The rows' bound on any timeout: the configured one plus this much. */
const SLACK_MS = 5000;

const debug = (text: string): void => {
  if (process.env.CHAOS_DEBUG === "1") process.stderr.write(`ssh-faults ${new Date().toISOString()} ${text}\n`);
};
const random = (maxMs: number): number => Math.floor(Math.random() * maxMs);
const isPaused = (r: RunRecord): boolean => r.state === "paused";
const isSucceeded = (r: RunRecord): boolean => r.state === "succeeded";
const quoteRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Everything a row counts over its trials; each field is a count of trials unless said otherwise. */
interface Tally {
  lost: number;
  twice: number;
  /** Steps that did not fail (or not within the bound) after the fault. */
  hung: number;
  /** Failures whose error does not name the host, or says something else than what happened. */
  misleading: number;
  /** Runs not paused for an operator after the failure, or re-run before Retry. */
  notPaused: number;
  /** The dead connection still pooled after the failure. */
  deadPooled: number;
  /** A retried attempt that did not write its line exactly once. */
  retryMissing: number;
  /** Lines or starts of attempts that never existed. */
  strangers: number;
  /** First attempts (orphaned, or behind the stall) still running 10 s after the last trial. */
  stillRunning: number;
  firstAttemptWrote: number;
  recoveriesMs: number[];
  firedMs: number[];
}

const newTally = (): Tally => ({ lost: 0, twice: 0, hung: 0, misleading: 0, notPaused: 0, deadPooled: 0, retryMissing: 0, strangers: 0, stillRunning: 0, firstAttemptWrote: 0, recoveriesMs: [], firedMs: [] });

/** p50 / max of the times from the fault to the step failing, in ms. */
function firedFigures(t: Tally): string {
  if (t.firedMs.length === 0) return "-";
  const sorted = [...t.firedMs].sort((a, b) => a - b);
  return `${sorted[Math.floor((sorted.length - 1) / 2)]!} / ${sorted[sorted.length - 1]!} ms`;
}

const lossColumns = (t: Tally): Record<string, number> => ({
  lost: t.lost,
  twice: t.twice,
  hung: t.hung,
  misleading: t.misleading,
  notPaused: t.notPaused,
  deadPooled: t.deadPooled,
  retryMissing: t.retryMissing,
  strangers: t.strangers,
  stillRunning: t.stillRunning,
});

/**
 * The part every trial shares once the fault is in: the step must fail
 * within `boundMs` of `since`, with an error matching `expected`, the run
 * paused for an operator, attempt 1 still (no automatic re-run of a
 * non-idempotent step), the connection out of the pool. Then `recover`
 * (restart, heal), Retry, and the run must succeed.
 */
async function judgeTrial(
  bed: SshFaultBed,
  runId: string,
  host: string,
  tally: Tally,
  fault: { since: number; boundMs: number; expected: RegExp },
  recover: () => Promise<void> | void,
): Promise<boolean> {
  const failed = await pollRun(bed.engine, runId, isPaused, fault.boundMs + 10_000);
  const step = failed.run?.steps[0];
  debug(`${host}: ${failed.met ? "paused" : "NOT paused"} after ${failed.at - fault.since} ms: ${JSON.stringify(step?.error)}`);
  if (!failed.met || step === undefined) {
    tally.hung++;
    return false;
  }
  tally.firedMs.push(failed.at - fault.since);
  if (failed.at - fault.since > fault.boundMs) tally.hung++;
  if (step.state !== "failed" || step.attempt !== 1) tally.notPaused++;
  if (!fault.expected.test(step.error ?? "")) {
    tally.misleading++;
    process.stderr.write(`ssh-faults: ${host}: unexpected error ${JSON.stringify(step.error)} (wanted ${String(fault.expected)})\n`);
  }
  if (bed.connected(host)) tally.deadPooled++;
  await recover();
  const recoveredAt = Date.now();
  await bed.engine.retry(runId, 0, requester);
  debug(`${host}: recovered, retrying`);
  const done = await pollRun(bed.engine, runId, isSucceeded, 20_000);
  debug(`${host}: ${done.met ? "succeeded" : "NOT succeeded"} ${done.at - recoveredAt} ms after recovery`);
  if (!done.met) {
    tally.lost++;
    process.stderr.write(`ssh-faults: ${host}: run ${runId} not succeeded after Retry: ${done.run?.state} ${JSON.stringify(done.run?.steps[0])}\n`);
    await bed.engine.abort(runId, requester, "now").catch(() => undefined);
    return false;
  }
  tally.recoveriesMs.push(done.at - recoveredAt);
  return true;
}

/** After every attempt has ended: the per-attempt ledger of each trial into the tally. */
function countLedger(tally: Tally, ledger: readonly { trial: AppendTrial; runId: string; host: string }[]): void {
  for (const { trial, runId, host } of ledger) {
    const v = trial.verdict(runId, host, 2);
    tally.twice += v.twice;
    tally.strangers += v.strangers;
    if (!v.retryWrote) tally.retryMissing++;
    if (v.firstWrote) tally.firstAttemptWrote++;
  }
}

describe("chaos: SSH faults", () => {
  let work: string;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-chaos-ssh-"));
  });
  afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it(`sshd killed mid-command and restarted (${trials(10, 3)} trials)`, async () => {
    const TRIALS = trials(10, 3);
    const sshdDir = path.join(work, "crash-sshd");
    let sshd: SshdHandle = await startOwnSshd(CRASH_ADDRESS, sshdDir);
    const port = sshd.port;
    const tally = newTally();
    const ledger: { trial: AppendTrial; runId: string; host: string }[] = [];
    const orphans: ProcessId[] = [];
    let sessionsKilled = 0;
    let bed: SshFaultBed | undefined;
    try {
      bed = await startSshFaultBed({ name: "chaos-sshd-crash", hosts: { flaky: sshd }, connectTimeout: `${CONNECT_TIMEOUT_MS}ms` });
      for (let i = 0; i < TRIALS; i++) {
        const trial = new AppendTrial(path.join(work, `crash-${i}`), 3);
        const run = await bed.engine.start(testPlan("c1", [{ id: "append", kind: "exec", targets: [{ host: "flaky", command: trial.command() }] }]), requester);
        ledger.push({ trial, runId: run.id, host: "flaky" });
        await trial.running(10_000);
        await new Promise((r) => setTimeout(r, random(1500)));
        // Even trials: the host goes down with its commands; odd: only sshd dies and the command runs on, orphaned.
        const since = Date.now();
        const crash = await crashSshd(sshd, { sessions: i % 2 === 0 });
        sessionsKilled += crash.sessionsKilled;
        orphans.push(...crash.orphans);
        const expected = new RegExp(`^flaky: connection lost while a command ran on flaky \\(${quoteRe(CRASH_ADDRESS)}:${port}\\)`);
        await judgeTrial(bed, run.id, "flaky", tally, { since, boundMs: SLACK_MS, expected }, async () => {
          trial.fast();
          // Same address, port and directory (so the same pinned host key).
          sshd = await startOwnSshd(CRASH_ADDRESS, sshdDir, port);
        });
      }
      tally.stillRunning += (await waitGone(orphans, 10_000)).length;
      countLedger(tally, ledger);
    } finally {
      await bed?.close();
      await sshd.stop();
    }
    recordRow({
      name: "sshd killed mid-command and restarted",
      trials: TRIALS,
      faults: TRIALS,
      runsLost: tally.lost,
      stepsRunTwice: tally.twice,
      duplicateSlackPosts: 0,
      finalMessagesWrong: 0,
      ...recoveryFigures(tally.recoveriesMs),
      detail:
        `a non-idempotent append (sleep 3, then one line) on our own sshd; mid-sleep the daemon and its per-connection sshds were SIGKILLed by pid ` +
        `(${Math.ceil(TRIALS / 2)} trials with the session's command too, ${sessionsKilled} processes; ${Math.floor(TRIALS / 2)} with the command orphaned: it finished its line in ${tally.firstAttemptWrote} trials); ` +
        `each time the step failed ${firedFigures(tally)} (p50 / max) after the kill, naming the host ("connection lost while a command ran on flaky (127.0.0.61:port)"), ` +
        `the run paused at attempt 1 (no automatic re-run), the connection left the pool (dead ones kept: ${tally.deadPooled}), ` +
        `sshd came back on the same port with the same host key and Retry succeeded; hangs ${tally.hung}, misleading errors ${tally.misleading}, not paused ${tally.notPaused}, retries not written once ${tally.retryMissing}; ` +
        `recovery = sshd restarted to the retried step succeeded; no Slack in this row`,
    });
    expect(lossColumns(tally)).toEqual({ lost: 0, twice: 0, hung: 0, misleading: 0, notPaused: 0, deadPooled: 0, retryMissing: 0, strangers: 0, stillRunning: 0 });
  });

  it("a host that accepts TCP but never answers, before the banner and mid-command", async () => {
    const MUTE_TRIALS = trials(10, 3);
    const STALL_TRIALS = trials(10, 2);
    const backend = await startOwnSshd(BACKEND_ADDRESS, path.join(work, "backend-sshd"));
    const proxies: StallingProxy[] = [];
    const proxy = async (address: string, stalled: boolean): Promise<StallingProxy> => {
      const p = await startStallingProxy({ address, target: { host: backend.address, port: backend.port }, stalled });
      proxies.push(p);
      return p;
    };
    const via = (p: StallingProxy) => ({ address: p.address, port: p.port, hostPublicKey: backend.hostPublicKey });
    const tallies = { mute: newTally(), keepalive: newTally(), timeout: newTally() };
    const ledger: { trial: AppendTrial; runId: string; host: string }[] = [];
    const leftRunning = { keepalive: [] as ProcessId[], timeout: [] as ProcessId[] };
    try {
      // (a) No SSH banner ever: the connect timeout. A short idle close lets each trial connect afresh through the stalled proxy.
      const mute = await proxy(MUTE_ADDRESS, true);
      const muteBed = await startSshFaultBed({ name: "chaos-ssh-mute", hosts: { mute: via(mute) }, connectTimeout: `${CONNECT_TIMEOUT_MS}ms`, pool: { idleTimeoutMs: 200 } });
      try {
        for (let i = 0; i < MUTE_TRIALS; i++) {
          await waitUntil(() => !muteBed.connected("mute"), 5000);
          mute.stall();
          const trial = new AppendTrial(path.join(work, `mute-${i}`), 0);
          trial.fast();
          const accepted = mute.acceptedAt.length;
          const run = await muteBed.engine.start(testPlan("c1", [{ id: "append", kind: "exec", targets: [{ host: "mute", command: trial.command() }] }]), requester);
          ledger.push({ trial, runId: run.id, host: "mute" });
          await waitUntil(() => mute.acceptedAt.length > accepted, 10_000);
          const expected = new RegExp(`^mute: cannot connect to mute \\(${quoteRe(MUTE_ADDRESS)}:${mute.port}\\): Timed out while waiting for handshake`);
          await judgeTrial(muteBed, run.id, "mute", tallies.mute, { since: mute.acceptedAt[accepted]!, boundMs: CONNECT_TIMEOUT_MS + SLACK_MS, expected }, () => mute.heal());
        }
      } finally {
        await muteBed.close();
      }

      // (b) The link dies mid-command, nothing closed: the keepalive notices (short keepalive), or the step timeout fires first (the product's default keepalive).
      const variants: { name: "keepalive" | "timeout"; pool: SshPoolOptions; stepTimeoutMs: number; boundMs: number; expected: (p: StallingProxy) => RegExp }[] = [
        {
          name: "keepalive",
          pool: { keepaliveIntervalMs: 500, keepaliveCountMax: 2 },
          stepTimeoutMs: 20_000,
          boundMs: 500 * 3 + SLACK_MS,
          expected: (p) => new RegExp(`^stall: connection lost while a command ran on stall \\(${quoteRe(STALL_ADDRESS)}:${p.port}\\)`),
        },
        { name: "timeout", pool: {}, stepTimeoutMs: 2000, boundMs: 2000 + SLACK_MS, expected: () => /^stall: timed out after 2000 ms; the host did not confirm that the command stopped: it may still be running$/ },
      ];
      for (const variant of variants) {
        const stall = await proxy(STALL_ADDRESS, false);
        const bed = await startSshFaultBed({ name: `chaos-ssh-stall-${variant.name}`, hosts: { stall: via(stall) }, connectTimeout: `${CONNECT_TIMEOUT_MS}ms`, pool: variant.pool });
        const tally = tallies[variant.name];
        try {
          for (let i = 0; i < STALL_TRIALS; i++) {
            stall.heal();
            const trial = new AppendTrial(path.join(work, `stall-${variant.name}-${i}`), 3);
            const run = await bed.engine.start(
              testPlan("c1", [{ id: "append", kind: "exec", timeoutMs: variant.stepTimeoutMs, targets: [{ host: "stall", command: trial.command() }] }]),
              requester,
            );
            ledger.push({ trial, runId: run.id, host: "stall" });
            const shell = await trial.running(10_000);
            const commandStarted = Date.now();
            if (shell !== null) leftRunning[variant.name].push(shell);
            await new Promise((r) => setTimeout(r, random(1000)));
            stall.stall();
            // The keepalive counts from the stall; the step timeout from the command's start.
            const since = variant.name === "keepalive" ? Date.now() : commandStarted;
            await judgeTrial(bed, run.id, "stall", tally, { since, boundMs: variant.boundMs, expected: variant.expected(stall) }, () => {
              trial.fast();
              stall.heal();
            });
          }
        } finally {
          await bed.close();
        }
      }
      // Behind the stall the first attempts ran on, unreachable: let them finish before counting lines.
      tallies.keepalive.stillRunning += (await waitGone(leftRunning.keepalive, 10_000)).length;
      tallies.timeout.stillRunning += (await waitGone(leftRunning.timeout, 10_000)).length;
      countLedger(tallies.mute, ledger.filter((l) => l.host === "mute"));
      const stalled = ledger.filter((l) => l.host === "stall");
      countLedger(tallies.keepalive, stalled.slice(0, STALL_TRIALS));
      countLedger(tallies.timeout, stalled.slice(STALL_TRIALS));
    } finally {
      for (const p of proxies) await p.close();
      await backend.stop();
    }
    const all = Object.values(tallies);
    const sum = (f: (t: Tally) => number): number => all.reduce((n, t) => n + f(t), 0);
    const fired = firedFigures;
    const total = MUTE_TRIALS + 2 * STALL_TRIALS;
    recordRow({
      name: "host accepts TCP but never answers",
      trials: total,
      faults: total,
      runsLost: sum((t) => t.lost),
      stepsRunTwice: sum((t) => t.twice),
      duplicateSlackPosts: 0,
      finalMessagesWrong: 0,
      ...recoveryFigures(all.flatMap((t) => t.recoveriesMs)),
      detail:
        `a loopback proxy that stalls without closing anything, connectTimeout ${CONNECT_TIMEOUT_MS} ms: ` +
        `(a) ${MUTE_TRIALS} trials accepted and never sent a banner: "cannot connect to mute (…): Timed out while waiting for handshake" after ${fired(tallies.mute)} (p50 / max, bound ${(CONNECT_TIMEOUT_MS + SLACK_MS) / 1000} s); ` +
        `(b) ${STALL_TRIALS} trials stopped forwarding both ways mid-command with keepalive 500 ms x 2: "connection lost while a command ran on stall (…)" ${fired(tallies.keepalive)} after the stall; ` +
        `${STALL_TRIALS} trials with the default keepalive (15 s x 3) and a 2 s step timeout: "timed out after 2000 ms; the host did not confirm that the command stopped: it may still be running" ${fired(tallies.timeout)} after the command started (timeout, then 1 s for the kill's channel and 1 s for its reconnect, both bounded by connectTimeout); ` +
        `every time the run paused at attempt 1 and the dead connection left the pool (kept: ${sum((t) => t.deadPooled)}); the network healed, Retry succeeded on a new connection; ` +
        `first attempts that still wrote their line behind the stall: ${sum((t) => t.firstAttemptWrote)}, never twice; hangs ${sum((t) => t.hung)}, misleading errors ${sum((t) => t.misleading)}; ` +
        `recovery = network healed to the retried step succeeded; no Slack in this row`,
    });
    for (const t of all) expect(lossColumns(t)).toEqual({ lost: 0, twice: 0, hung: 0, misleading: 0, notPaused: 0, deadPooled: 0, retryMissing: 0, strangers: 0, stillRunning: 0 });
  });
});

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
