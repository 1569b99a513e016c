import { performance } from "node:perf_hooks";
import type { ClientChannel } from "ssh2";
import { CommandOutput } from "./command-output";
import type { ExecOptions, ExecResult } from "./exec-types";
import { GroupStopper } from "./group-stopper";
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
  /** Drops the channel's connection as dead (`ForcedEnd.abandon`). */
  abandon(): void;
  /** How long the host may take to answer before it counts as not answering. */
  readonly answerMs: number;
}

export async function runRemoteCommand(channels: CommandChannels, command: string, opts: ExecOptions): Promise<ExecResult> {
  const started = performance.now();
  const { channel, exit } = await channels.open(wrapCommand(command, { stdin: opts.stdin !== undefined }));
  return new Promise<ExecResult>((resolve, reject) => {
    const output = new CommandOutput(opts);
    let pendingHeader: Buffer | null = Buffer.alloc(0);
    const stopper = new GroupStopper(opts, (pgid, graceMs) => channels.killGroup(pgid, graceMs), { close: () => channel.close(), abandon: () => channels.abandon(), answerMs: channels.answerMs });

    if (opts.stdoutTo !== undefined) {
      const sink = opts.stdoutTo;
      channel.on("data", (chunk: Buffer) => {
        output.stdout.count(chunk.length);
        if (!sink.write(chunk)) {
          channel.pause();
          sink.once("drain", () => channel.resume());
        }
      });
      channel.once("end", () => sink.end());
    } else {
      channel.on("data", (chunk: Buffer) => output.out(chunk));
    }

    channel.stderr.on("data", (chunk: Buffer) => {
      if (pendingHeader === null) return output.err(chunk);
      const parsed = parseHeader(Buffer.concat([pendingHeader, chunk]));
      if (parsed.state === "need-more") {
        pendingHeader = Buffer.concat([pendingHeader, chunk]);
        return;
      }
      pendingHeader = null;
      if (parsed.state === "found") stopper.groupKnown(parsed.pgid);
      output.err(parsed.rest);
    });

    // Writing stdin to a command that already exited, or a connection reset, surfaces here; 'close' follows.
    channel.on("error", () => undefined);

    channel.once("close", () => {
      if (pendingHeader !== null && pendingHeader.length > 0) output.err(pendingHeader);
      output.end();
      const sawExit = exit.seen;
      const lost = !sawExit && !stopper.stopping ? channels.lostConnectionError() : undefined;
      void stopper.finished(sawExit).then((cleanup) => {
        const failure = lost ?? output.observerError;
        if (failure !== undefined) {
          reject(failure);
          return;
        }
        resolve(
          output.result({ code: exit.code, signal: exit.signal, durationMs: performance.now() - started, timedOut: stopper.timedOut, aborted: stopper.aborted, cleanup }),
        );
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
