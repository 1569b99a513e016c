import type { ClusterKind } from "../../procedures/model/plan";
import { CommandError } from "../bot-errors";
import { editDistance, nearest, typoBudget } from "./edit-distance";
import { formsOf, usageLine, type CommandForm } from "./command-usage";
import { FIELDS, MANAGER_TARGETS, type ParamField } from "./param-fields";
import { resolveCluster, type BotCluster } from "./resolve-cluster";
import { tokenizeCommand, unescapeSlackText } from "./tokenize-command";

export interface CommandInput {
  /** `/leofs` or `/dirac` as Slack sends it. */
  readonly command: string;
  readonly text: string;
  /** Channel the command was typed in: picks the cluster when several could be meant. */
  readonly channelId?: string;
}

export interface ParseContext {
  readonly clusters: readonly BotCluster[];
}

export type ParsedCommand =
  | { readonly type: "help"; readonly kind: ClusterKind }
  | { readonly type: "status"; readonly kind: ClusterKind; readonly cluster?: string }
  | { readonly type: "runs"; readonly kind: ClusterKind; readonly cluster?: string }
  | { readonly type: "show"; readonly kind: ClusterKind; readonly runId: string }
  | { readonly type: "report"; readonly kind: ClusterKind; readonly runId: string }
  | { readonly type: "abort"; readonly kind: ClusterKind; readonly runId: string; readonly mode: "after-step" | "now" }
  /** A gate approved by command: bound to step (or the run) and attempt; with `reason`, a break-glass approval of one's own gate. */
  | { readonly type: "approve"; readonly kind: ClusterKind; readonly runId: string; readonly stepIndex: number | null; readonly attempt: number; readonly reason?: string }
  | {
      readonly type: "procedure";
      readonly kind: ClusterKind;
      readonly procedureId: string;
      readonly params: Readonly<Record<string, string>>;
      readonly cluster: string;
      readonly dryRun: boolean;
    }
  | {
      readonly type: "needs-input";
      readonly kind: ClusterKind;
      readonly procedureId: string;
      /** What the operator already gave. */
      readonly params: Readonly<Record<string, string>>;
      /** Names of the required params still missing (see REQUIRED_FIELDS); the app asks for them in a modal. */
      readonly missing: readonly string[];
      readonly cluster: string;
      readonly dryRun: boolean;
    };

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const OPTION = /^([A-Za-z][A-Za-z0-9-]*)=([\s\S]*)$/;
const KNOWN_FLAGS = ["--dry-run"];

interface SplitArgs {
  readonly positionals: readonly string[];
  readonly options: ReadonlyMap<string, string>;
  readonly dryRun: boolean;
  /** Tokens as typed, to rebuild a corrected command in suggestions. */
  readonly tokens: readonly string[];
}

function commandKind(command: string): ClusterKind {
  const name = command.replace(/^\//, "").toLowerCase();
  if (name === "leofs" || name === "dirac") return name;
  throw new CommandError("command_unknown", `\`${command}\` is not an intervene command; use \`/leofs\` or \`/dirac\``, ["/leofs help", "/dirac help"], undefined);
}

/** Desktop clients turn `--` into an em or en dash; accept what the operator meant. */
function normaliseFlag(token: string): string {
  return token.replace(/^[\u2014\u2013]/, "--").toLowerCase();
}

function splitArgs(tokens: readonly string[], kind: ClusterKind): SplitArgs {
  const positionals: string[] = [];
  const options = new Map<string, string>();
  let dryRun = false;
  for (const token of tokens) {
    const flag = normaliseFlag(token);
    if (flag.startsWith("--")) {
      if (flag === "--dry-run") {
        dryRun = true;
        continue;
      }
      const near = nearest(flag, KNOWN_FLAGS);
      throw new CommandError("command_invalid", `unknown flag \`${token}\`${near.length > 0 ? `; did you mean \`${near.join("`, `")}\`?` : ""}`, [], `/${kind} help`);
    }
    const option = OPTION.exec(token);
    if (option !== null) {
      const key = (option[1] ?? "").toLowerCase();
      const value = option[2] ?? "";
      if (value === "") throw new CommandError("command_invalid", `\`${key}=\` needs a value`, [], undefined);
      if (options.has(key)) throw new CommandError("command_invalid", `\`${key}=\` is given twice`, [], undefined);
      options.set(key, value);
      continue;
    }
    positionals.push(token);
  }
  return { positionals, options, dryRun, tokens };
}

function quoteToken(token: string): string {
  return /\s/.test(token) ? `"${token}"` : token;
}

/** The forms nearest to what was typed, as full commands keeping the operator's other arguments. */
function suggest(kind: ClusterKind, args: SplitArgs, forms: readonly CommandForm[]): { suggestions: string[]; forms: CommandForm[] } {
  const typed = args.positionals.map((p) => p.toLowerCase());
  let best = Number.POSITIVE_INFINITY;
  let found: CommandForm[] = [];
  for (const form of forms) {
    const wanted = form.words.join(" ");
    const given = typed.slice(0, form.words.length).join(" ");
    // An abbreviation ("recover manager") is nearer than any typo, and ambiguous when it abbreviates several.
    const d = given.length >= 3 && wanted.startsWith(given) ? 0.5 : editDistance(given, wanted);
    if (d > typoBudget(wanted)) continue;
    if (d < best) {
      best = d;
      found = [form];
    } else if (d === best) {
      found.push(form);
    }
  }
  const suggestions = found.map((form) => {
    const rest = args.positionals.slice(form.words.length);
    const extra = args.tokens.filter((t) => !args.positionals.includes(t));
    return [`/${kind}`, ...form.words, ...rest, ...extra].map(quoteToken).join(" ");
  });
  return { suggestions, forms: found };
}

function unknownCommand(kind: ClusterKind, args: SplitArgs, forms: readonly CommandForm[], what: string): CommandError {
  const { suggestions, forms: found } = suggest(kind, args, forms);
  const first = found[0];
  const usage = first !== undefined && found.length === 1 ? `/${kind} ${first.usage}` : undefined;
  if (suggestions.length > 1) {
    return new CommandError("command_ambiguous", `${what} could be several commands: did you mean ${suggestions.map((s) => `\`${s}\``).join(" or ")}?`, suggestions, usage);
  }
  const hint = suggestions.length === 1 ? `; did you mean \`${suggestions[0]}\`?` : `; see \`/${kind} help\``;
  return new CommandError("command_unknown", `${what}${hint}`, suggestions, usage);
}

class CommandParser {
  private readonly verb: string;
  private readonly usage: string | undefined;

  constructor(
    private readonly kind: ClusterKind,
    private readonly args: SplitArgs,
    private readonly input: CommandInput,
    private readonly ctx: ParseContext,
  ) {
    this.verb = (args.positionals[0] ?? "").toLowerCase();
    this.usage = usageLine(kind, this.verb, args.positionals[1]?.toLowerCase());
  }

  invalid(message: string, suggestions: readonly string[] = []): CommandError {
    return new CommandError("command_invalid", message, suggestions, this.usage);
  }

  /** Refuses options this command does not take, suggesting the nearest one it does. */
  allowOptions(...allowed: string[]): void {
    const all = ["cluster", ...allowed];
    for (const key of this.args.options.keys()) {
      if (all.includes(key)) continue;
      const near = nearest(key, all).map((k) => `\`${k}=\``);
      throw this.invalid(`\`${this.verb}\` takes no \`${key}=\` option${near.length > 0 ? `; did you mean ${near.join(" or ")}?` : ""}`);
    }
  }

  maxPositionals(count: number): void {
    const extra = this.args.positionals[count];
    if (extra !== undefined) throw this.invalid(`unexpected \`${extra}\``);
  }

  checked(field: ParamField, value: string): string {
    const problem = field.validate(value);
    if (problem !== undefined) throw this.invalid(problem);
    return value;
  }

  cluster(diracSetup?: string): string {
    return resolveCluster({
      clusters: this.ctx.clusters,
      kind: this.kind,
      explicit: this.args.options.get("cluster"),
      channelId: this.input.channelId,
      diracSetup,
      usage: this.usage,
    });
  }

  procedure(procedureId: string, params: Record<string, string>, required: readonly ParamField[], diracSetup?: string): ParsedCommand {
    const cluster = this.cluster(diracSetup);
    const missing = required.filter((f) => params[f.name] === undefined).map((f) => f.name);
    const base = { kind: this.kind, procedureId, params, cluster, dryRun: this.args.dryRun };
    return missing.length > 0 ? { type: "needs-input", ...base, missing } : { type: "procedure", ...base };
  }

  /** `recover`/`takeover` name a manager: exactly one of MANAGER_TARGETS, typos suggested. */
  managerTarget(): string | undefined {
    const word = this.args.positionals[1]?.toLowerCase();
    if (word === undefined) return undefined;
    if ((MANAGER_TARGETS as readonly string[]).includes(word)) return word;
    throw unknownCommand(this.kind, this.args, formsOf(this.kind).filter((f) => f.words[0] === this.verb), `\`${this.verb} ${word}\``);
  }

  parse(): ParsedCommand {
    const { kind, args } = this;
    const p = args.positionals;
    const scoped = (type: "status" | "runs"): ParsedCommand => {
      this.allowOptions();
      this.maxPositionals(2);
      const explicit = args.options.get("cluster") ?? p[1];
      if (explicit !== undefined) {
        return { type, kind, cluster: resolveCluster({ clusters: this.ctx.clusters, kind, explicit, usage: this.usage }) };
      }
      try {
        return { type, kind, cluster: this.cluster() };
      } catch (err) {
        if (err instanceof CommandError) return { type, kind };
        throw err;
      }
    };
    const runId = (): string => {
      const id = p[1];
      if (id === undefined) throw this.invalid(`\`${this.verb}\` needs a run id`);
      if (!RUN_ID.test(id)) throw this.invalid(`\`${id}\` is not a run id`);
      return id;
    };

    switch (this.verb) {
      case "help":
        return { type: "help", kind };
      case "status":
      case "runs":
        return scoped(this.verb);
      case "show":
        this.allowOptions();
        this.maxPositionals(2);
        return { type: "show", kind, runId: runId() };
      case "report":
        this.allowOptions();
        this.maxPositionals(2);
        return { type: "report", kind, runId: runId() };
      case "approve": {
        this.allowOptions("step", "attempt", "reason");
        this.maxPositionals(2);
        const id = runId();
        const step = args.options.get("step");
        const attempt = args.options.get("attempt");
        if (step === undefined || !/^(\d+|run)$/.test(step)) throw this.invalid("`approve` needs `step=<n>` (or `step=run` for the whole run), as the run message shows it");
        if (attempt === undefined || !/^[1-9]\d*$/.test(attempt)) throw this.invalid("`approve` needs `attempt=<n>`, as the run message shows it");
        const reason = args.options.get("reason")?.trim();
        return { type: "approve", kind, runId: id, stepIndex: step === "run" ? null : Number(step), attempt: Number(attempt), ...(reason !== undefined && reason !== "" ? { reason } : {}) };
      }
      case "abort": {
        this.allowOptions();
        this.maxPositionals(3);
        const id = runId();
        const mode = p[2]?.toLowerCase();
        if (mode !== undefined && mode !== "now") throw this.invalid(`\`${p[2]}\`: write \`now\` to abort immediately, or nothing to abort after the current step`);
        return { type: "abort", kind, runId: id, mode: mode === "now" ? "now" : "after-step" };
      }
    }
    return kind === "leofs" ? this.parseLeofs() : this.parseDirac();
  }

  parseLeofs(): ParsedCommand {
    const { args } = this;
    const p = args.positionals;
    switch (this.verb) {
      case "recover": {
        this.allowOptions();
        this.maxPositionals(2);
        const target = this.managerTarget();
        return this.procedure("leofs.recover-manager", target === undefined ? {} : { target }, [FIELDS.managerTarget]);
      }
      case "takeover": {
        this.allowOptions("new-host", "new-node");
        this.maxPositionals(2);
        const params: Record<string, string> = {};
        const replace = this.managerTarget();
        if (replace !== undefined) params.replace = replace;
        const newHost = args.options.get("new-host");
        if (newHost !== undefined) params.newHost = this.checked(FIELDS.newHost, newHost);
        const newNode = args.options.get("new-node");
        if (newNode !== undefined) params.newNode = this.checked(FIELDS.newNode, newNode);
        return this.procedure("leofs.takeover-manager", params, [FIELDS.takeoverReplace, FIELDS.newHost, FIELDS.newNode]);
      }
      case "launch": {
        this.allowOptions("force");
        this.maxPositionals(1);
        const force = args.options.get("force")?.toLowerCase();
        return this.procedure("leofs.launch", force === undefined ? {} : { forceStart: this.checked(FIELDS.launchForce, force) }, []);
      }
      case "attach":
      case "detach":
      case "suspend":
      case "resume": {
        this.allowOptions();
        this.maxPositionals(3);
        const what = p[1]?.toLowerCase();
        if (what !== undefined && what !== "storage") {
          throw unknownCommand(this.kind, args, formsOf(this.kind).filter((f) => f.words[0] === this.verb), `\`${this.verb} ${what}\``);
        }
        const operation = this.verb;
        const node = p[2];
        const params: Record<string, string> = { operation };
        if (node !== undefined) params.node = this.checked(FIELDS.storageNode, node);
        return this.procedure("leofs.storage", params, [FIELDS.storageNode]);
      }
      case "upgrade":
        return this.parseUpgrade();
    }
    throw unknownCommand(this.kind, args, formsOf(this.kind), `\`/${this.kind} ${p.join(" ")}\` is not a command`);
  }

  parseUpgrade(): ParsedCommand {
    const { args } = this;
    const p = args.positionals;
    this.allowOptions("package");
    this.maxPositionals(4);
    const params: Record<string, string> = {};
    const target = p[1];
    if (target !== undefined) params.target = this.checked(FIELDS.upgradeTarget, target === "ALL" ? "all" : target);
    const to = p[2];
    if (to !== undefined && to.toLowerCase() !== "to") {
      const rest = [`/leofs upgrade ${target ?? "<node|all>"} to`, ...p.slice(2)].join(" ");
      throw this.invalid(`write \`to\` before the version: \`${rest}\``, [rest]);
    }
    const version = p[3];
    if (version !== undefined) params.version = this.checked(FIELDS.version, version.replace(/^v/i, ""));
    const pkg = args.options.get("package");
    if (pkg !== undefined) params.package = this.checked(FIELDS.packageFile, pkg);
    return this.procedure("leofs.upgrade", params, [FIELDS.upgradeTarget, FIELDS.version]);
  }

  parseDirac(): ParsedCommand {
    const { args } = this;
    const p = args.positionals;
    if (this.verb === "intervention") {
      this.allowOptions();
      this.maxPositionals(2);
      // The setup names the cluster (inventory `dirac.setup`); the procedure takes no parameters.
      const setup = p[1];
      if (setup !== undefined) {
        this.checked(FIELDS.diracSetup, setup);
        const known = this.ctx.clusters.filter((c) => c.kind === "dirac" && c.diracSetup !== undefined).map((c) => c.diracSetup ?? "");
        if (!known.includes(setup) && !this.args.options.has("cluster")) {
          throw this.invalid(`no dirac cluster runs setup \`${setup}\`; known setups: ${known.map((k) => `\`${k}\``).join(", ") || "none"}`, nearest(setup, known).map((k) => `/dirac intervention ${k}`));
        }
      }
      return this.procedure("dirac.intervention", {}, [], setup);
    }
    throw unknownCommand(this.kind, args, formsOf(this.kind), `\`/${this.kind} ${p.join(" ")}\` is not a command`);
  }
}

/**
 * Turns `/leofs …` and `/dirac …` into what the app should do. Pure: the
 * inventory's clusters come in `ctx`. Throws `CommandError` (with the nearest
 * valid command and its usage) for anything it cannot make sense of.
 */
export function parseCommand(input: CommandInput, ctx: ParseContext): ParsedCommand {
  const kind = commandKind(input.command);
  const args = splitArgs(tokenizeCommand(unescapeSlackText(input.text)), kind);
  if (args.positionals.length === 0) {
    if (args.options.size === 0 && !args.dryRun) return { type: "help", kind };
    throw new CommandError("command_invalid", "options alone are not a command", [], `/${kind} help`);
  }
  return new CommandParser(kind, args, input, ctx).parse();
}
