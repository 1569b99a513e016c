import type { Writable } from "node:stream";

const COALESCED = Symbol("intervene.coalescedWrites");

type CoalescibleSocket = Writable & { [COALESCED]?: true };

/**
 * Sends what is written to `socket` in one tick as one write (issue 13).
 *
 * ioredis writes every command to its socket as it is sent, so a worker
 * that sends a step's lease, its SSH slot and the write that begins it in one
 * synchronous block made three `write` system calls, and Redis woke up to read
 * each. On a loopback socket each such call does the receiver's part of TCP
 * too and wakes it: about 0.1 ms of a step's latency apiece on the bench's
 * 2 cores (measured with marks in the worker). The first write of a tick corks
 * the socket and the end of the tick (`process.nextTick`, before any I/O or
 * timer) uncorks it, so Node hands the kernel everything at once (`writev`).
 * The order of the bytes is untouched, and nothing waits longer than the code
 * that is running already takes: what is written after an `await` goes out
 * in a write of its own, as before. node-redis does the same per tick.
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
      process.nextTick(uncork);
    }
    return (write as (...a: Parameters<Writable["write"]>) => boolean)(...args);
  }) as Writable["write"];
}
