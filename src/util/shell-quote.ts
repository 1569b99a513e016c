/**
 * The one function that turns untrusted text into a single POSIX shell word.
 *
 * Every parameter that reaches a remote shell goes through here, so chat text
 * can never become shell syntax. Single quotes are the only quoting in which
 * the shell interprets nothing (`$`, backticks, `\`, `!`, newlines are all
 * literal); a single quote itself is closed, escaped and reopened: `'\''`.
 * NUL cannot be carried by any shell word (argv strings are C strings), so it
 * is refused rather than silently truncated.
 */
export class UnquotableError extends Error {
  constructor(readonly value: string) {
    super("cannot shell-quote a value containing a NUL byte");
    this.name = "UnquotableError";
  }
}

/** Words made only of these characters need no quoting; keeps rendered plans readable. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(value: string): string {
  if (value.includes("\0")) throw new UnquotableError(value);
  if (SAFE_WORD.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Quote each word and join them with spaces: a command line from argv. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}
