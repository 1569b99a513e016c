import type { Writable } from "node:stream";

const COALESCED = Symbol("intervene.coalescedWrites");

type CoalescibleSocket = Writable & { [COALESCED]?: true };

/**
 * Sends what the running code writes to `socket` before its next microtask
 * runs as one write (issue 13).
 *
 * ioredis writes every command to its socket as it is sent, so a worker
 * that sends a step's lease, its SSH slot and the write that begins it in one
 * synchronous block made three `write` system calls, and Redis woke up to read
 * each. On a loopback socket each such call does the receiver's part of TCP
 * too and wakes it: about 0.1 ms of a step's latency apiece on the bench's
 * 2 cores (measured with marks in the worker). The first write corks the
 * socket and a microtask queued then uncorks it, so Node hands the kernel
 * what the running code wrote meanwhile at once (`writev`). The order of the
 * bytes is untouched. A microtask rather than `process.nextTick`: a write made
 * inside a promise chain would otherwise wait for every microtask queued
 * after it (the rest of the chain, up to its next real wait) before it left.
 * What is written after an `await` of I/O goes out in a write of its own, as
 * before. node-redis v4's socket corks the same way (`RedisSocket.cork`: cork,
 * then uncork in a microtask).
 */
export function coalesceSocketWrites(socket: Writable): void {
  const target = socket as CoalescibleSocket;
  if (target[COALESCED] === true) return;
  target[COALESCED] = true;
  const write = socket.write.bind(socket);
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  socket.write = ((...args: Parameters<Writable["write"]>): boolean => {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      queueMicrotask(uncork);
    }
    return (write as (...a: Parameters<Writable["write"]>) => boolean)(...args);
  }) as Writable["write"];
}
