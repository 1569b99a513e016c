/** The one Web API entry point the notifier needs; `WebClient` satisfies it. */
export interface SlackApi {
  apiCall(method: string, options?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /**
   * POSTs a file's bytes to the `upload_url` files.getUploadURLExternal gave;
   * throws unless the answer is 2xx, as an API call throws. Without it, the
   * upload flow uses fetch (`postBytesWithFetch`).
   */
  uploadBytes?(url: string, bytes: Buffer): Promise<void>;
}

export type SlackFailure =
  /** 429: wait `retryAfterMs`, then the call may be made again. */
  | { readonly kind: "rate-limited"; readonly retryAfterMs: number }
  /** 5xx, network error, timeout, Slack-side internal error: the call may or may not have taken effect. */
  | { readonly kind: "ambiguous" }
  /** Slack answered and refused (bad args, channel not found...): retrying will not help. */
  | { readonly kind: "fatal"; readonly error: string };

const TRANSIENT_PLATFORM_ERRORS = new Set(["internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"]);

/** Classifies @slack/web-api errors by their documented `code` (no instanceof across package copies). */
export function classifySlackError(err: unknown): SlackFailure {
  const e = err as { code?: unknown; retryAfter?: unknown; statusCode?: unknown; data?: { error?: unknown } } | null;
  const code = e?.code;
  if (code === "slack_webapi_rate_limited_error") {
    const seconds = typeof e?.retryAfter === "number" ? e.retryAfter : 1;
    return { kind: "rate-limited", retryAfterMs: Math.max(0, seconds) * 1000 };
  }
  if (code === "slack_webapi_http_error") {
    const status = typeof e?.statusCode === "number" ? e.statusCode : 0;
    return status >= 500 ? { kind: "ambiguous" } : { kind: "fatal", error: `http_${status}` };
  }
  if (code === "slack_webapi_request_error") return { kind: "ambiguous" };
  if (code === "slack_webapi_platform_error") {
    const error = typeof e?.data?.error === "string" ? e.data.error : "unknown_error";
    return TRANSIENT_PLATFORM_ERRORS.has(error) ? { kind: "ambiguous" } : { kind: "fatal", error };
  }
  return { kind: "fatal", error: err instanceof Error ? err.message : String(err) };
}
