import { randomBytes } from "node:crypto";
import { constants } from "node:os";
import { performance } from "node:perf_hooks";
import type { Client, ClientChannel } from "ssh2";
import { CommandOutput } from "./command-output";
import type { ExecOptions, ExecResult } from "./exec-types";
import { GroupStopper } from "./group-stopper";
import { MarkerSplitter, type Segment } from "./marker-splitter";
import { READY_MARKER, SHELL_NOT_BASH } from "./remote-shell-script";
import type { ExitStatus } from "./run-remote-command";

/** The shell cannot serve: the host's login shell is not bash. Nothing ran; use an exec channel. */
export const SHELL_UNAVAILABLE = Symbol("shell unavailable");
/** The shell ended before it took the command (it died while idle): nothing ran; run it elsewhere. */
export const SHELL_NOT_STARTED = Symbol("shell ended before the command started");

export interface ShellCommandHooks {
  killGroup(pgid: number, graceMs: number): Promise<boolean>;
  /** The error for a command whose shell ended before it did (its outcome is unknown). */
  lostError(detail: string): Error;
  /** Drops the shell's connection as dead (`ForcedEnd.abandon`). */
  abandon(): void;
  /** How long the host may take to answer before it counts as not answering. */
  readonly answerMs: number;
}

interface Running {
  out(chunk: Buffer): void;
  err(chunk: Buffer): void;
  closed(): void;
}

const NOISE_LIMIT = 64 * 1024;

/**
 * One long-lived login shell on an exec channel (remote-shell-script.ts),
 * running one command at a time. After each command it is either reusable
 * or retired: closed because its command left processes behind, it was
 * stopped, it wrote output between commands, or it ended.
 */
export class RemoteShell {
  private ready = false;
  /** Output before the ready marker (a chatty ~/.bashrc): it belongs to the first command, as it would to an exec's. */
  private noise: Buffer = Buffer.alloc(0);
  private readonly readySplitter = new MarkerSplitter(Buffer.from(READY_MARKER, "latin1"));
  private running: Running | undefined;
  private ended = false;
  private retired = false;

  constructor(
    private readonly channel: ClientChannel,
    private readonly exit: ExitStatus,
    /** The connection the shell runs on. */
    readonly client: Client,
  ) {
    channel.on("data", (chunk: Buffer) => this.onStdout(chunk));
    channel.stderr.on("data", (chunk: Buffer) => this.onStderr(chunk));
    channel.on("error", () => undefined);
    channel.once("close", () => {
      this.ended = true;
      this.running?.closed();
    });
  }

  /** Free for the next command. */
  get reusable(): boolean {
    return !this.ended && !this.retired && this.running === undefined;
  }

  /** Closes the shell; a running command finishes through its close. */
  retire(): void {
    if (this.retired) return;
    this.retired = true;
    this.channel.close();
  }

  run(command: string, opts: ExecOptions, hooks: ShellCommandHooks): Promise<ExecResult | typeof SHELL_UNAVAILABLE | typeof SHELL_NOT_STARTED> {
    if (!this.reusable) throw new Error("the remote shell is busy or closed");
    const started = performance.now();
    const token = randomBytes(12).toString("hex");
    const marker = Buffer.from(`\u001e${token}:`, "latin1");
    const outSplit = new MarkerSplitter(marker);
    const errSplit = new MarkerSplitter(marker);
    const output = new CommandOutput(opts);
    const stopper = new GroupStopper(opts, (pgid, graceMs) => hooks.killGroup(pgid, graceMs), { close: () => this.retire(), abandon: () => hooks.abandon(), answerMs: hooks.answerMs });
    let status: { code: number; leftovers: boolean } | undefined;
    let errEnded = false;
    let received = false;
    let done = false;

    return new Promise((resolve, reject) => {
      const finish = (): void => {
        if (done) return;
        done = true;
        this.running = undefined;
        output.end();
        if (status?.leftovers === true || stopper.stopping) this.retire();
        const ended = status !== undefined && errEnded;
        const lost = ended || stopper.stopping ? undefined : hooks.lostError(this.exitDetail());
        void stopper.finished(ended).then((cleanup) => {
          const failure = lost ?? output.observerError;
          if (failure !== undefined) return reject(failure);
          // A stopped command's group was killed: report the signal as an exec channel would (bash's wait gives 128+n).
          const bySignal = stopper.stopping && status !== undefined && status.code > 128 ? signalName(status.code - 128) : undefined;
          resolve(
            output.result({
              code: status === undefined || bySignal !== undefined ? null : status.code,
              signal: bySignal ?? null,
              durationMs: performance.now() - started,
              timedOut: stopper.timedOut,
              aborted: stopper.aborted,
              cleanup,
            }),
          );
        });
      };
      const maybeDone = (): void => {
        if (status !== undefined && errEnded) finish();
      };
      const take = (segments: Segment[], bytes: (b: Buffer) => void, marker: (m: string) => void): void => {
        for (const s of segments) {
          if ("bytes" in s) bytes(s.bytes);
          else marker(s.marker);
        }
      };
      this.running = {
        out: (chunk) =>
          take(outSplit.push(chunk), (b) => output.out(b), (m) => {
            const end = /^e=(\d+):([01])$/.exec(m);
            if (end !== null) status = { code: Number(end[1]), leftovers: end[2] === "1" };
            maybeDone();
          }),
        err: (chunk) =>
          take(errSplit.push(chunk), (b) => output.err(b), (m) => {
            const group = /^p=(\d+)$/.exec(m);
            if (group !== null) {
              received = true;
              stopper.groupKnown(Number(group[1]));
            } else if (m === "e") errEnded = true;
            maybeDone();
          }),
        closed: () => {
          output.out(outSplit.flush());
          output.err(errSplit.flush());
          if (!received && !stopper.stopping) {
            this.running = undefined;
            void stopper.finished(false);
            resolve(!this.ready && this.exit.seen && this.exit.code === SHELL_NOT_BASH ? SHELL_UNAVAILABLE : SHELL_NOT_STARTED);
            return;
          }
          finish();
        },
      };
      if (this.noise.length > 0) {
        output.err(this.noise);
        this.noise = Buffer.alloc(0);
      }
      if (this.ended) return this.running.closed();
      this.channel.write(`${token}\0${command}\0`);
    });
  }

  private onStdout(chunk: Buffer): void {
    if (this.running !== undefined) this.running.out(chunk);
    // Output while no command runs comes from something a command left behind: it would be taken for the next one's.
    else this.retire();
  }

  private onStderr(chunk: Buffer): void {
    if (this.ready) {
      if (this.running !== undefined) this.running.err(chunk);
      else this.retire();
      return;
    }
    const pass = (bytes: Buffer): void => {
      if (this.running !== undefined) this.running.err(bytes);
      else if (this.noise.length < NOISE_LIMIT) this.noise = Buffer.concat([this.noise, bytes]);
    };
    for (const s of this.readySplitter.push(chunk)) {
      if ("marker" in s) this.ready = true;
      else pass(s.bytes);
    }
    if (this.ready) pass(this.readySplitter.flush());
  }

  private exitDetail(): string {
    if (!this.exit.seen) return "the remote shell's channel closed while the command ran";
    return `the remote shell ended (${this.exit.signal ?? `exit ${this.exit.code}`}) while the command ran`;
  }
}

function signalName(n: number): string | undefined {
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0];
}
