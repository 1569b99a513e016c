import path from "node:path";
import { freePort } from "../sim/process/free-port";
import { postSlashCommand } from "../sim/slack/slack-signer";
import type { BenchBed } from "./bench-bed";
import { SIGNING_SECRET, type BenchBot } from "./bench-bot";
import { startChild } from "./child-process";
import { cpuMs } from "./cpu-meter";
import { median, p99, summarize, type Summary } from "./stats";

export interface AckLatencyResult {
  /** The bot process (`node dist/src/main.js`, ROLE=bot): a dry run of the DIRAC intervention per command. */
  readonly real: Summary;
  /** A bare Bolt app in a process of its own whose handler only acks. */
  readonly bare: Summary;
  /** Median over rounds of (p99 of the real app's round / p99 of the bare app's round next to it): robust to a noisy round. */
  readonly pairedP99Ratio: number;
  readonly concurrency: number;
  readonly rounds: number;
  /** CPU of the app's process per command (request, ack, and for the bot the dry run and its answer after the ack). */
  readonly cpuMsPerCommand: { readonly real: number; readonly bare: number };
  /** Commands answered with something other than the plan preview (should be 0: each must plan). */
  readonly errorAnswers: number;
}

/** A dry run's answer is the plan preview; a refusal would be an error message instead. */
function isPlanPreview(body: Record<string, unknown>): boolean {
  return /dry run/i.test(JSON.stringify(body).slice(0, 2000));
}

/** The floor, in a process of its own like the bot: the same HTTP receiver and signature check, and a handler that does nothing but ack. */
async function startBareBolt(apiUrl: string, nodePath: string, logDir: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = await startChild({
    args: [path.join(__dirname, "bare-bolt-process.js"), String(port), SIGNING_SECRET, apiUrl],
    env: { ...process.env, NODE_PATH: nodePath },
    logFile: path.join(logDir, "bare-bolt.log"),
    ready: /ready/,
  });
  return { url: `http://127.0.0.1:${port}/slack/events`, pid: child.pid, stop: () => child.stop() };
}

/**
 * `concurrency` signed `/dirac intervention cluster=... --dry-run` commands at
 * once (client-side time to the HTTP response, i.e. the ack), against the bot
 * and the bare app in alternating order, round after round. After a round on
 * the bot, its answers (posted to response_url after the ack) are awaited, so
 * no round overlaps another's work.
 */
export async function measureAckLatency(
  bed: BenchBed,
  bot: BenchBot,
  rounds: number,
  where: { readonly nodePath: string; readonly logDir: string },
  concurrency = 50,
): Promise<AckLatencyResult> {
  const bare = await startBareBolt(bot.fake.apiUrl, where.nodePath, where.logDir);
  const samples = { real: [] as number[], bare: [] as number[] };
  const roundP99 = { real: [] as number[], bare: [] as number[] };
  const cpu = { real: 0, bare: 0 };
  let ids = 0;
  const batch = async (which: "real" | "bare", record: boolean): Promise<void> => {
    const [url, pid] = which === "real" ? [bot.eventsUrl, bot.pid] : [bare.url, bare.pid];
    const sent = Array.from({ length: concurrency }, (_, i) => ({ id: `ack-${which}-${ids++}`, cluster: bed.throughputClusters[i % bed.throughputClusters.length]! }));
    const cpuBefore = cpuMs(pid) ?? 0;
    const results = await Promise.all(
      sent.map(({ id, cluster }) =>
        postSlashCommand(url, SIGNING_SECRET, {
          command: "/dirac",
          text: `intervention cluster=${cluster} --dry-run`,
          channel_id: bed.inventory.clusters[cluster]!.channel,
          user_id: "U0REQUESTER",
          response_url: bot.fake.responseUrl(id),
        }),
      ),
    );
    for (const r of results) if (r.status !== 200) throw new Error(`bench: slash command answered ${r.status}: ${r.body}`);
    if (which === "real") await bot.fake.waitForResponses(new Set(sent.map((s) => s.id)), "ack-real-", 60_000);
    if (!record) return;
    cpu[which] += (cpuMs(pid) ?? 0) - cpuBefore;
    const elapsed = results.map((r) => r.elapsedMs);
    samples[which].push(...elapsed);
    roundP99[which].push(p99(elapsed));
  };
  try {
    await batch("bare", false);
    await batch("real", false);
    for (let r = 0; r < rounds; r++) {
      const order: Array<"real" | "bare"> = r % 2 === 0 ? ["bare", "real"] : ["real", "bare"];
      for (const which of order) await batch(which, true);
    }
  } finally {
    await bare.stop();
  }
  const errorAnswers = (await bot.fake.responses("ack-real-")).filter((r) => !isPlanPreview(r.body)).length;
  const commands = rounds * concurrency;
  return {
    real: summarize(samples.real),
    bare: summarize(samples.bare),
    pairedP99Ratio: median(roundP99.real.map((real, i) => real / roundP99.bare[i]!)),
    concurrency,
    rounds,
    errorAnswers,
    cpuMsPerCommand: { real: cpu.real / commands, bare: cpu.bare / commands },
  };
}
