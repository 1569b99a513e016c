import type { ServerResponse } from "node:http";
import type { CustomRoute } from "@slack/bolt";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { SlackFailure } from "../bot/notifier/slack-api";
import type { RunEvent, RunRecord, RunState } from "../jobs";
import type { SshPoolStats } from "../ssh";
import type { QueueDepth } from "./metrics-queue-depth";

/** Where scrape-time gauges read from; each is optional (a worker-only process has no engine API). */
export interface MetricsSources {
  /** Active runs (the store's `active` set). */
  readonly activeRuns?: () => Promise<readonly RunRecord[]>;
  readonly pool?: { stats(): SshPoolStats };
  readonly queues?: () => Promise<readonly QueueDepth[]>;
}

const ACTIVE_STATES: readonly RunState[] = ["planned", "running", "awaiting_approval", "awaiting_confirmation", "paused"];
/** Steps run from well under a second (status checks) to many minutes (waits, upgrades). */
const STEP_SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export type SlackCallOutcome = "ok" | SlackFailure["kind"];

/**
 * The process's Prometheus metrics (`GET /metrics`). Counters move with run
 * events this process hears (every bot process hears every event, so sum
 * them per deployment with care); gauges are read at scrape time from the
 * run store, BullMQ and the SSH pool. One registry per instance, so tests can
 * run several in one process.
 */
export class InterveneMetrics {
  readonly registry = new Registry();
  private sources: MetricsSources = {};
  private readonly runsStarted: Counter<"procedure">;
  private readonly runsFinished: Counter<"procedure" | "state">;
  private readonly steps: Counter<"procedure" | "outcome">;
  private readonly stepSeconds: Histogram<"procedure" | "outcome">;
  private readonly slackCalls: Counter<"method" | "outcome">;
  private readonly slackErrors: Counter<"method" | "kind">;
  private readonly slackRateLimited: Counter<"method">;
  private readonly sshConnects: Counter;
  private lastConnectsTotal = 0;
  /** A step's finish can be heard twice (a replayed event): count it once. */
  private readonly countedSteps = new Set<string>();

  constructor(options: { readonly defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: "intervene_" });
    this.runsStarted = new Counter({ name: "intervene_runs_started_total", help: "Runs created, by procedure", labelNames: ["procedure"], registers });
    this.runsFinished = new Counter({ name: "intervene_runs_finished_total", help: "Runs that reached a final state (succeeded, failed, aborted)", labelNames: ["procedure", "state"], registers });
    this.steps = new Counter({ name: "intervene_steps_total", help: "Steps that finished, by outcome (succeeded, failed, skipped, interrupted)", labelNames: ["procedure", "outcome"], registers });
    this.stepSeconds = new Histogram({ name: "intervene_step_duration_seconds", help: "Time from a step's start to its end", labelNames: ["procedure", "outcome"], buckets: STEP_SECONDS_BUCKETS, registers });
    this.slackCalls = new Counter({ name: "intervene_slack_api_calls_total", help: "Slack Web API calls made by the notifier, by outcome", labelNames: ["method", "outcome"], registers });
    this.slackErrors = new Counter({ name: "intervene_slack_api_errors_total", help: "Failed Slack Web API calls, by kind (rate-limited, ambiguous, fatal)", labelNames: ["method", "kind"], registers });
    this.slackRateLimited = new Counter({ name: "intervene_slack_api_rate_limited_total", help: "Slack Web API calls answered 429", labelNames: ["method"], registers });
    this.sshConnects = new Counter({ name: "intervene_ssh_connects_total", help: "SSH connections opened by the pool", registers });

    // Two gauges read the active runs on every scrape: one Redis read serves both.
    let recent: { at: number; runs: Promise<readonly RunRecord[] | undefined> } | undefined;
    const activeRuns = (): Promise<readonly RunRecord[] | undefined> => {
      if (recent === undefined || Date.now() - recent.at > 1000) recent = { at: Date.now(), runs: this.read(this.sources.activeRuns) };
      return recent.runs;
    };
    const queueDepths = (): Promise<readonly QueueDepth[] | undefined> => this.read(this.sources.queues);
    const poolStats = (): SshPoolStats | undefined => this.sources.pool?.stats();
    const countConnects = (total: number): void => this.countConnects(total);
    new Gauge({
      name: "intervene_runs",
      help: "Active runs by state (from the run store)",
      labelNames: ["state"],
      registers,
      async collect() {
        const runs = await activeRuns();
        if (runs === undefined) return;
        for (const state of ACTIVE_STATES) this.set({ state }, runs.filter((r) => r.state === state).length);
      },
    });
    new Gauge({
      name: "intervene_pending_approvals",
      help: "Approval gates open now",
      registers,
      async collect() {
        const runs = await activeRuns();
        if (runs !== undefined) this.set(runs.filter((r) => r.state === "awaiting_approval").length);
      },
    });
    new Gauge({
      name: "intervene_queue_jobs",
      help: "BullMQ jobs by queue and state",
      labelNames: ["queue", "state"],
      registers,
      async collect() {
        const depths = await queueDepths();
        this.reset();
        for (const d of depths ?? []) this.set({ queue: d.queue, state: d.state }, d.count);
      },
    });
    new Gauge({
      name: "intervene_ssh_connections",
      help: "SSH pool connections by state",
      labelNames: ["state"],
      registers,
      collect() {
        const stats = poolStats();
        if (stats === undefined) return;
        this.set({ state: "open" }, stats.openConnections);
        this.set({ state: "connecting" }, stats.connecting);
        countConnects(stats.connectsTotal);
      },
    });
    new Gauge({
      name: "intervene_ssh_channels",
      help: "SSH channels in use, commands waiting for one, and long-lived shells waiting for a command",
      labelNames: ["state"],
      registers,
      collect() {
        const stats = poolStats();
        if (stats === undefined) return;
        this.set({ state: "busy" }, stats.busyChannels);
        this.set({ state: "queued" }, stats.queued);
        this.set({ state: "idle_shell" }, stats.idleShells);
      },
    });
  }

  /** Scrape-time sources, set once the engine, pool and queues exist. */
  setSources(sources: MetricsSources): void {
    this.sources = { ...this.sources, ...sources };
  }

  observe(event: RunEvent): void {
    switch (event.type) {
      case "run.created":
        this.runsStarted.inc({ procedure: event.run.plan.procedureId });
        return;
      case "run.finished":
        this.runsFinished.inc({ procedure: event.run.plan.procedureId, state: event.run.state });
        return;
      case "step.finished": {
        const record = event.run.steps[event.stepIndex];
        if (record === undefined) return;
        const key = `${event.run.id}:${event.stepIndex}:${record.attempt}:${record.state}`;
        if (this.countedSteps.has(key)) return;
        this.countedSteps.add(key);
        if (this.countedSteps.size > 10_000) this.countedSteps.clear();
        const labels = { procedure: event.run.plan.procedureId, outcome: record.state };
        this.steps.inc(labels);
        const started = Date.parse(record.startedAt ?? "");
        const finished = Date.parse(record.finishedAt ?? "");
        if (Number.isFinite(started) && Number.isFinite(finished) && finished >= started) this.stepSeconds.observe(labels, (finished - started) / 1000);
        return;
      }
      default:
        return;
    }
  }

  /** One Slack Web API call's outcome (the notifier's calls: posts, updates, look-ups). */
  slackCall(method: string, failure: SlackFailure | undefined): void {
    const outcome: SlackCallOutcome = failure === undefined ? "ok" : failure.kind;
    this.slackCalls.inc({ method, outcome });
    if (failure === undefined) return;
    this.slackErrors.inc({ method, kind: failure.kind });
    if (failure.kind === "rate-limited") this.slackRateLimited.inc({ method });
  }

  /** `GET /metrics` in Prometheus' text format. */
  route(): CustomRoute {
    return {
      path: "/metrics",
      method: ["GET"],
      handler: (_req, res: ServerResponse) => {
        this.registry.metrics().then(
          (text) => {
            res.writeHead(200, { "Content-Type": this.registry.contentType });
            res.end(text);
          },
          (err: unknown) => {
            res.writeHead(500, { "Content-Type": "text/plain" });
            res.end(`metrics unavailable: ${err instanceof Error ? err.message : String(err)}\n`);
          },
        );
      },
    };
  }

  private countConnects(total: number): void {
    if (total > this.lastConnectsTotal) this.sshConnects.inc(total - this.lastConnectsTotal);
    this.lastConnectsTotal = total;
  }

  /** A source that fails or hangs (Redis down) leaves its gauge out of this scrape instead of failing it. */
  private async read<T>(source: (() => Promise<T>) | undefined): Promise<T | undefined> {
    if (source === undefined) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), SOURCE_TIMEOUT_MS);
    });
    try {
      return await Promise.race([source().catch(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

const SOURCE_TIMEOUT_MS = 2000;
