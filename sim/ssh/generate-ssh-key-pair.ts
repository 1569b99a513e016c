import { utils } from "ssh2";

export interface SshKeyPair {
  /** OpenSSH private key (PEM-like `-----BEGIN OPENSSH PRIVATE KEY-----`). */
  readonly privateKey: string;
  /** `ssh-ed25519 AAAA...` without a comment: the form known_hosts and authorized_keys lines use. */
  readonly publicKey: string;
}

/** Far above the observed failure rate (about 1 in 256 calls): a loop this long means something else is wrong. */
const MAX_TRIES = 32;

/**
 * An ed25519 key pair that ssh2 itself can read back. ssh2 1.17's
 * `utils.generateKeyPairSync("ed25519")` returns, about once in 256 calls, a
 * private key that its own parser rejects ("Malformed OpenSSH private key";
 * mscdex/ssh2 issues #1390 and #1513), which made about 4-5% of demo starts
 * fail. So every key the kit generates comes from here: generate, parse both
 * halves, and generate again until both parse.
 */
export function generateSshKeyPair(comment = ""): SshKeyPair {
  let lastProblem = "";
  for (let i = 0; i < MAX_TRIES; i++) {
    const pair = utils.generateKeyPairSync("ed25519", { comment });
    const publicKey = pair.public.trim().split(/\s+/).slice(0, 2).join(" ");
    const parsedPrivate = utils.parseKey(pair.private);
    const parsedPublic = utils.parseKey(publicKey);
    if (!(parsedPrivate instanceof Error) && !(parsedPublic instanceof Error)) return { privateKey: pair.private, publicKey };
    lastProblem = parsedPrivate instanceof Error ? parsedPrivate.message : parsedPublic instanceof Error ? parsedPublic.message : "";
  }
  throw new Error(`ssh2 generated ${MAX_TRIES} ed25519 keys in a row that it cannot parse (last: ${lastProblem})`);
}
