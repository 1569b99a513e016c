import path from "node:path";
import { performance } from "node:perf_hooks";
import { PassThrough } from "node:stream";
import { shellQuote } from "../util/shell-quote";
import type { ExecOptions, ExecResult } from "./exec-types";
import { CopyError, CopyVerificationError } from "./ssh-errors";
import { describeSshTarget, type SshTarget } from "./ssh-target";
import { LISTING_SEPARATOR, parseTreeListing, type TreeListing } from "./tree-listing";

export type ExecFn = (target: SshTarget, command: string, opts: ExecOptions) => Promise<ExecResult>;

export interface CopyOptions {
  /** For the whole copy: probe, transfer and verification. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Accept files under the destination that the source does not have. @defaultValue false */
  allowExtraFiles?: boolean;
}

export interface CopyResult {
  readonly kind: "file" | "directory";
  /** Regular files copied. */
  readonly files: number;
  /** Sum of the regular files' sizes. */
  readonly bytes: number;
  /** sha256 of each regular file, by path relative to the copied directory (a single file: its base name). */
  readonly checksums: Record<string, string>;
  /** Bytes that went through this process (the tar stream, or the file). */
  readonly streamedBytes: number;
  readonly durationMs: number;
}

const LISTING_MAX_BYTES = 256 * 1024 * 1024;
const STDERR_MAX_BYTES = 64 * 1024;

/**
 * Copies a file or a directory tree from one host to another: `tar -cf -` on
 * the source streams through this process into `tar -xpf -` on the
 * destination (no temporary file anywhere, modes kept), then both sides list
 * modes and sha256 of every file and must agree.
 */
export async function copyBetweenHosts(
  exec: ExecFn,
  from: SshTarget,
  fromPath: string,
  to: SshTarget,
  toPath: string,
  opts: CopyOptions,
): Promise<CopyResult> {
  const started = performance.now();
  const deadline = started + opts.timeoutMs;
  const fromName = `${describeSshTarget(from)}:${fromPath}`;
  const toName = `${describeSshTarget(to)}:${toPath}`;
  const fail = (message: string, ...results: ExecResult[]): CopyError =>
    new CopyError(message, fromName, toName, results.map((r) => r.stderr.trim()).filter((s) => s !== "").join("\n"));
  const step = (): ExecOptions => {
    const timeoutMs = Math.max(1, deadline - performance.now());
    return { timeoutMs, maxOutputBytes: STDERR_MAX_BYTES, ...(opts.signal !== undefined ? { signal: opts.signal } : {}) };
  };

  const src = shellQuote(fromPath);
  const probe = await exec(from, `if [ -d ${src} ]; then echo directory; elif [ -f ${src} ]; then echo file; stat -c %a -- ${src}; else echo missing; fi`, step());
  const [kind, mode] = probe.stdout.trim().split("\n");
  if (probe.code !== 0 || (kind !== "directory" && kind !== "file")) throw fail(`source is ${kind === "missing" ? "missing" : "unreadable"}`, probe);

  const dst = shellQuote(toPath);
  const commands =
    kind === "directory"
      ? { send: `cd -- ${src} && tar -cf - .`, receive: `mkdir -p -- ${dst} && cd -- ${dst} && tar -xpf -` }
      : {
          send: `cat -- ${src}`,
          receive: `mkdir -p -- ${shellQuote(path.posix.dirname(toPath))} && cat > ${dst} && chmod ${shellQuote(mode ?? "600")} -- ${dst}`,
        };
  const { sent, received } = await transfer(exec, from, commands.send, to, commands.receive, step());
  if (sent.timedOut || received.timedOut) throw fail("timed out", sent, received);
  if (sent.aborted || received.aborted) throw fail("aborted", sent, received);
  if (sent.code !== 0) throw fail(`sending side exited with ${sent.code ?? sent.signal}`, sent, received);
  if (received.code !== 0) throw fail(`receiving side exited with ${received.code ?? received.signal}`, sent, received);

  const listing = { ...step(), maxOutputBytes: LISTING_MAX_BYTES };
  const [sourceList, copyList] = await Promise.all([exec(from, listTreeCommand(fromPath, kind), listing), exec(to, listTreeCommand(toPath, kind), listing)]);
  for (const [list, name] of [[sourceList, fromName], [copyList, toName]] as const) {
    if (list.code !== 0 || list.truncated || !list.stdout.includes(LISTING_SEPARATOR)) throw fail(`cannot list ${name} for verification`, list);
  }
  const source = parseTreeListing(sourceList.stdout);
  const copy = parseTreeListing(copyList.stdout);
  const differing = compareTrees(source, copy, opts.allowExtraFiles ?? false);
  if (differing.length > 0) throw new CopyVerificationError(fromName, toName, differing);

  const checksums: Record<string, string> = {};
  const fileKey = (rel: string): string => (kind === "file" ? path.posix.basename(fromPath) : rel);
  for (const [rel, hash] of [...source.sha256].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) checksums[fileKey(rel)] = hash;
  let bytes = 0;
  for (const [rel, entry] of source.entries) if (entry.type === "f" && source.sha256.has(rel)) bytes += entry.size;
  return { kind, files: source.sha256.size, bytes, checksums, streamedBytes: sent.stdoutBytes, durationMs: performance.now() - started };
}

async function transfer(
  exec: ExecFn,
  from: SshTarget,
  send: string,
  to: SshTarget,
  receive: string,
  base: ExecOptions,
): Promise<{ sent: ExecResult; received: ExecResult }> {
  // Either side failing stops the other, so a dead receiver cannot leave the sender blocked until the timeout.
  const stopBoth = new AbortController();
  const onOuterAbort = (): void => stopBoth.abort();
  if (base.signal?.aborted === true) stopBoth.abort();
  base.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const pipe = new PassThrough({ highWaterMark: 1024 * 1024 });
  const opts = { ...base, signal: stopBoth.signal };
  try {
    const receiving = exec(to, receive, { ...opts, stdin: pipe }).finally(() => {
      // Whatever the receiver left unread is discarded, so the sender can finish.
      pipe.unpipe();
      pipe.resume();
    });
    const sending = exec(from, send, { ...opts, stdoutTo: pipe }).finally(() => pipe.end());
    const watch = (p: Promise<ExecResult>): Promise<ExecResult> =>
      p.then(
        (r) => {
          if (r.code !== 0) stopBoth.abort();
          return r;
        },
        (err: unknown) => {
          stopBoth.abort();
          throw err;
        },
      );
    const [received, sent] = await Promise.allSettled([watch(receiving), watch(sending)]);
    if (received.status === "rejected") throw received.reason;
    if (sent.status === "rejected") throw sent.reason;
    return { sent: sent.value, received: received.value };
  } finally {
    base.signal?.removeEventListener("abort", onOuterAbort);
  }
}

function listTreeCommand(root: string, kind: "file" | "directory"): string {
  const q = shellQuote(root);
  const separator = "printf '\\0'";
  if (kind === "directory") return `cd -- ${q} && find . -printf '%y %m %s %P\\0' && ${separator} && find . -type f -exec sha256sum -- {} +`;
  // find would read a leading "-" as an option.
  const operand = shellQuote(root.startsWith("/") ? root : `./${root}`);
  return `find ${operand} -maxdepth 0 -printf '%y %m %s \\0' && ${separator} && sha256sum < ${q}`;
}

function compareTrees(source: TreeListing, copy: TreeListing, allowExtra: boolean): CopyVerificationError["differing"] {
  const differing: Array<CopyVerificationError["differing"][number]> = [];
  for (const [rel, entry] of source.entries) {
    const other = copy.entries.get(rel);
    if (other === undefined || other.type !== entry.type) differing.push({ path: rel, problem: "missing" });
    else if (entry.type === "f" && source.sha256.get(rel) !== copy.sha256.get(rel)) differing.push({ path: rel, problem: "content" });
    else if (entry.type !== "l" && other.mode !== entry.mode) differing.push({ path: rel, problem: "mode" });
  }
  if (!allowExtra) for (const rel of copy.entries.keys()) if (!source.entries.has(rel)) differing.push({ path: rel, problem: "extra" });
  return differing;
}
