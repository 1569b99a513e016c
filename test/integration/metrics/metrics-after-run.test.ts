import fs from "node:fs";
import { startDemo, type Demo } from "../../../demo/start-demo";
import { getTestbed } from "../../helpers/testbed";
import { approveToEnd, eventually, requestRecoverSlave } from "./demo-run";

jest.setTimeout(180_000);

/** `name{a="x",b="y"} 3` lines of the Prometheus text format, by series. */
function parseMetrics(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (m !== null) series.set(`${m[1]}${m[2] ?? ""}`, Number(m[3]));
  }
  return series;
}

function value(metrics: Map<string, number>, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const [key, v] of metrics) {
    if (!key.startsWith(`${name}{`) && key !== name) continue;
    if (wanted.every((w) => key.includes(w))) return v;
  }
  return undefined;
}

describe("operations routes of a running bot (the demo stack: real Redis, BullMQ, in-process SSH, console as Slack)", () => {
  let demo: Demo;
  const logLines: string[] = [];
  const scrape = async (): Promise<Map<string, number>> => {
    const res = await fetch(`${demo.opsUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    return parseMetrics(await res.text());
  };

  beforeAll(async () => {
    // trace: the most the code ever logs, so the secret scan below has the most to read.
    demo = await startDemo({ port: 0, redisUrl: getTestbed().redisUrl, dirac: false, logLevel: "trace", logDestination: { write: (line: string) => void logLines.push(line) } });
  });
  afterAll(async () => {
    await demo?.stop();
  });

  it("is ready once Redis answers and Slack auth is done", async () => {
    const res = await fetch(`${demo.opsUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ready: true, checks: { redis: "ok", slack: "ok" } });
  });

  it("counts the run, its steps and their durations, open approvals, Slack 429s and SSH connections after a recovery", async () => {
    const before = await scrape();
    expect(value(before, "intervene_runs_started_total")).toBeUndefined();
    expect(value(before, "intervene_pending_approvals")).toBe(0);

    // The next run-message update is answered 429: the notifier must wait and the counter must move.
    demo.console.webApi.failNext("chat.update", { status: 429, retryAfterSeconds: 1 });
    const started = await requestRecoverSlave(demo);
    let duringGate: Map<string, number> | undefined;
    const run = await approveToEnd(demo, started.id, async () => {
      duringGate ??= await scrape();
    });
    expect(run.state).toBe("succeeded");
    expect(duringGate === undefined ? undefined : value(duringGate, "intervene_pending_approvals")).toBe(1);
    expect(duringGate === undefined ? undefined : value(duringGate, "intervene_runs", { state: "awaiting_approval" })).toBe(1);

    // Thread replies are paced (about one post a second per channel): wait for the last one, the summary.
    await eventually("the final thread reply", () => demo.console.store.allMessages().find((m) => m.threadTs !== undefined && m.text === `${run.plan.procedureTitle} on ${run.plan.cluster}: succeeded`), 90_000);
    const procedure = { procedure: "leofs.recover-manager" };
    const steps = run.plan.steps.length;
    // Counters move with run events, which arrive over Redis pub/sub just after the state change.
    const after = await eventually("the run's events to be counted", async () => {
      const m = await scrape();
      return value(m, "intervene_runs_finished_total", { ...procedure, state: "succeeded" }) === 1 && value(m, "intervene_steps_total", { ...procedure, outcome: "succeeded" }) === steps ? m : undefined;
    });
    expect(value(after, "intervene_runs_started_total", procedure)).toBe(1);
    expect(value(after, "intervene_step_duration_seconds_count", { ...procedure, outcome: "succeeded" })).toBe(steps);
    expect(value(after, "intervene_step_duration_seconds_sum", { ...procedure, outcome: "succeeded" })).toBeGreaterThan(0);
    expect(value(after, "intervene_pending_approvals")).toBe(0);
    expect(value(after, "intervene_runs", { state: "running" })).toBe(0);
    expect(value(after, "intervene_queue_jobs", { queue: "steps", state: "waiting" })).toBe(0);
    expect(value(after, "intervene_queue_jobs", { queue: "steps", state: "active" })).toBe(0);
    expect(value(after, "intervene_slack_api_rate_limited_total", { method: "chat.update" })).toBe(1);
    expect(value(after, "intervene_slack_api_errors_total", { method: "chat.update", kind: "rate-limited" })).toBe(1);
    expect(value(after, "intervene_slack_api_calls_total", { method: "chat.postMessage", outcome: "ok" })).toBeGreaterThanOrEqual(1 + steps + 1);
    expect(value(after, "intervene_ssh_connects_total")).toBeGreaterThanOrEqual(2);
    expect(value(after, "intervene_ssh_connections", { state: "open" })).toBeGreaterThanOrEqual(1);
    expect(value(after, "intervene_process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("logs nothing of the secrets it runs with: bot token, signing secret, SSH private key", () => {
    const log = logLines.join("");
    // The scan means something only if the run was logged.
    expect(logLines.length).toBeGreaterThan(50);
    expect(log).toContain("slack: connected");
    expect(log).toContain("worker started");
    const key = fs.readFileSync(demo.secrets.privateKeyPath, "utf8");
    const keyLines = key.split("\n").filter((l) => l.length >= 20 && !l.startsWith("-----"));
    expect(keyLines.length).toBeGreaterThan(0);
    const leaks = [demo.secrets.botToken, demo.secrets.signingSecret, ...keyLines].filter((secret) => log.includes(secret));
    expect(leaks).toEqual([]);
  });
});
