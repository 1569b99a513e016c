import type { Duplex } from "node:stream";
import type { Client } from "ssh2";
import { connectSshClient, type ConnectedSsh } from "./connect-ssh-client";
import { copyBetweenHosts, type CopyOptions, type CopyResult } from "./copy-between-hosts";
import type { ExecOptions, ExecResult } from "./exec-types";
import { killGroupScript } from "./remote-process-group";
import { RemoteShell, SHELL_NOT_STARTED, SHELL_UNAVAILABLE } from "./remote-shell";
import { SHELL_LAUNCH, shellEligible } from "./remote-shell-script";
import { runRemoteCommand, type CommandChannels, type ExitStatus, type OpenedChannel } from "./run-remote-command";
import { SshAbortedError, SshChannelError, SshConnectionError, SshError, SshPoolClosedError } from "./ssh-errors";
import { sshTargetKey, type SshTarget } from "./ssh-target";

export interface SshPoolOptions {
  /**
   * Concurrent exec channels per connection; the rest wait in FIFO order.
   * sshd's MaxSessions (default 10) must leave room for this plus the
   * kill channels (up to 2 more). @defaultValue 8
   */
  channelsPerHost?: number;
  /** Close a connection with no channel open for this long. @defaultValue 60000 */
  idleTimeoutMs?: number;
  /** @defaultValue 15000 */
  keepaliveIntervalMs?: number;
  /** @defaultValue 3 */
  keepaliveCountMax?: number;
  /**
   * Run commands in long-lived login shells, one per channel slot, instead of
   * an exec channel each (remote-shell-script.ts says what keeps commands
   * apart). Commands with input, streamed output or `$$` still get an exec
   * channel, and so does every command on a host whose login shell is not bash.
   * @defaultValue true
   */
  remoteShells?: boolean;
}

export interface SshPoolHostStats {
  readonly key: string;
  readonly connected: boolean;
  readonly busyChannels: number;
  readonly queued: number;
  /** Long-lived shells open and waiting for a command. */
  readonly idleShells: number;
}

export interface SshPoolStats {
  /** Connections ready for use. */
  readonly openConnections: number;
  readonly connecting: number;
  readonly busyChannels: number;
  readonly queued: number;
  readonly idleShells: number;
  /** Connections successfully opened since the pool was created (a reuse counter for metrics and tests). */
  readonly connectsTotal: number;
  /** Channel opens the server refused for lack of session slots and that were retried. */
  readonly channelOpenRetries: number;
  /** Long-lived shells opened since the pool was created; each ran one or more commands. */
  readonly shellsOpened: number;
  /** Commands handed to a long-lived shell rather than an exec channel (one the shell never started then took an exec channel). */
  readonly shellCommands: number;
  readonly hosts: readonly SshPoolHostStats[];
}

/** Kill channels bypass the exec cap (they are what frees it) but stay within sshd's MaxSessions headroom. */
const KILL_CHANNELS_PER_HOST = 2;
/** RFC 4254 channel-open failure reasons sshd gives when it is out of session slots. */
const OPEN_CONNECT_FAILED = 2;
const OPEN_RESOURCE_SHORTAGE = 4;
/** With a 10 ms * n backoff: about 2 s before giving up. */
const CHANNEL_OPEN_RETRIES = 20;
/** As connectSshClient's: how long a host may take to answer before it counts as not answering. */
const DEFAULT_ANSWER_MS = 10_000;

/** How long an exec channel's open may wait for the host, and what follows when it expires (`SshPool.openExecChannel`). */
interface OpenBound {
  readonly ms: number;
  readonly then: "reconnect" | "fail";
}

/** A bound of `answeredWithin` expired: the connection was dropped as dead. */
class NoAnswerError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = "NoAnswerError";
  }
}

/** How long `host` may take to answer (a channel's open or close) before its connection counts as dead: its connect timeout. */
const answerMsOf = (host: PooledHost): number => host.target.connectTimeoutMs ?? DEFAULT_ANSWER_MS;

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

/** One connection key: its client, its channel slots and their queue. */
class PooledHost {
  /** The connection (node-ssh); `client` is its ssh2 connection, on which exec channels open. */
  ssh: ConnectedSsh | undefined;
  client: Client | undefined;
  connecting: Promise<Client> | undefined;
  busy = 0;
  readonly queue: Waiter[] = [];
  killBusy = 0;
  readonly killQueue: Array<() => void> = [];
  /** Long-lived shells waiting for a command; with `busy`, never more than the channel cap. */
  readonly idleShells: RemoteShell[] = [];
  /** The login shell is not bash: every command takes an exec channel. */
  noShells = false;
  /** Connections tunnelled through this one (it is their bastion). */
  tunnels = 0;
  idleTimer: NodeJS.Timeout | undefined;
  constructor(readonly key: string, readonly target: SshTarget) {}

  /** The connection is dead or being closed: the next use connects anew. */
  forget(): void {
    this.ssh = undefined;
    this.client = undefined;
  }

  get idle(): boolean {
    return this.busy === 0 && this.queue.length === 0 && this.killBusy === 0 && this.tunnels === 0;
  }
}

/**
 * SSH connections shared per host/port/user: one connect in flight per key,
 * a capped number of channels per connection with a FIFO queue, idle close,
 * reconnect after a drop. `exec` and `copy` are the executor's whole surface.
 */
export class SshPool {
  private readonly hosts = new Map<string, PooledHost>();
  private readonly channelsPerHost: number;
  private readonly idleTimeoutMs: number;
  private readonly keepaliveIntervalMs: number;
  private readonly keepaliveCountMax: number;
  private connectsTotal = 0;
  private channelOpenRetries = 0;
  private shellsOpened = 0;
  private shellCommands = 0;
  private readonly remoteShells: boolean;
  private closed = false;
  private readonly closing = new Set<Promise<void>>();
  private readonly closedClients = new WeakSet<Client>();

  constructor(options: SshPoolOptions = {}) {
    this.channelsPerHost = options.channelsPerHost ?? 8;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.keepaliveIntervalMs = options.keepaliveIntervalMs ?? 15_000;
    this.keepaliveCountMax = options.keepaliveCountMax ?? 3;
    this.remoteShells = options.remoteShells ?? true;
    if (!Number.isInteger(this.channelsPerHost) || this.channelsPerHost < 1) throw new RangeError("channelsPerHost must be a positive integer");
  }

  /**
   * Runs `command` (shell text built with shellJoin/shellQuote) on `target`.
   * A non-zero exit is a result, not an error. Throws SshConnectionError,
   * HostKeyError, SshChannelError, SshConfigError, SshAbortedError (aborted
   * while queued) or SshPoolClosedError.
   */
  async exec(target: SshTarget, command: string, opts: ExecOptions): Promise<ExecResult> {
    const host = this.hostFor(target);
    await this.acquire(host, opts.signal);
    try {
      if (this.remoteShells && !host.noShells && shellEligible(command, opts)) {
        const result = await this.execInShell(host, command, opts);
        if (result !== SHELL_UNAVAILABLE && result !== SHELL_NOT_STARTED) return result;
        // Nothing ran: the command takes an exec channel (after a shell died idle, the next one opens a new shell).
        if (result === SHELL_UNAVAILABLE) host.noShells = true;
      }
      this.makeRoomForExecChannel(host);
      return await runRemoteCommand(this.channelsOf(host), command, opts);
    } finally {
      this.release(host);
    }
  }

  /** Streams a file or directory tree from one host to another through this process and verifies it by sha256. */
  async copy(from: SshTarget, fromPath: string, to: SshTarget, toPath: string, opts: CopyOptions): Promise<CopyResult> {
    return copyBetweenHosts((t, c, o) => this.exec(t, c, o), from, fromPath, to, toPath, opts);
  }

  stats(): SshPoolStats {
    const hosts = [...this.hosts.values()].map((h) => ({
      key: h.key,
      connected: h.client !== undefined,
      busyChannels: h.busy,
      queued: h.queue.length,
      idleShells: h.idleShells.filter((shell) => shell.reusable).length,
    }));
    return {
      openConnections: hosts.filter((h) => h.connected).length,
      connecting: [...this.hosts.values()].filter((h) => h.connecting !== undefined).length,
      busyChannels: hosts.reduce((n, h) => n + h.busyChannels, 0),
      queued: hosts.reduce((n, h) => n + h.queued, 0),
      idleShells: hosts.reduce((n, h) => n + h.idleShells, 0),
      connectsTotal: this.connectsTotal,
      channelOpenRetries: this.channelOpenRetries,
      shellsOpened: this.shellsOpened,
      shellCommands: this.shellCommands,
      hosts,
    };
  }

  /** Ends every connection; queued execs fail with SshPoolClosedError. Resolves once the sockets are closed. */
  async close(): Promise<void> {
    this.closed = true;
    for (const host of this.hosts.values()) {
      clearTimeout(host.idleTimer);
      for (const waiter of host.queue.splice(0)) waiter.reject(new SshPoolClosedError());
      if (host.client !== undefined) this.endClient(host, host.client);
    }
    const connecting = [...this.hosts.values()].flatMap((h) => (h.connecting !== undefined ? [h.connecting] : []));
    await Promise.allSettled(connecting);
    for (const host of this.hosts.values()) if (host.client !== undefined) this.endClient(host, host.client);
    await Promise.all(this.closing);
  }

  private hostFor(target: SshTarget): PooledHost {
    if (this.closed) throw new SshPoolClosedError();
    const key = sshTargetKey(target);
    let host = this.hosts.get(key);
    if (host === undefined) {
      host = new PooledHost(key, target);
      this.hosts.set(key, host);
    }
    return host;
  }

  private async acquire(host: PooledHost, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted === true) throw new SshAbortedError(host.target.host, host.target.port);
    clearTimeout(host.idleTimer);
    if (host.busy < this.channelsPerHost) {
      host.busy++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = host.queue.indexOf(waiter);
        if (i >= 0) host.queue.splice(i, 1);
        reject(new SshAbortedError(host.target.host, host.target.port));
      };
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (err) => {
          signal?.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      host.queue.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private release(host: PooledHost): void {
    const next = host.queue.shift();
    // The slot passes straight to the next waiter: FIFO, no overtaking by a newcomer.
    if (next !== undefined) next.resolve();
    else host.busy--;
    this.scheduleIdleClose(host);
  }

  private scheduleIdleClose(host: PooledHost): void {
    if (!host.idle || host.client === undefined) return;
    clearTimeout(host.idleTimer);
    host.idleTimer = setTimeout(() => {
      if (host.idle && host.client !== undefined) this.endClient(host, host.client);
    }, this.idleTimeoutMs);
    host.idleTimer.unref();
  }

  /** Runs `command` in an idle shell of `host`, or a new one; the shell goes back to the idle list if it stays usable. */
  private async execInShell(host: PooledHost, command: string, opts: ExecOptions): Promise<ExecResult | typeof SHELL_UNAVAILABLE | typeof SHELL_NOT_STARTED> {
    let shell: RemoteShell | undefined;
    while ((shell = host.idleShells.pop()) !== undefined && !(shell.reusable && shell.client === host.client)) shell.retire();
    shell ??= await this.openShell(host);
    const client = shell.client;
    this.shellCommands++;
    try {
      return await shell.run(command, opts, {
        killGroup: (pgid, graceMs) => this.killGroup(host, pgid, graceMs),
        abandon: () => this.dropAsDead(host, client),
        answerMs: answerMsOf(host),
        lostError: (detail) =>
          new SshConnectionError(host.target.host, host.target.port, "running", new Error(host.client !== client ? "connection closed" : detail), host.target.hostLabel),
      });
    } finally {
      if (shell.reusable && host.client === client && !this.closed) host.idleShells.push(shell);
      else shell.retire();
    }
  }

  private async openShell(host: PooledHost): Promise<RemoteShell> {
    // Bounded like a kill channel's open: a host that stopped answering would otherwise hold the command
    // until the keepalive gives up (45 s by default). Nothing has been sent to the shell yet, so the open may
    // be tried again on a fresh connection; a shell that did start there reads EOF as its connection drops.
    const opened = await this.openExecChannel(host, SHELL_LAUNCH, { ms: answerMsOf(host), then: "reconnect" });
    this.shellsOpened++;
    return new RemoteShell(opened.channel, opened.exit, opened.client);
  }

  /** An exec channel takes a session slot: an idle shell gives its slot up so sshd's MaxSessions still holds. */
  private makeRoomForExecChannel(host: PooledHost): void {
    while (host.idleShells.length > 0 && host.idleShells.length + host.busy > this.channelsPerHost) host.idleShells.shift()!.retire();
  }

  private channelsOf(host: PooledHost): CommandChannels {
    let client: Client | undefined;
    return {
      open: async (command) => {
        // The command's timeout starts once its channel is open, so the open has a bound of its own. Not
        // tried again when that bound expires: the exec request may have reached sshd, and a second
        // connection would run the command twice.
        const opened = await this.openExecChannel(host, command, { ms: answerMsOf(host), then: "fail" });
        client = opened.client;
        return opened;
      },
      killGroup: (pgid, graceMs) => this.killGroup(host, pgid, graceMs),
      abandon: () => {
        if (client !== undefined) this.dropAsDead(host, client);
      },
      answerMs: answerMsOf(host),
      lostConnectionError: () =>
        client !== undefined && host.client !== client
          ? new SshConnectionError(host.target.host, host.target.port, "running", new Error("connection closed"), host.target.hostLabel)
          : undefined,
    };
  }

  /**
   * Retries once on a fresh connection when the pooled one turns out dead
   * (the command cannot have started), and retries a server refusal for a
   * while: sshd frees a session slot only once it has reaped the previous
   * command, a moment after that channel closed, so a full cap can briefly
   * exceed MaxSessions.
   *
   * A connection that dies after the channel opened but before sshd answered
   * the exec request fails the request with ssh2's "Unable to exec"
   * (ssh2 lib/utils.js `ChannelManager.cleanup` → `onCHANNEL_CLOSE`, which
   * calls the channel's pending request callbacks with `true`; lib/client.js
   * `reqExec`): a channel error, never tried again, since the command may
   * have started. Only a death before the channel's open was confirmed (no
   * exec request sent yet: "No response from server") reconnects.
   *
   * `bound`: how long the host may take to answer the open and the exec
   * request. When it expires the connection is dropped as dead; `then` says
   * whether the open is tried once more on a fresh connection (nothing ran
   * yet that matters) or fails as possibly started.
   */
  private async openExecChannel(host: PooledHost, command: string, bound?: OpenBound): Promise<OpenedChannel & { client: Client }> {
    let reconnected = false;
    for (let refusals = 0; ; ) {
      const client = await this.clientFor(host);
      try {
        const opening = execChannel(client, command);
        return { client, ...(await (bound === undefined ? opening : this.answeredWithin(host, client, opening, bound.ms))) };
      } catch (err) {
        if (this.closed) throw new SshPoolClosedError();
        if (err instanceof NoAnswerError && bound?.then === "fail") {
          throw new SshConnectionError(host.target.host, host.target.port, "running", new Error(`${err.message} to the command's channel; it may have started`), host.target.hostLabel);
        }
        const reason = (err as { reason?: unknown }).reason;
        if (typeof reason === "number" || (err as Error).message === "Unable to exec") {
          const transient = reason === OPEN_CONNECT_FAILED || reason === OPEN_RESOURCE_SHORTAGE;
          if (!transient || ++refusals > CHANNEL_OPEN_RETRIES) throw new SshChannelError(host.target.host, host.target.port, err);
          this.channelOpenRetries++;
          await new Promise((r) => setTimeout(r, 10 * refusals));
          continue;
        }
        if (host.client === client) this.endClient(host, client);
        if (reconnected) throw new SshConnectionError(host.target.host, host.target.port, "connect", err, host.target.hostLabel);
        reconnected = true;
      }
    }
  }

  private async killGroup(host: PooledHost, pgid: number, graceMs: number): Promise<boolean> {
    if (host.killBusy >= KILL_CHANNELS_PER_HOST) await new Promise<void>((resolve) => host.killQueue.push(resolve));
    else host.killBusy++;
    try {
      // Reconnects if need be: sshd does not end a no-pty session's processes when its connection drops.
      // Bounded by the connect timeout: on a connection that stopped answering without closing (a
      // half-dead network) the channel open would wait for the keepalive (a minute by default), and
      // the timed-out command, which waits for its kill, with it. Found by chaos/ssh-faults.chaos.ts.
      const answerMs = answerMsOf(host);
      const { channel, exit } = await this.openExecChannel(host, killGroupScript(pgid, graceMs), { ms: answerMs, then: "reconnect" });
      return await new Promise<boolean>((resolve) => {
        channel.on("error", () => undefined);
        channel.resume();
        channel.stderr.resume();
        // A host that cannot even answer the kill script in this time is not answering at all.
        const timer = setTimeout(() => channel.close(), graceMs + 10_000);
        channel.once("close", () => {
          clearTimeout(timer);
          resolve(exit.code === 0);
        });
        channel.end();
      });
    } catch {
      return false;
    } finally {
      const next = host.killQueue.shift();
      if (next !== undefined) next();
      else host.killBusy--;
      this.scheduleIdleClose(host);
    }
  }

  private async clientFor(host: PooledHost): Promise<Client> {
    if (host.client !== undefined) return host.client;
    if (this.closed) throw new SshPoolClosedError();
    host.connecting ??= this.connect(host).finally(() => {
      host.connecting = undefined;
    });
    return host.connecting;
  }

  private async connect(host: PooledHost): Promise<Client> {
    const target = host.target;
    let sock: Awaited<ReturnType<typeof this.tunnel>> | undefined;
    if (target.bastion !== undefined) sock = await this.tunnel(target);
    let ssh: ConnectedSsh;
    try {
      ssh = await connectSshClient(target, {
        ...(sock !== undefined ? { sock: sock.stream } : {}),
        keepaliveIntervalMs: this.keepaliveIntervalMs,
        keepaliveCountMax: this.keepaliveCountMax,
        maxListeners: 4 * (this.channelsPerHost + KILL_CHANNELS_PER_HOST) + 20,
      });
    } catch (err) {
      sock?.release();
      throw err;
    }
    this.connectsTotal++;
    const client = ssh.connection;
    // Errors after 'ready' are followed by 'close', which is where the pool forgets the client.
    client.on("error", () => undefined);
    client.once("close", () => {
      this.closedClients.add(client);
      if (host.client === client) host.forget();
      sock?.release();
    });
    if (this.closed) {
      this.endClient(host, client);
      throw new SshPoolClosedError();
    }
    host.ssh = ssh;
    host.client = client;
    return client;
  }

  /** A direct-tcpip channel through the bastion's pooled connection, which stays open while tunnels use it. */
  private async tunnel(target: SshTarget): Promise<{ stream: Duplex; release(): void }> {
    const bastion = this.hostFor(target.bastion!);
    bastion.tunnels++;
    clearTimeout(bastion.idleTimer);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      bastion.tunnels--;
      this.scheduleIdleClose(bastion);
    };
    try {
      await this.clientFor(bastion);
      const through = bastion.ssh;
      if (through === undefined) throw new Error(`the bastion's connection closed before ${target.host}:${target.port} could be reached through it`);
      const stream: Duplex = await through.forwardOut("127.0.0.1", 0, target.host, target.port);
      return { stream, release };
    } catch (err) {
      release();
      if (err instanceof SshError) throw err;
      throw new SshConnectionError(target.host, target.port, "connect", err, target.hostLabel);
    }
  }

  /**
   * `pending` (a channel open on `client`), unless the host does not answer
   * within `ms`: then the connection is dropped as dead, which also closes
   * every channel still waiting on it, and the open fails.
   */
  private async answeredWithin<T>(host: PooledHost, client: Client, pending: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.dropAsDead(host, client);
        reject(new NoAnswerError(ms));
      }, ms);
    });
    try {
      return await Promise.race([pending, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Drops `client` as dead: its socket closes at once, and with it every channel on it; the host's next command connects anew. */
  private dropAsDead(host: PooledHost, client: Client): void {
    if (host.client === client) host.forget();
    destroySocket(client);
  }

  private endClient(host: PooledHost, client: Client): void {
    if (host.client === client) host.forget();
    if (this.closedClients.has(client)) return;
    const closed = new Promise<void>((resolve) => {
      // A peer that never answers our disconnect must not hold close() forever.
      const timer = setTimeout(() => destroySocket(client), 2000);
      client.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.closing.add(closed);
    void closed.then(() => this.closing.delete(closed));
    client.end();
  }
}

/**
 * Closes the connection's socket at once. Not `client.destroy()`: ssh2 skips
 * it once the socket is no longer writable, which `client.end()` (our
 * polite disconnect) has already made it, so a peer that stopped answering
 * kept the connection, and `close()`, waiting forever (found by
 * chaos/ssh-faults.chaos.ts). `_sock` is ssh2's own field for that socket
 * (or the bastion channel it runs over).
 */
function destroySocket(client: Client): void {
  (client as unknown as { _sock?: { destroy(): void } })._sock?.destroy();
}

/**
 * Opens an exec channel with its exit listener attached inside ssh2's
 * callback: when the reply, the output and the exit status arrive in one TCP
 * read, ssh2 emits 'exit' before any awaiting code could subscribe.
 */
function execChannel(client: Client, command: string): Promise<OpenedChannel> {
  return new Promise<OpenedChannel>((resolve, reject) => {
    try {
      client.exec(command, (err, channel) => {
        if (err) {
          reject(err);
          return;
        }
        const exit: ExitStatus = { seen: false, code: null, signal: null };
        channel.on("exit", (code: number | null, signal?: string) => {
          exit.seen = true;
          if (typeof code === "number") exit.code = code;
          else if (typeof signal === "string") exit.signal = signal.startsWith("SIG") ? signal : `SIG${signal}`;
        });
        resolve({ channel, exit });
      });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
