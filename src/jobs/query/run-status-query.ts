import type { DiracStatusQuery } from "../../procedures/dirac/dirac-status-query";
import type { LeofsStatusQuery } from "../../procedures/leofs/leofs-status-query";
import { parseLeofsAdmError } from "../../procedures/parsers/parse-leofs-adm-error";
import { parseLeofsStatus, type LeofsStatus } from "../../procedures/parsers/parse-leofs-status";
import { parseRunsvstat } from "../../procedures/parsers/parse-runsvstat";
import type { RemoteExecutor } from "../ports/remote-executor";
import type { ClusterStatusResult, ConsoleAttempt, DiracBoxStatus } from "./cluster-status-result";
import type { StatusQueryPlan } from "./status-query-planner";

export interface RunStatusQueryOptions {
  readonly cluster: string;
  /** Per command; a console that says nothing within it counts as unreachable. */
  readonly execTimeoutMs: number;
  readonly now: () => Date;
  readonly signal?: AbortSignal;
  /** LeoFS: ask every manager console, not only until one answers (a run's snapshot records each manager's state). */
  readonly everyConsole?: boolean;
}

const MAX_OUTPUT = 256 * 1024;
/**
 * How long past its own timeout an exec may take to report (the SSH layer
 * kills the remote group, with a grace period) before the query stops
 * waiting for it: a wedged channel must not hold the operator's answer.
 */
export const EXEC_CLEANUP_SLACK_MS = 2500;

type Exec = Awaited<ReturnType<RemoteExecutor["exec"]>>;

/** The exec's result, or "deadline" when it has not reported within its timeout plus the cleanup slack. */
async function execWithDeadline(executor: RemoteExecutor, cluster: string, host: string, command: string, options: RunStatusQueryOptions): Promise<Exec | "deadline"> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const exec = executor.exec({ cluster, host }, command, { timeoutMs: options.execTimeoutMs, maxOutputBytes: MAX_OUTPUT, signal: controller.signal });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"deadline">((resolve) => {
    timer = setTimeout(() => resolve("deadline"), options.execTimeoutMs + EXEC_CLEANUP_SLACK_MS);
  });
  try {
    const outcome = await Promise.race([exec, deadline]);
    if (outcome === "deadline") {
      controller.abort(new Error("status query deadline"));
      // Left to finish (or fail) on its own; nobody reads it any more.
      exec.catch(() => undefined);
    }
    return outcome;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The last non-empty line of output, for a one-line detail. */
function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
  return (lines[lines.length - 1] ?? "").slice(0, 300);
}

async function askConsole(executor: RemoteExecutor, q: LeofsStatusQuery, options: RunStatusQueryOptions): Promise<{ attempt: ConsoleAttempt; status?: LeofsStatus }> {
  const started = Date.now();
  const done = (outcome: ConsoleAttempt["outcome"], detail: string): ConsoleAttempt => ({ console: q.console, host: q.host, port: q.consolePort, outcome, detail, durationMs: Date.now() - started });
  let result;
  try {
    result = await execWithDeadline(executor, options.cluster, q.host, q.command, options);
  } catch (error) {
    return { attempt: done("host_unreachable", message(error)) };
  }
  if (result === "deadline") return { attempt: done("console_unreachable", `no answer within ${Math.round(options.execTimeoutMs / 1000)}s`) };
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.timedOut) return { attempt: done("console_unreachable", `no answer within ${Math.round(options.execTimeoutMs / 1000)}s`) };
  // leofs-adm exits 1 with this line when nc cannot reach the console (reference §1).
  if (/couldn't connect to LeoFS Manager/.test(output)) return { attempt: done("console_unreachable", "Error: couldn't connect to LeoFS Manager") };
  // ...and exits 0 after `[ERROR]`, so the output, not the code, tells failure apart.
  const admError = parseLeofsAdmError(result.stdout);
  if (admError !== undefined) return { attempt: done("leofs_error", admError.line.trim()) };
  if (result.code !== 0) return { attempt: done("command_failed", `exit ${result.code ?? result.signal ?? "?"}: ${lastLine(output) || "no output"}`) };
  try {
    return { attempt: done("ok", ""), status: parseLeofsStatus(result.stdout) };
  } catch (error) {
    return { attempt: done("unparsable", message(error)) };
  }
}

const UNREACHABLE = new Set<ConsoleAttempt["outcome"]>(["console_unreachable", "host_unreachable"]);

function describeAttempt(a: ConsoleAttempt): string {
  const what = UNREACHABLE.has(a.outcome) ? "did not answer" : a.outcome === "leofs_error" ? "answered" : "failed";
  return `the ${a.console} console (${a.host}:${a.port}) ${what}: ${a.detail}`;
}

/**
 * Asks the consoles in order (master, then slave) and stops at the first
 * that answers; only an unreachable console is worth asking the next one
 * about, since a console that answers `[ERROR]` has spoken for the cluster.
 */
async function queryLeofs(executor: RemoteExecutor, consoles: readonly LeofsStatusQuery[], options: RunStatusQueryOptions, startedAt: Date): Promise<ClusterStatusResult> {
  const attempts: ConsoleAttempt[] = [];
  const base = { kind: "leofs" as const, cluster: options.cluster, queriedAt: startedAt.toISOString() };
  let answered: LeofsStatus | undefined;
  for (const q of consoles) {
    const { attempt, status } = await askConsole(executor, q, options);
    attempts.push(attempt);
    answered ??= status;
    if (options.everyConsole === true) continue;
    if (status !== undefined) break;
    if (!UNREACHABLE.has(attempt.outcome)) break;
  }
  if (answered !== undefined) return { ...base, ok: true, status: answered, attempts, durationMs: Date.now() - startedAt.getTime() };
  const last = attempts[attempts.length - 1];
  const text = attempts.map((a, i) => (i === 0 ? describeAttempt(a) : `tried ${describeAttempt(a)}`)).join("; ");
  return {
    ...base,
    ok: false,
    code: last?.outcome === "ok" || last === undefined ? "not_configured" : last.outcome,
    message: text === "" ? "the inventory names no manager console" : text,
    attempts,
    durationMs: Date.now() - startedAt.getTime(),
  };
}

async function askBox(executor: RemoteExecutor, q: DiracStatusQuery, options: RunStatusQueryOptions): Promise<DiracBoxStatus> {
  let result;
  try {
    result = await execWithDeadline(executor, options.cluster, q.host, q.command, options);
  } catch (error) {
    return { host: q.host, ok: false, services: [], error: message(error) };
  }
  if (result === "deadline" || result.timedOut) return { host: q.host, ok: false, services: [], error: `no answer within ${Math.round(options.execTimeoutMs / 1000)}s` };
  try {
    // An empty startup dir leaves the glob unexpanded: runsvstat warns about `<dir>/*`, meaning "no services".
    const services = parseRunsvstat(`${result.stdout}\n${result.stderr}`).filter((s) => !(s.state === "unknown" && s.service === "*"));
    return { host: q.host, ok: true, services };
  } catch (error) {
    return { host: q.host, ok: false, services: [], error: `${message(error)} (exit ${result.code ?? "?"})` };
  }
}

/** Runs a status query plan over the executor: read-only commands, no lock, no run record. */
export async function runStatusQuery(executor: RemoteExecutor, plan: StatusQueryPlan, options: RunStatusQueryOptions): Promise<ClusterStatusResult> {
  const startedAt = options.now();
  if (plan.kind === "leofs") return queryLeofs(executor, plan.consoles, options, startedAt);
  const boxes = await Promise.all(plan.boxes.map((b) => askBox(executor, b, options)));
  return { ok: true, kind: "dirac", cluster: options.cluster, boxes, queriedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime() };
}
