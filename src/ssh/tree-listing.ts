/**
 * What the copy verifier knows about one side of a tree: every entry's type
 * and mode (from GNU `find -printf '%y %m %s %P\0'`) and every regular file's
 * sha256 (from `sha256sum`, whose names are escaped when they hold `\` or a
 * newline).
 */
export interface TreeEntry {
  /** find's %y: f file, d directory, l symlink... */
  readonly type: string;
  /** Octal permission bits as find prints them, e.g. "644". */
  readonly mode: string;
  readonly size: number;
}

export interface TreeListing {
  /** Keyed by path relative to the root; the root itself is "". */
  readonly entries: ReadonlyMap<string, TreeEntry>;
  readonly sha256: ReadonlyMap<string, string>;
}

/** Separates the NUL-terminated entries from the checksum lines: an empty record cannot occur otherwise. */
export const LISTING_SEPARATOR = "\0\0";

export function parseTreeListing(stdout: string): TreeListing {
  const split = stdout.indexOf(LISTING_SEPARATOR);
  if (split < 0) throw new Error("tree listing has no separator between entries and checksums");
  const entries = new Map<string, TreeEntry>();
  for (const record of stdout.slice(0, split + 1).split("\0")) {
    if (record === "") continue;
    const m = /^(\S) ([0-7]+) (\d+) ([\s\S]*)$/.exec(record);
    if (m === null) throw new Error(`unparsable tree entry ${JSON.stringify(record)}`);
    entries.set(m[4]!, { type: m[1]!, mode: m[2]!, size: Number(m[3]) });
  }
  const sha256 = new Map<string, string>();
  for (const line of stdout.slice(split + LISTING_SEPARATOR.length).split("\n")) {
    if (line === "") continue;
    const m = /^(\\?)([0-9a-f]{64}) [ *]([\s\S]*)$/.exec(line);
    if (m === null) throw new Error(`unparsable sha256sum line ${JSON.stringify(line)}`);
    const name = m[1] === "\\" ? unescapeSha256sumName(m[3]!) : m[3]!;
    sha256.set(relativeName(name), m[2]!);
  }
  return { entries, sha256 };
}

function relativeName(name: string): string {
  if (name === "-" || name === ".") return "";
  return name.startsWith("./") ? name.slice(2) : name;
}

function unescapeSha256sumName(name: string): string {
  return name.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c === "r" ? "\r" : c));
}
