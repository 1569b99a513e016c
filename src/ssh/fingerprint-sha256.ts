import { createHash } from "node:crypto";

/** OpenSSH's form (`ssh-keygen -lf`): `SHA256:` + unpadded base64 of the raw key blob's digest. */
export function fingerprintSha256(keyBytes: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBytes).digest("base64").replace(/=+$/, "")}`;
}
