import { parseArgs } from "node:util";

/**
 * The `intervene` command line, parsed; pure so it can be tested without a
 * process. Nobody is named on it: the CLI acts as the Slack user the
 * inventory maps to the OS user running it (issue 12 point 5).
 */
export type CliCommand =
  | { readonly kind: "run"; readonly procedureId: string; readonly cluster: string; readonly params: Record<string, string>; readonly dryRun: boolean; readonly follow: boolean }
  | { readonly kind: "approve"; readonly runId: string; readonly stepIndex: number | null; readonly attempt: number; readonly yes: boolean }
  | { readonly kind: "reject"; readonly runId: string; readonly stepIndex: number | null; readonly attempt: number; readonly reason: string }
  | { readonly kind: "confirm" | "retry"; readonly runId: string; readonly stepIndex: number }
  | { readonly kind: "skip"; readonly runId: string; readonly stepIndex: number; readonly reason: string }
  | { readonly kind: "abort"; readonly runId: string; readonly mode: "after-step" | "now" }
  | { readonly kind: "show"; readonly runId: string }
  | { readonly kind: "report"; readonly runId: string }
  | { readonly kind: "runs"; readonly cluster: string | undefined; readonly active: boolean; readonly limit: number }
  | { readonly kind: "worker" }
  | { readonly kind: "help" };

export interface ParsedCli {
  readonly command: CliCommand;
  /** Redis key prefix; unset: REDIS_PREFIX (default intervene). */
  readonly prefix: string | undefined;
}

export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliUsageError";
  }
}

export const USAGE = `usage:
  intervene run <procedure> --cluster <name> [--param k=v]... [--dry-run] [--follow]
  intervene approve <run> --step <n>|run --attempt <n> [--yes]
  intervene reject <run> --step <n>|run --attempt <n> --reason <text>
  intervene confirm|retry <run> --step <n>
  intervene skip <run> --step <n> --reason <text>
  intervene abort <run> [--now]
  intervene show <run>
  intervene report <run>         the run's incident report (Markdown)
  intervene runs [--cluster <name>] [--active] [--limit <n>]
  intervene worker
You act as the Slack user the inventory maps to your OS user (cli.users);
approve prints what will run and asks unless --yes.
options: --prefix <redis key prefix> (default: REDIS_PREFIX, else intervene)`;

/** Options with a value; each may be given several times (`--param`), the others are checked for "more than once" below. */
const VALUE_OPTIONS = ["cluster", "param", "step", "attempt", "reason", "limit", "prefix"] as const;
const BOOLEAN_OPTIONS = ["dry-run", "follow", "now", "active", "help", "yes"] as const;
/** Options that let one person act as another: gone (issue 12 point 5). */
const REMOVED = new Set(["--as", "--groups"]);

const OPTIONS = Object.fromEntries([
  ...VALUE_OPTIONS.map((name) => [name, { type: "string", multiple: true }] as const),
  ...BOOLEAN_OPTIONS.map((name) => [name, { type: "boolean" }] as const),
]) as Record<string, { type: "string"; multiple: true } | { type: "boolean" }>;

interface Tokens {
  readonly positional: readonly string[];
  readonly values: ReadonlyMap<string, readonly string[]>;
  readonly flags: ReadonlySet<string>;
}

/** node:util parseArgs (strict), with its errors turned into usage errors that name the option. */
function tokenize(argv: readonly string[]): Tokens {
  for (const arg of argv) {
    const name = arg.split("=")[0]!;
    if (REMOVED.has(name)) {
      throw new CliUsageError(`${name} is gone: the CLI acts only as the Slack user the inventory maps to your OS user (cli.users), with that user's groups as Slack resolves them`);
    }
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    // Not `instanceof Error`: node's own errors come from another realm under jest's sandbox.
    const { code, message } = err as { code?: string; message?: string };
    const option = /'(--[a-z-]+)/.exec(message ?? "")?.[1] ?? "an option";
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new CliUsageError(`unknown option ${option}`);
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      throw new CliUsageError(VALUE_OPTIONS.some((v) => `--${v}` === option) ? `${option} needs a value` : `${option} takes no value`);
    }
    throw new CliUsageError(message ?? String(err));
  }
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  for (const [name, value] of Object.entries(parsed.values)) {
    if (Array.isArray(value)) values.set(`--${name}`, value.map(String));
    else if (value === true) flags.add(`--${name}`);
  }
  return { positional: parsed.positionals, values, flags };
}

function one(t: Tokens, name: string): string | undefined {
  const all = t.values.get(name);
  if (all !== undefined && all.length > 1) throw new CliUsageError(`${name} given more than once`);
  return all?.[0];
}

function required(t: Tokens, name: string, what: string): string {
  const value = one(t, name);
  if (value === undefined || value.trim() === "") throw new CliUsageError(`${name} <${what}> is required`);
  return value;
}

/** The gate a decision is bound to: a step (or `run`) and its attempt, both required so that a stale gate is never decided. */
function gateOf(t: Tokens): { stepIndex: number | null; attempt: number } {
  const stepIndex = stepOf(t, true);
  if (stepIndex === undefined) throw new CliUsageError("--step <n>|run is required (the gate you decide, as `intervene show <run>` lists it)");
  const attempt = one(t, "--attempt");
  if (attempt === undefined) throw new CliUsageError("--attempt <n> is required (the gate's attempt, as `intervene show <run>` lists it)");
  if (!/^[1-9]\d*$/.test(attempt)) throw new CliUsageError(`--attempt must be a number from 1 (got ${JSON.stringify(attempt)})`);
  return { stepIndex, attempt: Number(attempt) };
}

function stepOf(t: Tokens, allowRun: boolean): number | null | undefined {
  const raw = one(t, "--step");
  if (raw === undefined) return undefined;
  if (allowRun && raw === "run") return null;
  if (!/^\d+$/.test(raw)) throw new CliUsageError(`--step must be a step number${allowRun ? " or run" : ""} (got ${JSON.stringify(raw)})`);
  return Number(raw);
}

function requiredStep(t: Tokens): number {
  const step = stepOf(t, false);
  if (step === undefined || step === null) throw new CliUsageError("--step <n> is required");
  return step;
}

function runIdOf(t: Tokens, verb: string): string {
  const id = t.positional[1];
  if (id === undefined) throw new CliUsageError(`intervene ${verb} <run> needs a run id`);
  return id;
}

export function parseCliArgs(argv: readonly string[]): ParsedCli {
  const t = tokenize(argv);
  const prefix = one(t, "--prefix");
  const verb = t.positional[0];
  if (verb === undefined || t.flags.has("--help") || verb === "help") return { prefix, command: { kind: "help" } };
  const command = ((): CliCommand => {
    switch (verb) {
      case "run": {
        const procedureId = t.positional[1];
        if (procedureId === undefined) throw new CliUsageError("intervene run <procedure> needs a procedure id");
        const params: Record<string, string> = {};
        for (const pair of t.values.get("--param") ?? []) {
          const eq = pair.indexOf("=");
          if (eq <= 0) throw new CliUsageError(`--param must be key=value (got ${JSON.stringify(pair)})`);
          params[pair.slice(0, eq)] = pair.slice(eq + 1);
        }
        return { kind: "run", procedureId, cluster: required(t, "--cluster", "name"), params, dryRun: t.flags.has("--dry-run"), follow: t.flags.has("--follow") };
      }
      case "approve":
        return { kind: "approve", runId: runIdOf(t, verb), ...gateOf(t), yes: t.flags.has("--yes") };
      case "reject":
        return { kind: "reject", runId: runIdOf(t, verb), ...gateOf(t), reason: required(t, "--reason", "text") };
      case "confirm":
      case "retry":
        return { kind: verb, runId: runIdOf(t, verb), stepIndex: requiredStep(t) };
      case "skip":
        return { kind: "skip", runId: runIdOf(t, verb), stepIndex: requiredStep(t), reason: required(t, "--reason", "text") };
      case "abort":
        return { kind: "abort", runId: runIdOf(t, verb), mode: t.flags.has("--now") ? "now" : "after-step" };
      case "show":
        return { kind: "show", runId: runIdOf(t, verb) };
      case "report":
        return { kind: "report", runId: runIdOf(t, verb) };
      case "runs": {
        const limit = one(t, "--limit");
        if (limit !== undefined && !/^\d+$/.test(limit)) throw new CliUsageError("--limit must be a number");
        return { kind: "runs", cluster: one(t, "--cluster"), active: t.flags.has("--active"), limit: limit === undefined ? 20 : Number(limit) };
      }
      case "worker":
        return { kind: "worker" };
      default:
        throw new CliUsageError(`unknown command ${JSON.stringify(verb)}`);
    }
  })();
  return { prefix, command };
}
