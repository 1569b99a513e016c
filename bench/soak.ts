import { performance } from "node:perf_hooks";
import Redis from "ioredis";
import type { BenchBed } from "./bench-bed";
import type { BenchBot } from "./bench-bot";
import { BENCH_PROCEDURE_ID } from "./bench-procedure";
import { rssMb } from "./rss-sampler";
import { REQUESTER } from "./step-latency";

export interface SoakResult {
  readonly runs: number;
  /** Runs per second over the first and the last 1,000 finished runs. */
  readonly firstRunsPerSec: number;
  readonly lastRunsPerSec: number;
  /** last ÷ first: 1 when cost stays flat as history grows. */
  readonly throughputRatio: number;
  /** used_memory growth over the soak ÷ finished runs: what one kept run costs until retention drops it. */
  readonly redisBytesPerRun: number;
  readonly redisUsedMbAtEnd: number;
  /** Bytes in keys with no expiry at the end: what only trimming frees (BullMQ's finished jobs, by age), or a leak. */
  readonly redisBytesNeverExpiring: number;
  readonly keysNeverExpiring: number;
  /** Those keys by name pattern, with how many of each. */
  readonly neverExpiringPatterns: Readonly<Record<string, number>>;
  /** Resident size of each product process at the end (the bot's still holds its Slack backlog). */
  readonly rssMbAtEnd: Readonly<Record<string, number>>;
}

const WINDOW = 1000;

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await redis.info("memory"))?.[1] ?? Number.NaN);
}

/** Keys without a TTL, and their MEMORY USAGE, over a SCAN of the whole keyspace, by pattern (ids as `*`). */
async function neverExpiring(redis: Redis): Promise<{ keys: number; bytes: number; patterns: Record<string, number> }> {
  let cursor = "0";
  let keys = 0;
  let bytes = 0;
  const patterns: Record<string, number> = {};
  do {
    const [next, batch] = await redis.scan(cursor, "COUNT", 1000);
    cursor = next;
    for (const key of batch) {
      if ((await redis.pttl(key)) !== -1) continue;
      keys++;
      bytes += (await redis.memory("USAGE", key)) ?? 0;
      const pattern = key.replace(/[0-9a-f]{8}-[0-9a-f-]{27}|\b[0-9A-Za-z_-]{12,}\b|\b\d+\b/g, "*");
      patterns[pattern] = (patterns[pattern] ?? 0) + 1;
    }
  } while (cursor !== "0");
  return { keys, bytes, patterns };
}

/**
 * `npm run bench -- --soak`: `total` one-step runs, one active run per
 * cluster on every throughput cluster at once, each cluster starting its
 * next run as soon as the previous one ended, so history grows while the
 * load stays the same. Throughput is compared between the first and the
 * last 1,000 runs; memory and resident sizes are read at the end.
 */
export async function measureSoak(bed: BenchBed, bot: BenchBot, total: number, processes: ReadonlyMap<string, number>): Promise<SoakResult> {
  const redis = new Redis(bed.redis.url);
  try {
    const hosts = bed.throughputHosts;
    const clusters = bed.throughputClusters;
    const memoryBefore = await usedMemory(redis);
    const finishedAt: number[] = [];
    let started = 0;
    const began = performance.now();
    await Promise.all(
      clusters.map(async (cluster, i) => {
        const plan = await bot.engine.plan({ procedureId: BENCH_PROCEDURE_ID, cluster, params: { steps: [{ hosts: [hosts[i % hosts.length]!] }] } }, REQUESTER);
        while (started < total) {
          started++;
          const run = await bot.engine.start(plan, REQUESTER);
          const { run: final } = await bot.probe.runFinished(run.id);
          bot.probe.forget(run.id);
          if (final.state !== "succeeded") throw new Error(`bench soak: run ${run.id} ended ${final.state}: ${final.reason ?? ""}`);
          finishedAt.push(performance.now());
          if (finishedAt.length % 1000 === 0) process.stderr.write(`[bench soak] ${finishedAt.length}/${total} runs, ${((finishedAt.length / (performance.now() - began)) * 1000).toFixed(0)} runs/s\n`);
        }
      }),
    );
    // Not waiting for the bot's Slack backlog: runs finish far faster than Slack takes posts (one a
    // second per channel), and the soak is about the engine's cost as history grows.
    finishedAt.sort((a, b) => a - b);
    const rate = (from: number, to: number): number => ((to - from) / ((finishedAt[to - 1]! - (from === 0 ? began : finishedAt[from - 1]!)) / 1000));
    const first = rate(0, Math.min(WINDOW, finishedAt.length));
    const last = rate(Math.max(0, finishedAt.length - WINDOW), finishedAt.length);
    // `BENCH_HEAP_DIR=/tmp/heap npm run bench -- --soak`: a heap snapshot of the bot as the soak ends (what its backlog holds).
    const botPid = processes.get("bot");
    if (process.env.BENCH_HEAP_DIR !== undefined && botPid !== undefined) process.kill(botPid, "SIGUSR2");
    const memoryAfter = await usedMemory(redis);
    const never = await neverExpiring(redis);
    return {
      runs: finishedAt.length,
      firstRunsPerSec: first,
      lastRunsPerSec: last,
      throughputRatio: last / first,
      redisBytesPerRun: (memoryAfter - memoryBefore) / finishedAt.length,
      redisUsedMbAtEnd: memoryAfter / 2 ** 20,
      redisBytesNeverExpiring: never.bytes,
      keysNeverExpiring: never.keys,
      neverExpiringPatterns: never.patterns,
      rssMbAtEnd: Object.fromEntries([...processes].map(([name, pid]) => [name, Math.round(rssMb(pid) ?? 0)])),
    };
  } finally {
    redis.disconnect();
  }
}
