/** What a secret's value is replaced by in a log line. */
export const REDACTED = "[redacted]";

/** Keys whose values are secrets wherever they appear (up to two levels deep, see redactLogFields). */
export const SECRET_LOG_KEYS = [
  "token",
  "botToken",
  "appToken",
  "signingSecret",
  "privateKey",
  "passphrase",
  "password",
  "secret",
  "authorization",
  "Authorization",
  "cookie",
  // A Redis URL may carry a password.
  "redisUrl",
] as const;

const SECRET = new Set<string>(SECRET_LOG_KEYS);

/**
 * How deep keys are looked at: the top level, one and two levels down
 * (`slack.botToken`, `req.headers.authorization`, `config.slack.token`).
 * Under `err` one level more, for the request config an HTTP client's error
 * carries (`err.config.headers.authorization`). Deeper nesting is not
 * covered: log flat objects, never whole configs or clients.
 */
const MAX_DEPTH = 2;
const ERR_MAX_DEPTH = 3;

/**
 * `fields` with the value of every secret key (SECRET_LOG_KEYS) within
 * reach replaced by REDACTED. Nothing is copied unless something is
 * replaced: the objects on the way to a secret are shallow copies (an Error
 * keeps its prototype, message and stack), everything else is shared, and
 * `fields` itself is never changed.
 *
 * Why not pino's `redact` option: with paths that start with a wildcard
 * (`*.token`, `*.*.token`) pino redacts through every value of every line,
 * 14 µs a line; this walk costs about a microsecond for the flat objects the
 * code logs (issue 13: a worker logs three times per step).
 */
export function redactLogFields<T>(fields: T): T {
  if (!isWalkable(fields)) return fields;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(fields)) {
    const value = (fields as Record<string, unknown>)[key];
    const next = SECRET.has(key) ? REDACTED : redactBelow(value, 1, key === "err" ? ERR_MAX_DEPTH : MAX_DEPTH);
    if (next !== value) {
      copy ??= shallowCopy(fields as Record<string, unknown>);
      setOwn(copy, key, next);
    }
  }
  return (copy ?? fields) as T;
}

function redactBelow(value: unknown, depth: number, maxDepth: number): unknown {
  if (!isWalkable(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const inner = (value as Record<string, unknown>)[key];
    const next = SECRET.has(key) ? REDACTED : depth < maxDepth ? redactBelow(inner, depth + 1, maxDepth) : inner;
    if (next !== inner) {
      copy ??= shallowCopy(value as Record<string, unknown>);
      setOwn(copy, key, next);
    }
  }
  return copy ?? value;
}

/** Objects and arrays; not byte buffers (their keys are their bytes, and they hold no named fields). */
function isWalkable(value: unknown): value is object {
  return typeof value === "object" && value !== null && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer);
}

function shallowCopy(value: Record<string, unknown>): Record<string, unknown> {
  if (Array.isArray(value)) return [...(value as unknown[])] as unknown as Record<string, unknown>;
  // Own properties with their descriptors and the prototype: an Error stays an Error with its message and stack.
  // Made configurable, so that a frozen object's copy can have its secret replaced.
  const descriptors = Object.getOwnPropertyDescriptors(value);
  for (const d of Object.values(descriptors)) d.configurable = true;
  return Object.create(Object.getPrototypeOf(value) as object | null, descriptors) as Record<string, unknown>;
}

/** Replaces an own property even when it was read-only or a getter. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
