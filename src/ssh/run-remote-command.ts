import { performance } from "node:perf_hooks";
import { StringDecoder } from "node:string_decoder";
import type { ClientChannel } from "ssh2";
import { CappedOutput } from "./capped-output";
import type { ExecOptions, ExecResult, RemoteCleanup } from "./exec-types";
import { parseHeader, wrapCommand } from "./remote-process-group";

/** Filled by a listener attached as soon as the channel exists. */
export interface ExitStatus {
  seen: boolean;
  code: number | null;
  /** e.g. "SIGTERM". */
  signal: string | null;
}

export interface OpenedChannel {
  readonly channel: ClientChannel;
  readonly exit: ExitStatus;
}

/** What the pool lends a command: its channel, and a way to stop its process group. */
export interface CommandChannels {
  /** Opens the exec channel for `command` (already wrapped). */
  open(command: string): Promise<OpenedChannel>;
  /** Runs the kill script for `pgid` on a separate channel; true when no process of the group is left. */
  killGroup(pgid: number, graceMs: number): Promise<boolean>;
  /** Error to throw when the channel closed without an exit status; undefined if the connection is still fine. */
  lostConnectionError(): Error | undefined;
}

const DEFAULT_MAX_OUTPUT = 1024 * 1024;
const DEFAULT_KILL_GRACE_MS = 2000;
/** If the pgid header has not arrived this long after a stop, the shell never started the command. */
const HEADER_WAIT_MS = 3000;

export async function runRemoteCommand(channels: CommandChannels, command: string, opts: ExecOptions): Promise<ExecResult> {
  const started = performance.now();
  const { channel, exit } = await channels.open(wrapCommand(command, { stdin: opts.stdin !== undefined }));
  return new Promise<ExecResult>((resolve, reject) => {
    const maxOutput = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const graceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    const stdout = new CappedOutput(maxOutput);
    const stderr = new CappedOutput(maxOutput);
    const outDecoder = new StringDecoder("utf8");
    const errDecoder = new StringDecoder("utf8");
    let pendingHeader: Buffer | null = Buffer.alloc(0);
    let pgid: number | undefined;
    let timedOut = false;
    let aborted = false;
    let stopping = false;
    let kill: Promise<RemoteCleanup> | undefined;
    let forceCloseTimer: NodeJS.Timeout | undefined;
    // ssh2 parses the connection's packets in a try/catch that ends the whole connection on any
    // throw (client.js, the socket's 'data' handler), and our output callbacks run inside that
    // parse: one throwing observer would cut every other command on this host. It is kept here
    // and becomes this exec's error once the command has ended (found by a flaky test whose
    // callback read a pid file still being written).
    let observerError: Error | undefined;
    const observe = (callback: ((text: string) => void) | undefined, text: string): void => {
      if (callback === undefined || text.length === 0 || observerError !== undefined) return;
      try {
        callback(text);
      } catch (err) {
        observerError = err instanceof Error ? err : new Error(String(err));
      }
    };

    const startKill = (group: number): void => {
      kill ??= channels.killGroup(group, graceMs).then(
        (gone): RemoteCleanup => (gone ? "killed" : "kill-failed"),
        (): RemoteCleanup => "kill-failed",
      );
      // The channel normally closes as the shell dies; do not wait on a wedged one forever.
      void kill.then(() => {
        forceCloseTimer = setTimeout(() => channel.close(), 1000);
      });
    };

    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      if (pgid !== undefined) startKill(pgid);
      else forceCloseTimer = setTimeout(() => channel.close(), HEADER_WAIT_MS);
    };

    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, opts.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      stop();
    };
    if (opts.signal?.aborted === true) onAbort();
    else opts.signal?.addEventListener("abort", onAbort, { once: true });

    if (opts.stdoutTo !== undefined) {
      const sink = opts.stdoutTo;
      channel.on("data", (chunk: Buffer) => {
        stdout.count(chunk.length);
        if (!sink.write(chunk)) {
          channel.pause();
          sink.once("drain", () => channel.resume());
        }
      });
      channel.once("end", () => sink.end());
    } else {
      channel.on("data", (chunk: Buffer) => {
        stdout.push(chunk);
        if (opts.onStdout !== undefined) observe(opts.onStdout, outDecoder.write(chunk));
      });
    }

    const onStderrBytes = (chunk: Buffer): void => {
      if (chunk.length === 0) return;
      stderr.push(chunk);
      if (opts.onStderr !== undefined) observe(opts.onStderr, errDecoder.write(chunk));
    };
    channel.stderr.on("data", (chunk: Buffer) => {
      if (pendingHeader === null) return onStderrBytes(chunk);
      const parsed = parseHeader(Buffer.concat([pendingHeader, chunk]));
      if (parsed.state === "need-more") {
        pendingHeader = Buffer.concat([pendingHeader, chunk]);
        return;
      }
      pendingHeader = null;
      if (parsed.state === "found") {
        pgid = parsed.pgid;
        if (stopping) {
          clearTimeout(forceCloseTimer);
          startKill(parsed.pgid);
        }
      }
      onStderrBytes(parsed.rest);
    });

    // Writing stdin to a command that already exited, or a connection reset, surfaces here; 'close' follows.
    channel.on("error", () => undefined);

    channel.once("close", () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      if (pendingHeader !== null && pendingHeader.length > 0) onStderrBytes(pendingHeader);
      if (opts.onStdout !== undefined && opts.stdoutTo === undefined) observe(opts.onStdout, outDecoder.end());
      if (opts.onStderr !== undefined) observe(opts.onStderr, errDecoder.end());
      const sawExit = exit.seen;
      const lost = !sawExit && !stopping ? channels.lostConnectionError() : undefined;
      void (kill ?? Promise.resolve<RemoteCleanup>("none")).then((cleanup) => {
        clearTimeout(forceCloseTimer);
        const failure = lost ?? observerError;
        if (failure !== undefined) {
          reject(failure);
          return;
        }
        resolve({
          code: exit.code,
          signal: exit.signal,
          stdout: stdout.text(),
          stderr: stderr.text(),
          stdoutBytes: stdout.bytes,
          stderrBytes: stderr.bytes,
          truncated: stdout.truncated || stderr.truncated,
          durationMs: performance.now() - started,
          timedOut,
          aborted,
          // Stopped before the shell reported its group: if it exited anyway nothing is left to kill.
          cleanup: stopping && kill === undefined ? (sawExit ? "none" : "kill-failed") : cleanup,
        });
      });
    });

    writeStdin(channel, opts.stdin);
  });
}

function writeStdin(channel: ClientChannel, stdin: ExecOptions["stdin"]): void {
  // No input: the wrapped command reads /dev/null (wrapCommand), so no EOF needs sending.
  if (stdin === undefined) return;
  if (typeof stdin === "string" || Buffer.isBuffer(stdin)) channel.end(stdin);
  else {
    stdin.pipe(channel);
    channel.once("close", () => stdin.unpipe(channel));
  }
}
