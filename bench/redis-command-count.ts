import Redis from "ioredis";

/** Total calls of every command so far, from `INFO commandstats` (INFO itself left out: the bench sends it). */
export async function commandCalls(redis: Redis): Promise<number> {
  const info = await redis.info("commandstats");
  let total = 0;
  for (const m of info.matchAll(/^cmdstat_([a-z|_-]+):calls=(\d+)/gm)) if (m[1] !== "info") total += Number(m[2]);
  return total;
}

/** Bytes Redis has read from all its clients so far (`INFO stats` total_net_input_bytes). */
export async function bytesIn(redis: Redis): Promise<number> {
  return statsCounter(redis, "total_net_input_bytes");
}

/**
 * Reads Redis has made from its clients' sockets so far (`INFO stats`
 * total_reads_processed): one per batch a client's write delivered, so fewer
 * than commands when clients send several at once.
 */
export async function readsProcessed(redis: Redis): Promise<number> {
  return statsCounter(redis, "total_reads_processed");
}

async function statsCounter(redis: Redis, name: string): Promise<number> {
  const m = new RegExp(`^${name}:(\\d+)`, "m").exec(await redis.info("stats"));
  return m === null ? Number.NaN : Number(m[1]);
}

export interface CommandSplit {
  /** Commands touching intervene's own keys or channels (run store, locks, approvals, audit, events). */
  readonly ours: number;
  /** Commands touching BullMQ's keys (`<prefix>:bq:*`): its Lua scripts, markers, blocking pops. */
  readonly bullmq: number;
  /** Connection housekeeping without keys: PING, CLIENT, SELECT, SCRIPT LOAD, INFO. */
  readonly other: number;
  /** The commands seen most, `name owner: count`, for the notes. */
  readonly top: readonly string[];
  /**
   * Commands sent by clients, i.e. round trips (every one a socket write and
   * read on both sides): the counts above also hold the commands scripts run
   * inside Redis (MONITOR's source `lua`), which cost no round trip.
   */
  readonly sent: number;
  /** The sent commands seen most, `name owner @connection: count` (the connection by its CLIENT SETNAME, e.g. intervene-worker-w1a2b3). */
  readonly topSent: readonly string[];
}

/**
 * Counts who sent what while `during` runs, through MONITOR on a connection of
 * its own: a command is BullMQ's when one of its arguments is a BullMQ key
 * (`<prefix>:bq:`), ours when one is under `<prefix>:` otherwise. MONITOR
 * slows Redis down, so the phase it watches is not a timed one.
 */
export async function splitCommands(redisUrl: string, prefix: string, during: () => Promise<void>): Promise<CommandSplit> {
  const client = new Redis(redisUrl, { lazyConnect: true });
  await client.connect();
  const monitor = await client.monitor();
  const counts = { ours: 0, bullmq: 0, other: 0 };
  const byName = new Map<string, number>();
  const sentByName = new Map<string, number>();
  let sent = 0;
  const bq = `${prefix}:bq:`;
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    const name = (args[0] ?? "").toLowerCase();
    if (name === "monitor") return;
    const owner = args.some((a) => a.startsWith(bq)) ? "bullmq" : args.some((a) => a.startsWith(`${prefix}:`)) ? "ours" : "other";
    counts[owner]++;
    const key = `${name} ${owner}`;
    byName.set(key, (byName.get(key) ?? 0) + 1);
    if (source === "lua") return;
    sent++;
    const sentKey = `${key} @${source}`;
    sentByName.set(sentKey, (sentByName.get(sentKey) ?? 0) + 1);
  });
  // Who is behind each address, by the names connections give themselves (openRedis's connectionName).
  let clientNames = new Map<string, string>();
  try {
    await during();
    // MONITOR lines trail the commands a little: let the last ones arrive.
    await new Promise((resolve) => setTimeout(resolve, 300));
    clientNames = await namesByAddress(redisUrl);
  } finally {
    monitor.disconnect();
    client.disconnect();
  }
  const ranked = (counts: Map<string, number>): string[] => [...counts].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k}: ${v}`);
  // Connections of one kind (every worker's store connection, say) counted together: their ids left out.
  const named = new Map<string, number>();
  for (const [k, v] of sentByName) {
    const at = k.lastIndexOf(" @");
    const who = (clientNames.get(k.slice(at + 2)) ?? "unnamed").replace(/-w[0-9a-f]{6}\b/, "-w*");
    const key = `${k.slice(0, at)} @${who}`;
    named.set(key, (named.get(key) ?? 0) + v);
  }
  return { ...counts, top: ranked(byName), sent, topSent: ranked(named) };
}

/** CLIENT LIST's `addr` -> `name` (empty names left out). */
async function namesByAddress(redisUrl: string): Promise<Map<string, string>> {
  const client = new Redis(redisUrl, { lazyConnect: true });
  try {
    await client.connect();
    const list = (await client.client("LIST")) as string;
    const names = new Map<string, string>();
    for (const line of list.split("\n")) {
      const addr = /(?:^| )addr=(\S+)/.exec(line)?.[1];
      const name = /(?:^| )name=(\S+)/.exec(line)?.[1];
      if (addr !== undefined && name !== undefined && name !== "") names.set(addr, name);
    }
    return names;
  } finally {
    client.disconnect();
  }
}
