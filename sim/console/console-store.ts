import type { ConsoleChannel, ConsoleMessage, ConsoleSnapshot, ConsoleUser, ConsoleView } from "./console-types";

const MAX_NOTICES = 20;

/**
 * The console's state, in memory: messages by id in posting order, modals
 * and App Home per user, and a version that every change bumps so pages can
 * long-poll for it.
 */
export class ConsoleStore {
  private version = 0;
  private lastTsMicros = 0;
  private ephemeralCounter = 0;
  private viewCounter = 0;
  private readonly messages = new Map<string, ConsoleMessage>();
  private readonly views = new Map<string, ConsoleView[]>();
  private readonly homes = new Map<string, Readonly<Record<string, unknown>>>();
  private readonly notices: Array<{ readonly user?: string; readonly text: string }> = [];
  private waiters = new Set<() => void>();

  constructor(
    readonly users: readonly ConsoleUser[],
    readonly channels: readonly ConsoleChannel[],
    readonly botUserId: string,
  ) {}

  get currentVersion(): number {
    return this.version;
  }

  hasChannel(id: string): boolean {
    return this.channels.some((c) => c.id === id);
  }

  hasUser(id: string): boolean {
    return this.users.some((u) => u.id === id);
  }

  /** Slack ts values: unique, increasing, `<seconds>.<6 digits>`. */
  nextTs(): string {
    this.lastTsMicros = Math.max(this.lastTsMicros + 1, Date.now() * 1000);
    return `${Math.floor(this.lastTsMicros / 1e6)}.${String(this.lastTsMicros % 1e6).padStart(6, "0")}`;
  }

  post(draft: Omit<ConsoleMessage, "id" | "ts" | "edits" | "updatedAt">): ConsoleMessage {
    const ts = this.nextTs();
    const id = draft.ephemeralFor === undefined ? ts : `eph-${++this.ephemeralCounter}`;
    const message: ConsoleMessage = { ...draft, id, ts, edits: 0, updatedAt: Date.now() };
    this.messages.set(id, message);
    this.changed();
    return message;
  }

  get(id: string): ConsoleMessage | undefined {
    return this.messages.get(id);
  }

  /** A channel message by its ts (ephemeral messages are not addressable by ts, as in Slack). */
  byTs(channel: string, ts: string): ConsoleMessage | undefined {
    const m = this.messages.get(ts);
    return m !== undefined && m.channel === channel && m.ephemeralFor === undefined ? m : undefined;
  }

  replace(id: string, patch: Pick<ConsoleMessage, "text" | "blocks"> & { readonly metadata?: unknown }): ConsoleMessage | undefined {
    const m = this.messages.get(id);
    if (m === undefined) return undefined;
    const next: ConsoleMessage = { ...m, ...patch, edits: m.edits + 1, updatedAt: Date.now() };
    this.messages.set(id, next);
    this.changed();
    return next;
  }

  delete(id: string): void {
    if (this.messages.delete(id)) this.changed();
  }

  /** Channel messages (no ephemerals), oldest first. */
  channelMessages(channel: string, filter: (m: ConsoleMessage) => boolean = () => true): ConsoleMessage[] {
    return [...this.messages.values()].filter((m) => m.channel === channel && m.ephemeralFor === undefined && filter(m));
  }

  /** Every message, ephemeral ones included: for tests and the demo's summary. */
  allMessages(): ConsoleMessage[] {
    return [...this.messages.values()];
  }

  openView(user: string, view: Readonly<Record<string, unknown>>, mode: "open" | "push"): ConsoleView {
    const opened: ConsoleView = { id: `V${String(++this.viewCounter).padStart(8, "0")}`, user, view, hash: `h${this.viewCounter}` };
    const stack = mode === "push" ? (this.views.get(user) ?? []) : [];
    this.views.set(user, [...stack, opened]);
    this.changed();
    return opened;
  }

  view(id: string): ConsoleView | undefined {
    for (const stack of this.views.values()) {
      const found = stack.find((v) => v.id === id);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  updateView(id: string, view: Readonly<Record<string, unknown>>, errors?: Readonly<Record<string, string>>): ConsoleView | undefined {
    for (const [user, stack] of this.views) {
      const i = stack.findIndex((v) => v.id === id);
      if (i < 0) continue;
      const current = stack[i];
      if (current === undefined) return undefined;
      const next: ConsoleView = { ...current, view, hash: `h${++this.viewCounter}`, ...(errors === undefined ? {} : { errors }) };
      this.views.set(user, stack.map((v, j) => (j === i ? next : v)));
      this.changed();
      return next;
    }
    return undefined;
  }

  closeView(id: string): void {
    for (const [user, stack] of this.views) {
      const i = stack.findIndex((v) => v.id === id);
      if (i >= 0) {
        // Closing a modal closes the ones pushed over it.
        this.views.set(user, stack.slice(0, i));
        this.changed();
        return;
      }
    }
  }

  clearViews(user: string): void {
    this.views.delete(user);
    this.changed();
  }

  publishHome(user: string, view: Readonly<Record<string, unknown>>): void {
    this.homes.set(user, view);
    this.changed();
  }

  /** Something the person at the page should know about the console itself. */
  notice(text: string, user?: string): void {
    this.notices.push({ ...(user === undefined ? {} : { user }), text });
    if (this.notices.length > MAX_NOTICES) this.notices.shift();
    this.changed();
  }

  snapshotFor(user: string): ConsoleSnapshot {
    const home = this.homes.get(user);
    return {
      version: this.version,
      user,
      botUserId: this.botUserId,
      users: this.users,
      channels: this.channels,
      messages: [...this.messages.values()].filter((m) => m.ephemeralFor === undefined || m.ephemeralFor === user),
      views: this.views.get(user) ?? [],
      ...(home === undefined ? {} : { home }),
      notices: this.notices.filter((n) => n.user === undefined || n.user === user).map((n) => n.text),
    };
  }

  /** Resolves once the version is past `after`, or after `timeoutMs` anyway. */
  async waitForChange(after: number, timeoutMs: number): Promise<void> {
    if (this.version > after) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  /** Wakes every long-poll (the server is closing). */
  wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const w of waiters) w();
  }

  private changed(): void {
    this.version++;
    this.wakeAll();
  }
}
