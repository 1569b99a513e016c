import type { ClusterKind } from "../../procedures/model/plan";

export interface CommandForm {
  readonly kind: ClusterKind;
  /** The fixed words that select this form, e.g. ["recover", "manager-slave"]; typos are measured on these. */
  readonly words: readonly string[];
  /** Usage after the slash command name. */
  readonly usage: string;
  readonly summary: string;
}

const COMMON = "[cluster=<name>] [--dry-run]";

export const COMMAND_FORMS: readonly CommandForm[] = [
  { kind: "leofs", words: ["help"], usage: "help", summary: "this help" },
  { kind: "leofs", words: ["status"], usage: "status [cluster]", summary: "live `leofs-adm status` as a table, and the active run" },
  { kind: "leofs", words: ["runs"], usage: "runs [cluster]", summary: "recent runs" },
  { kind: "leofs", words: ["show"], usage: "show <run>", summary: "one run's checklist" },
  { kind: "leofs", words: ["report"], usage: "report <run>", summary: "the run's incident report, shared as a Markdown file" },
  { kind: "leofs", words: ["abort"], usage: "abort <run> [now]", summary: "abort after the current step, or now" },
  { kind: "leofs", words: ["approve"], usage: 'approve <run> step=<n>|run attempt=<n> [reason="…"]', summary: "approve a gate; with a reason in the break-glass channel, your own" },
  { kind: "leofs", words: ["recover", "manager-slave"], usage: `recover manager-slave ${COMMON}`, summary: "rebuild the slave manager's Mnesia from the master" },
  { kind: "leofs", words: ["recover", "manager-master"], usage: `recover manager-master ${COMMON}`, summary: "rebuild the master manager's Mnesia from the slave" },
  { kind: "leofs", words: ["takeover", "manager-master"], usage: `takeover manager-master new-host=<host> new-node=<name@host> ${COMMON}`, summary: "move the master manager to a new host" },
  { kind: "leofs", words: ["takeover", "manager-slave"], usage: `takeover manager-slave new-host=<host> new-node=<name@host> ${COMMON}`, summary: "move the slave manager to a new host" },
  { kind: "leofs", words: ["launch"], usage: `launch [force=master|slave] ${COMMON}`, summary: "start the cluster in order" },
  { kind: "leofs", words: ["attach", "storage"], usage: `attach storage <node> ${COMMON}`, summary: "attach a storage node" },
  { kind: "leofs", words: ["detach", "storage"], usage: `detach storage <node> ${COMMON}`, summary: "detach a storage node" },
  { kind: "leofs", words: ["suspend", "storage"], usage: `suspend storage <node> ${COMMON}`, summary: "suspend a storage node" },
  { kind: "leofs", words: ["resume", "storage"], usage: `resume storage <node> ${COMMON}`, summary: "resume a suspended storage node" },
  { kind: "leofs", words: ["upgrade"], usage: `upgrade <node|all> to <version> [package=<file>] ${COMMON}`, summary: "rolling upgrade" },
  { kind: "dirac", words: ["help"], usage: "help", summary: "this help" },
  { kind: "dirac", words: ["status"], usage: "status [cluster]", summary: "live runsvstat of every box, and the active run" },
  { kind: "dirac", words: ["runs"], usage: "runs [cluster]", summary: "recent runs" },
  { kind: "dirac", words: ["show"], usage: "show <run>", summary: "one run's checklist" },
  { kind: "dirac", words: ["report"], usage: "report <run>", summary: "the run's incident report, shared as a Markdown file" },
  { kind: "dirac", words: ["abort"], usage: "abort <run> [now]", summary: "abort after the current step, or now" },
  { kind: "dirac", words: ["approve"], usage: 'approve <run> step=<n>|run attempt=<n> [reason="…"]', summary: "approve a gate; with a reason in the break-glass channel, your own" },
  { kind: "dirac", words: ["intervention"], usage: `intervention [setup] ${COMMON}`, summary: "stop agents, services, databases; restart in reverse order" },
];

export function formsOf(kind: ClusterKind): readonly CommandForm[] {
  return COMMAND_FORMS.filter((f) => f.kind === kind);
}

export function usageLine(kind: ClusterKind, verb: string, second?: string): string | undefined {
  const forms = formsOf(kind).filter((f) => f.words[0] === verb);
  const form = forms.find((f) => f.words[1] === second) ?? forms[0];
  return form === undefined ? undefined : `/${kind} ${form.usage}`;
}
