import { createHmac, timingSafeEqual } from "node:crypto";
import fs from "node:fs";

/**
 * known_hosts as OpenSSH reads it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 * `[@marker] patterns keytype base64key [comment]`. Patterns are a comma list
 * with `*`/`?` wildcards and `!` negation, or one hashed `|1|salt|hmac` entry;
 * a non-22 port is written `[host]:port`. `@cert-authority` lines are ignored:
 * this client pins plain host keys only.
 */
export interface KnownHostKey {
  readonly keyType: string;
  readonly key: Buffer;
  readonly line: number;
}

export interface KnownHostsEntry extends KnownHostKey {
  readonly marker: "revoked" | "cert-authority" | null;
  /** Plain patterns (comma list split) or null for a hashed entry. */
  readonly patterns: readonly string[] | null;
  readonly hashed: { readonly salt: Buffer; readonly hash: Buffer } | null;
}

export interface KnownHostsLookup {
  /** Keys pinned for the host (any of them is accepted). */
  readonly keys: readonly KnownHostKey[];
  /** Keys that must be refused even if also pinned. */
  readonly revoked: readonly KnownHostKey[];
}

export type HostKeyVerdict = { ok: true } | { ok: false; reason: "unknown" | "mismatch" | "revoked" };

export class KnownHosts {
  constructor(
    readonly entries: readonly KnownHostsEntry[],
    /** 1-based numbers of lines that could not be parsed (skipped, as OpenSSH does). */
    readonly invalidLines: readonly number[] = [],
  ) {}

  static parse(text: string): KnownHosts {
    const entries: KnownHostsEntry[] = [];
    const invalid: number[] = [];
    text.split(/\r?\n/).forEach((raw, index) => {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) return;
      const entry = parseLine(line, index + 1);
      if (entry === null) invalid.push(index + 1);
      else entries.push(entry);
    });
    return new KnownHosts(entries, invalid);
  }

  static read(path: string): KnownHosts {
    return KnownHosts.parse(fs.readFileSync(path, "utf8"));
  }

  lookup(host: string, port: number): KnownHostsLookup {
    const name = hostKeyName(host, port);
    const keys: KnownHostKey[] = [];
    const revoked: KnownHostKey[] = [];
    for (const entry of this.entries) {
      if (entry.marker === "cert-authority" || !entryMatches(entry, name)) continue;
      (entry.marker === "revoked" ? revoked : keys).push({ keyType: entry.keyType, key: entry.key, line: entry.line });
    }
    return { keys, revoked };
  }

  verify(host: string, port: number, offered: Buffer): HostKeyVerdict {
    const { keys, revoked } = this.lookup(host, port);
    // Stricter than OpenSSH, which scopes @revoked to the line's patterns: a key
    // revoked anywhere in the file is not trusted for any host.
    const revokedAnywhere = this.entries.some((e) => e.marker === "revoked" && e.key.equals(offered));
    if (revokedAnywhere || revoked.some((k) => k.key.equals(offered))) return { ok: false, reason: "revoked" };
    if (keys.length === 0) return { ok: false, reason: "unknown" };
    return keys.some((k) => k.key.equals(offered)) ? { ok: true } : { ok: false, reason: "mismatch" };
  }
}

/** The name OpenSSH writes and looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostKeyName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** Hash a host name the way `ssh-keygen -H` does, e.g. to write test fixtures. */
export function hashKnownHostName(name: string, salt: Buffer): string {
  const hash = createHmac("sha1", salt).update(name).digest();
  return `|1|${salt.toString("base64")}|${hash.toString("base64")}`;
}

function parseLine(line: string, lineNo: number): KnownHostsEntry | null {
  const fields = line.split(/\s+/);
  let marker: KnownHostsEntry["marker"] = null;
  if (fields[0]?.startsWith("@") === true) {
    if (fields[0] === "@revoked") marker = "revoked";
    else if (fields[0] === "@cert-authority") marker = "cert-authority";
    else return null;
    fields.shift();
  }
  const [hostField, keyType, keyText] = fields;
  if (hostField === undefined || keyType === undefined || keyText === undefined) return null;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keyText)) return null;
  const key = Buffer.from(keyText, "base64");
  if (!keyBlobHasType(key, keyType)) return null;
  if (hostField.startsWith("|")) {
    const m = /^\|1\|([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)$/.exec(hostField);
    if (m === null) return null;
    return { marker, patterns: null, hashed: { salt: Buffer.from(m[1]!, "base64"), hash: Buffer.from(m[2]!, "base64") }, keyType, key, line: lineNo };
  }
  return { marker, patterns: hostField.split(","), hashed: null, keyType, key, line: lineNo };
}

/** The blob starts with its own type name: catches a line whose type field and key disagree. */
function keyBlobHasType(key: Buffer, keyType: string): boolean {
  if (key.length < 4) return false;
  const len = key.readUInt32BE(0);
  return len === Buffer.byteLength(keyType) && key.subarray(4, 4 + len).toString("latin1") === keyType;
}

function entryMatches(entry: KnownHostsEntry, name: string): boolean {
  if (entry.hashed !== null) {
    const hash = createHmac("sha1", entry.hashed.salt).update(name).digest();
    return hash.length === entry.hashed.hash.length && timingSafeEqual(hash, entry.hashed.hash);
  }
  let matched = false;
  for (const raw of entry.patterns ?? []) {
    const negated = raw.startsWith("!");
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (!globMatch(pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function globMatch(pattern: string, text: string): boolean {
  const re = pattern.replace(/[.+^${}()|\\[\]]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(text);
}
