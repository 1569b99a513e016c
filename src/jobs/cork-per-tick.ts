import type { Socket } from "node:net";
import type Redis from "ioredis";

const CORKED = Symbol("intervene.corkedPerTick");

/**
 * Gathers the commands a connection sends within one tick into one socket
 * write (issue 13). ioredis writes each command as it is sent, one system
 * call each; under load many runs' commands are sent in the same tick (a
 * read brings several replies, and each resumes a run that sends its next
 * command), and on loopback most of a worker's CPU went into those writes
 * (bench CPU profile: `writeBuffer`/`writeUtf8String` under `sendCommand`).
 *
 * The socket is corked at the first write of a tick and uncorked in
 * `process.nextTick`, which runs before the event loop goes on: a command
 * waits for the rest of the current operation, not for I/O or timers.
 * (ioredis's own auto-pipelining waits for `setImmediate`, a loop turn,
 * which made a 100-host fan-out 15-20 % slower in the bench.) The order of
 * commands on the connection, and so of their replies, is unchanged.
 */
export function corkPerTick(redis: Redis): Redis {
  redis.on("connect", () => {
    const stream = redis.stream as (Socket & { [CORKED]?: true }) | undefined;
    if (stream === undefined || stream[CORKED] === true) return;
    stream[CORKED] = true;
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    let corked = false;
    const uncork = (): void => {
      corked = false;
      stream.uncork();
    };
    stream.write = ((...args: unknown[]): boolean => {
      if (!corked) {
        corked = true;
        stream.cork();
        process.nextTick(uncork);
      }
      return write(...args);
    });
  });
  return redis;
}
