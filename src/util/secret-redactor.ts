/**
 * Replaces secrets in command output with `[redacted]` before it reaches
 * Redis, Slack or a terminal (issue 12 point 8). Output arrives in chunks
 * that may cut a secret in two, so the redactor works on whole lines: it
 * holds back an unfinished last line until its newline (or `end()`), and a
 * PEM private key block, which spans lines, is dropped whole.
 */

/** Each: a pattern whose match is redacted; group 1, when present, is kept (the key before its value). */
export const DEFAULT_SECRET_PATTERNS: readonly string[] = [
  // password=…, passwd: …, PASSWORD: …, secret=…, token=…, api_key=… (the key stays, the value goes)
  String.raw`(\b(?:pass(?:word|wd)?|secret|token|api[_-]?key|access[_-]?key)\b\s*[=:]\s*)\S+`,
  // Authorization / Proxy-Authorization headers: everything after the name
  String.raw`(\b(?:proxy-)?authorization\s*:\s*).+`,
  // Slack tokens (bot, user, app-level, refresh, config)
  String.raw`\bx(?:ox[abposr]|app|oxe\.xox[bp])-[A-Za-z0-9-]{8,}`,
  // AWS access key ids and secret keys written as key=value
  String.raw`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`,
  String.raw`(\baws_secret_access_key\b\s*[=:]\s*)\S+`,
];

const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const PEM_END = /-----END [A-Z0-9 ]*PRIVATE KEY-----/;
export const REDACTED = "[redacted]";

/** Compiles the patterns; a bad one throws with the pattern named, so configuration fails at start. */
export function compileSecretPatterns(patterns: readonly string[]): RegExp[] {
  return patterns.map((p) => {
    try {
      return new RegExp(p, "gi");
    } catch (error) {
      throw new Error(`secret pattern ${JSON.stringify(p)} is not a valid regular expression: ${(error as Error).message}`);
    }
  });
}

function redactLine(line: string, patterns: readonly RegExp[]): string {
  let out = line;
  for (const re of patterns) out = out.replace(re, (_match, keep: unknown) => `${typeof keep === "string" ? keep : ""}${REDACTED}`);
  return out;
}

/** Redacts a complete text (no line is held back). */
export function redactSecrets(text: string, patterns: readonly RegExp[]): string {
  const r = new SecretRedactor(patterns);
  return r.push(text) + r.end();
}

/** Stateful, for streamed output: `push` returns what can be shown now, `end` the rest. */
export class SecretRedactor {
  private pending = "";
  private inPem = false;

  constructor(private readonly patterns: readonly RegExp[]) {}

  push(chunk: string): string {
    const text = this.pending + chunk;
    const cut = text.lastIndexOf("\n");
    if (cut < 0) {
      this.pending = text;
      return "";
    }
    this.pending = text.slice(cut + 1);
    return this.lines(text.slice(0, cut + 1));
  }

  end(): string {
    const rest = this.pending;
    this.pending = "";
    if (rest === "") return "";
    const out = this.lines(rest);
    // An unterminated key block is still a key: nothing of it is shown.
    this.inPem = false;
    return out;
  }

  private lines(text: string): string {
    const parts = text.split(/(?<=\n)/);
    let out = "";
    for (const part of parts) {
      const body = part.endsWith("\n") ? part.slice(0, -1) : part;
      const nl = part.endsWith("\n") ? "\n" : "";
      if (this.inPem) {
        if (PEM_END.test(body)) this.inPem = false;
        continue;
      }
      if (PEM_BEGIN.test(body)) {
        this.inPem = !PEM_END.test(body);
        out += `${body.slice(0, body.search(PEM_BEGIN))}${REDACTED} (private key)${nl}`;
        continue;
      }
      out += redactLine(body, this.patterns) + nl;
    }
    return out;
  }
}
