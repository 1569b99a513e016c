import { StringDecoder } from "node:string_decoder";
import { CappedOutput } from "./capped-output";
import type { ExecOptions, ExecResult } from "./exec-types";

const DEFAULT_MAX_OUTPUT = 1024 * 1024;

/**
 * A command's stdout and stderr: kept up to the cap, and handed to the
 * caller's callbacks as decoded text (multi-byte characters never split).
 *
 * ssh2 parses the connection's packets in a try/catch that ends the whole
 * connection on any throw (client.js, the socket's 'data' handler), and the
 * callbacks run inside that parse: one throwing observer would cut every
 * other command on this host. Its error is kept here instead, and becomes
 * this exec's error once the command has ended (found by a flaky test whose
 * callback read a pid file still being written).
 */
export class CommandOutput {
  readonly stdout: CappedOutput;
  readonly stderr: CappedOutput;
  private readonly outDecoder = new StringDecoder("utf8");
  private readonly errDecoder = new StringDecoder("utf8");
  private failure: Error | undefined;

  constructor(private readonly opts: ExecOptions) {
    const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    this.stdout = new CappedOutput(max);
    this.stderr = new CappedOutput(max);
  }

  out(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.stdout.push(chunk);
    if (this.opts.onStdout !== undefined) this.observe(this.opts.onStdout, this.outDecoder.write(chunk));
  }

  err(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.stderr.push(chunk);
    if (this.opts.onStderr !== undefined) this.observe(this.opts.onStderr, this.errDecoder.write(chunk));
  }

  /** The streams ended: hands over what the decoders still hold. */
  end(): void {
    if (this.opts.onStdout !== undefined && this.opts.stdoutTo === undefined) this.observe(this.opts.onStdout, this.outDecoder.end());
    if (this.opts.onStderr !== undefined) this.observe(this.opts.onStderr, this.errDecoder.end());
  }

  /** The exec's result: what was kept of the output, with how the command ended. */
  result(ending: Pick<ExecResult, "code" | "signal" | "durationMs" | "timedOut" | "aborted" | "cleanup">): ExecResult {
    return {
      ...ending,
      stdout: this.stdout.text(),
      stderr: this.stderr.text(),
      stdoutBytes: this.stdout.bytes,
      stderrBytes: this.stderr.bytes,
      truncated: this.stdout.truncated || this.stderr.truncated,
    };
  }

  /** The first error a callback threw, if any. */
  get observerError(): Error | undefined {
    return this.failure;
  }

  private observe(callback: (text: string) => void, text: string): void {
    if (text.length === 0 || this.failure !== undefined) return;
    try {
      callback(text);
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
    }
  }
}
