import { randomBytes } from "node:crypto";

/**
 * Makes ids that no other call in any process makes: a random prefix drawn
 * once per source (96 bits), then a counter. They name a holder or a write
 * (a step's lease, an SSH slot, a run record's write) and are never secrets:
 * whoever can write them into Redis can do anything there already. Drawing 8
 * or 9 random bytes per id instead cost a worker three calls into OpenSSL per
 * step (issue 13: `randomFillSync` was among the worker's top functions in the
 * bench's CPU profile).
 */
export function uniqueIds(): () => string {
  const prefix = randomBytes(12).toString("base64url");
  let next = 0;
  return () => `${prefix}.${(next++).toString(36)}`;
}
