import type { Logger } from "pino";
import type { Clock } from "./clock";
import { BotError } from "../bot-errors";
import { RateLimitedError } from "./slack-caller";

/**
 * An update that failed for a reason that may pass (the caller's retries of a
 * 5xx outage exhausted) is sent again this long after, up to this many times
 * in a row: without it a message whose last update fell in an outage would
 * never show the run's final state. Found by `npm run chaos`.
 */
const FAILED_UPDATE_ROUNDS = 20;
const FAILED_UPDATE_DELAY_MS = 15_000;

interface KeyState {
  dirty: boolean;
  send: () => Promise<void>;
  /** When the previous send finished (its answer came back). */
  lastDone: number;
  notBefore: number;
  inFlight: boolean;
  timer: unknown;
  /** Sends in a row that failed (retryable), for the bound above. */
  failures: number;
}

/**
 * At most one send per `intervalMs` per key (one key per Slack message), the
 * interval counted from the previous send's answer, so that two sends reach
 * Slack at least `intervalMs` apart however long the first took on its way;
 * the latest state winning: `mark` only says "this message is stale"; the send
 * function renders the state current when it runs. A mark that arrives while
 * a send is in flight or too soon is never lost: a trailing send follows, so
 * the message ends equal to the last state. A 429 pushes the next send back
 * by Retry-After; a send that failed otherwise (retryably) is sent again later.
 */
export class UpdateThrottle {
  private readonly keys = new Map<string, KeyState>();
  private waiters: Array<() => void> = [];

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  mark(key: string, send: () => Promise<void>): void {
    const state = this.keys.get(key) ?? this.fresh(send);
    state.dirty = true;
    state.send = send;
    this.keys.set(key, state);
    this.pump(key, state);
  }

  /**
   * The message behind `key` was just written another way (posted): the next
   * update waits a full interval from now, as if it followed an update.
   */
  wrote(key: string): void {
    const state = this.keys.get(key) ?? this.fresh(() => Promise.resolve());
    state.lastDone = Math.max(state.lastDone, this.clock.now());
    this.keys.set(key, state);
    this.pump(key, state);
  }

  /** Resolves once every marked key has been sent (used by flush/close and tests). */
  idle(): Promise<void> {
    if (this.keys.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private fresh(send: () => Promise<void>): KeyState {
    return { dirty: false, send, lastDone: Number.NEGATIVE_INFINITY, notBefore: 0, inFlight: false, timer: undefined, failures: 0 };
  }

  private pump(key: string, state: KeyState): void {
    if (state.inFlight || state.timer !== undefined) return;
    if (!state.dirty) {
      // Keep the key while its interval runs, so a new mark still waits for it.
      const quietFor = state.lastDone + this.intervalMs - this.clock.now();
      if (quietFor > 0) {
        state.timer = this.clock.setTimeout(() => {
          state.timer = undefined;
          this.pump(key, state);
        }, quietFor);
        return;
      }
      this.keys.delete(key);
      if (this.keys.size === 0) {
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w();
      }
      return;
    }
    const due = Math.max(state.lastDone + this.intervalMs, state.notBefore);
    const now = this.clock.now();
    if (now < due) {
      state.timer = this.clock.setTimeout(() => {
        state.timer = undefined;
        this.pump(key, state);
      }, due - now);
      return;
    }
    state.dirty = false;
    state.inFlight = true;
    state
      .send()
      .then(() => {
        state.failures = 0;
      })
      .catch((err: unknown) => {
        if (err instanceof RateLimitedError) {
          state.notBefore = this.clock.now() + err.retryAfterMs;
          state.dirty = true;
          return;
        }
        if (err instanceof BotError && err.retryable && ++state.failures <= FAILED_UPDATE_ROUNDS) {
          state.notBefore = this.clock.now() + FAILED_UPDATE_DELAY_MS;
          state.dirty = true;
          this.logger.warn({ key, round: state.failures, err: err.message }, "slack: message update failed; sending it again later");
          return;
        }
        this.logger.error({ key, err: err instanceof Error ? err.message : String(err) }, "slack: message update failed; a later state will try again");
      })
      .finally(() => {
        state.inFlight = false;
        state.lastDone = this.clock.now();
        this.pump(key, state);
      });
  }
}
