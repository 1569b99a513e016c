import type { Logger } from "pino";
import { SlackCallError } from "../bot-errors";
import { sleep, type Clock } from "./clock";
import { postBytesWithFetch } from "./post-bytes-with-fetch";
import { classifySlackError, type SlackApi } from "./slack-api";

export interface RetryPolicy {
  /** Attempts for 5xx/network failures (rate-limit waits are counted apart). @defaultValue 6 */
  readonly maxAttempts: number;
  /** @defaultValue 500 */
  readonly baseDelayMs: number;
  /** @defaultValue 15000 */
  readonly maxDelayMs: number;
  /** Rate-limit waits before giving up. @defaultValue 20 */
  readonly maxRateLimitWaits: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 15_000, maxRateLimitWaits: 20 };

/** Thrown (instead of waiting) when the caller asked to handle 429 itself, e.g. the update throttle. */
export class RateLimitedError extends SlackCallError {
  override readonly name: string = "RateLimitedError";
  constructor(
    method: string,
    readonly retryAfterMs: number,
  ) {
    super(method, `${method} rate limited for ${retryAfterMs} ms`, true);
  }
}

export interface CallOptions {
  /** "throw": surface 429 as RateLimitedError at once; "wait": honour Retry-After and try again. @defaultValue "wait" */
  readonly onRateLimit?: "wait" | "throw";
  /**
   * For calls that create something (chat.postMessage): after an ambiguous
   * failure, ask this before trying again; a result means the earlier attempt
   * did land and is returned instead of posting a duplicate.
   */
  readonly findExisting?: () => Promise<Record<string, unknown> | undefined>;
  /**
   * A 5xx or network failure may have taken effect: "retry" (the default)
   * tries again (after `findExisting`, when given); "give-up" fails at once,
   * not retryable, for a creating call that has no way to look (a file's
   * share): a report missing is said in the log, a second one is not posted.
   */
  readonly onAmbiguous?: "retry" | "give-up";
}

/**
 * Slack Web API calls with the discipline Slack asks for: Retry-After
 * honoured per method (Slack's limits are per method), 5xx and network errors
 * retried with exponential back-off, and creating calls never duplicated.
 */
export class SlackCaller {
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly api: SlackApi,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly policy: RetryPolicy = DEFAULT_RETRY,
  ) {}

  async call(method: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<Record<string, unknown>> {
    return this.retrying(method, () => this.api.apiCall(method, args), options);
  }

  /**
   * POSTs an upload's bytes to the `upload_url` of files.getUploadURLExternal,
   * tried again on a 5xx or a network failure like a call: nothing is shared
   * before files.completeUploadExternal, so a second POST cannot show twice.
   */
  async uploadBytes(url: string, bytes: Buffer): Promise<void> {
    const upload = this.api.uploadBytes?.bind(this.api) ?? postBytesWithFetch;
    await this.retrying("file upload", async () => {
      await upload(url, bytes);
      return {};
    });
  }

  private async retrying(method: string, send: () => Promise<Record<string, unknown>>, options: CallOptions = {}): Promise<Record<string, unknown>> {
    let attempts = 0;
    let rateLimitWaits = 0;
    let ambiguous = false;
    for (;;) {
      const wait = (this.blockedUntil.get(method) ?? 0) - this.clock.now();
      if (wait > 0) {
        if (options.onRateLimit === "throw") throw new RateLimitedError(method, wait);
        await sleep(this.clock, wait);
      }
      if (ambiguous && options.findExisting !== undefined) {
        const existing = await this.tryFind(method, options.findExisting);
        if (existing !== undefined) {
          this.logger.info({ method }, "slack: an earlier attempt had landed; not posting again");
          return existing;
        }
      }
      attempts++;
      try {
        return await send();
      } catch (err) {
        const failure = classifySlackError(err);
        if (failure.kind === "fatal") throw new SlackCallError(method, `${method} failed: ${failure.error}`, false, { cause: err });
        if (failure.kind === "rate-limited") {
          this.blockedUntil.set(method, this.clock.now() + failure.retryAfterMs);
          attempts--;
          if (options.onRateLimit === "throw") throw new RateLimitedError(method, failure.retryAfterMs);
          if (++rateLimitWaits > this.policy.maxRateLimitWaits) throw new SlackCallError(method, `${method} still rate limited after ${rateLimitWaits - 1} waits`, true, { cause: err });
          this.logger.warn({ method, retryAfterMs: failure.retryAfterMs }, "slack: rate limited, honouring Retry-After");
          continue;
        }
        ambiguous = true;
        if (options.onAmbiguous === "give-up") throw new SlackCallError(method, `${method} failed and may have taken effect: not tried again`, false, { cause: err });
        if (attempts >= this.policy.maxAttempts) throw new SlackCallError(method, `${method} failed ${attempts} times`, true, { cause: err });
        const delay = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempts - 1));
        this.logger.warn({ method, attempt: attempts, delayMs: delay, err: err instanceof Error ? err.message : String(err) }, "slack: call failed, retrying");
        await sleep(this.clock, delay);
      }
    }
  }

  /** A failing lookup must not turn into a duplicate post: it is retried like any call. */
  private async tryFind(method: string, find: () => Promise<Record<string, unknown> | undefined>): Promise<Record<string, unknown> | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await find();
      } catch (err) {
        if (attempt >= this.policy.maxAttempts) throw new SlackCallError(method, `could not check whether ${method} had landed`, true, { cause: err });
        await sleep(this.clock, Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1)));
      }
    }
  }
}
