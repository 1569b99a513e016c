import net from "node:net";
import { eventuallyTrue } from "../../../helpers/eventually";

/**
 * The commands Redis received while `during` ran, in order, each as its
 * arguments (commands inside scripts included), read off MONITOR on a socket
 * of its own. Not ioredis's `monitor()`: with other clients connecting at the
 * same time (test files run side by side on one Redis) it mistook the feed
 * for replies ("Command queue state error").
 */
export async function monitorDuring(redisUrl: string, during: () => Promise<void>): Promise<string[][]> {
  return (await monitorClientsDuring(redisUrl, during)).map((c) => c.args);
}

/** One command as MONITOR shows it: who sent it (`127.0.0.1:43424`, or `lua` inside a script) and its arguments. */
export interface Monitored {
  readonly client: string;
  readonly args: string[];
}

/** As `monitorDuring`, with the client of each command. */
export async function monitorClientsDuring(redisUrl: string, during: () => Promise<void>): Promise<Monitored[]> {
  const url = new URL(redisUrl);
  const socket = net.connect(Number(url.port), url.hostname);
  const seen: Monitored[] = [];
  let buffered = "";
  let on = false;
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf("\r\n")) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (line === "+OK") on = true;
      // +1796563391.256714 [0 127.0.0.1:43424] "evalsha" "…" "2" "key" …
      else if (line.startsWith("+")) seen.push({ client: /^\+\S+ \[\d+ ([^\]]+)\]/.exec(line)?.[1] ?? "", args: [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!) });
    }
  });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  socket.write("MONITOR\r\n");
  try {
    await eventuallyTrue("MONITOR is on", () => on);
    await during();
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    socket.destroy();
  }
  return seen;
}
