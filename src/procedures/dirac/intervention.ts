import { z } from "zod";
import { parseDuration, type DiracCluster } from "../../config";
import type { ProcedureDefinition, StepTemplate } from "../model/procedure-definition";
import { ParamError, type FieldProblem } from "../procedure-errors";
import { sh } from "../sh";
import { boxPath, boxSlug, runitPhase } from "./dirac-layout";
import { mysqlStartIfDown, mysqlStatus, mysqlStop } from "./mysql-commands";
import { shutdownRunit, startupRunit } from "./runit-steps";

const ID = "dirac.intervention";
const MAX_WAIT_MS = 2 * 60 * 60_000;

export const interventionParams = z
  .object({
    /** The DIRAC setup the operator means to stop; must be the cluster's (a guard against the wrong channel or cluster). */
    setup: z.string().max(100).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "write the DIRAC setup name, e.g. LHCb-Production").optional(),
    /** How many agent cycles (dirac.agentPollingTime each) to let stopping agents finish before asking to TERM them. @defaultValue 2 */
    agentCycles: z.coerce.number().int("write a whole number of cycles, e.g. 2").min(1, "write at least 1 cycle").max(10, "write at most 10 cycles").default(2),
    /** Move the InnoDB journal of the flagged database boxes while MySQL is down (seed 003 §3). @defaultValue false */
    innodbJournal: z.boolean().default(false),
    /** Pause between the services and the agents, overriding the inventory's `waitBeforeAgents`. */
    waitBeforeAgents: z
      .string()
      .max(20)
      .refine((t) => {
        const ms = parseDuration(t);
        return ms !== undefined && ms <= MAX_WAIT_MS;
      }, "write a duration of at most 2h, e.g. 30s, 5m or 1h")
      .optional(),
  })
  .strict();

export type InterventionParams = z.infer<typeof interventionParams>;

const SEED = "seed 003 \"Intervention on VOBOXes\"";

/** Seed 003: stop a DIRAC setup box by box for a long intervention, and start it again in reverse order. */
export const intervention: ProcedureDefinition<InterventionParams, DiracCluster> = {
  id: ID,
  kind: "dirac",
  title: "Long intervention on the DIRAC VOBOXes",
  summary:
    "Maintenance on; stop agents, services and databases (links parked in startup-save); wait for the intervention; start databases, framework server, services, agents, checking the logs; maintenance off.",
  seed: `${SEED}, Long intervention`,
  params: interventionParams,
  build: ({ cluster, params }) => {
    const { dirac } = cluster;
    checkParams(cluster, params);
    const boxes = dirac.boxes;
    const agents = boxes.filter((b) => runitPhase(b) === "agents").map((b) => b.host);
    const services = boxes.filter((b) => runitPhase(b) === "services").map((b) => b.host);
    const databases = boxes.filter((b) => b.roles.includes("databases")).map((b) => b.host);
    const fw = dirac.frameworkServer;
    const waitMs = params.waitBeforeAgents !== undefined ? (parseDuration(params.waitBeforeAgents) ?? dirac.waitBeforeAgentsMs) : dirac.waitBeforeAgentsMs;

    const steps: StepTemplate[] = [];
    steps.push(...maintenance(cluster, "set"));
    const cycleWaitMs = params.agentCycles * dirac.agentPollingTimeMs;
    if (agents.length > 0) steps.push(...shutdownRunit(cluster, "agents", agents, cycleWaitMs));
    if (services.length > 0) steps.push(...shutdownRunit(cluster, "services", services, cycleWaitMs));
    if (databases.length > 0) steps.push(...stopDatabases(cluster, databases, params.innodbJournal));
    steps.push({
      id: "confirm-intervention-done",
      title: "Intervention done, boxes back: start DIRAC up",
      kind: "confirm",
      cite: `${SEED} "Startup. the same procedure in the reverse order"`,
      targets: [],
      prompt:
        `Continue only when the intervention is over and every box (${boxes.map((b) => b.host).join(", ")}) is up again. ` +
        "Startup follows: databases, the framework server, the other services, then the agents.",
    });
    if (databases.length > 0) steps.push(...startDatabases(cluster, databases));
    steps.push(...startupRunit(cluster, fw, "5", "framework server"));
    for (const b of services.filter((h) => h !== fw)) steps.push(...startupRunit(cluster, b, "6", "services"));
    if (agents.length > 0) {
      steps.push({
        id: "wait-before-agents",
        title: `Let the services settle for ${describeMs(waitMs)} before the agents start`,
        kind: "wait",
        cite: `${SEED} §6 ("wait a bit before restarting the agents")`,
        ...(params.waitBeforeAgents !== undefined ? { note: `waitBeforeAgents=${params.waitBeforeAgents} overrides the inventory's ${describeMs(dirac.waitBeforeAgentsMs)}.` } : {}),
        targets: [],
        wait: { delayMs: waitMs },
      });
      for (const b of agents.filter((h) => h !== fw)) steps.push(...startupRunit(cluster, b, "7", "agents"));
    }
    steps.push(...maintenance(cluster, "clear"));
    return steps;
  },
};

function checkParams(cluster: DiracCluster, params: InterventionParams): void {
  const problems: FieldProblem[] = [];
  if (params.setup !== undefined && params.setup !== cluster.dirac.setup) {
    problems.push({ field: "setup", message: `${params.setup} is not the setup of ${cluster.name}; this cluster runs ${cluster.dirac.setup}` });
  }
  if (params.innodbJournal) {
    if (cluster.dirac.innodbJournal === undefined) problems.push({ field: "innodbJournal", message: `the inventory of ${cluster.name} sets no dirac.innodbJournal (from, to)` });
    else if (!cluster.dirac.boxes.some((b) => b.innodbJournal)) problems.push({ field: "innodbJournal", message: `no database box of ${cluster.name} is flagged innodbJournal: true` });
  }
  if (problems.length > 0) throw new ParamError(ID, problems);
}

/**
 * The seed writes `sms set maintenance 'power stop' other volhcbXX`. The tool
 * is not public (reference "Not confirmed"): we assume `<command> set|clear
 * maintenance '<reason>' <box>` and run it on each box for itself; the seed's
 * `other` word is left out because nothing says what it means.
 */
function maintenance(cluster: DiracCluster, action: "set" | "clear"): StepTemplate[] {
  const m = cluster.dirac.maintenance;
  if (m === undefined) return [];
  const boxes = cluster.dirac.boxes.map((b) => b.host);
  return [
    {
      id: `${action}-maintenance`,
      title: action === "set" ? `Put ${boxes.join(", ")} in maintenance ("${m.reason}")` : `Put ${boxes.join(", ")} back in production`,
      kind: "exec",
      cite: action === "set" ? `${SEED} ("put all the machine in maintenance mode")` : `${SEED} ("do not forget to put back the VOBOX in production")`,
      note: "Assumed form: `<maintenance.command> set|clear maintenance '<reason>' <box>`, one call per box on that box. The seed's `sms set … other volhcbXX` has a word `other` that nothing explains; it is left out.",
      ...(action === "set"
        ? { destructive: true, approvalDetail: `Takes ${boxes.join(", ")} out of production (${cluster.dirac.setup}) until the end of this run.` }
        : {}),
      idempotent: true,
      targets: boxes.map((b) => ({ host: b, command: sh`${m.command} ${action} maintenance ${m.reason} ${b}` })),
    },
  ];
}

function stopDatabases(cluster: DiracCluster, databases: readonly string[], innodb: boolean): StepTemplate[] {
  const mysql = (b: string) => boxPath(cluster, b, cluster.dirac.mysqlServer);
  const steps: StepTemplate[] = [
    {
      id: "stop-databases",
      title: `Stop MySQL on ${databases.join(", ")}`,
      kind: "exec",
      cite: `${SEED} §3 (\`mysql.server stop\`)`,
      destructive: true,
      note: "Asks `status` first: a server running without its PID file (exit 4 or 5) is refused with how to stop it by hand, since `mysql.server stop` would say \"PID file could not be found!\", exit 0 and leave it running.",
      targets: databases.map((b) => ({ host: b, command: mysqlStop(mysql(b), b) })),
      timeoutMs: 15 * 60_000,
      approvalDetail: `Shuts MySQL down on ${databases.join(", ")}: every DIRAC database of ${cluster.dirac.setup} is offline until startup.`,
    },
    {
      id: "verify-databases-stopped",
      title: "Check that MySQL is not running",
      kind: "check",
      cite: `${SEED} §3; mysql.server \`status\` (exit 3: "MySQL is not running")`,
      note: "Exit 1 or 2 (a PID or lock file left behind) means MySQL did not stop cleanly, 4 or 5 that a mysqld runs without its PID file: the run pauses.",
      targets: databases.map((b) => ({ host: b, command: mysqlStatus(mysql(b), b) })),
      expect: { type: "exit-code", codes: [3] },
    },
  ];
  const journal = cluster.dirac.innodbJournal;
  if (innodb && journal !== undefined) {
    for (const box of cluster.dirac.boxes.filter((b) => b.innodbJournal && b.roles.includes("databases"))) {
      const from = boxPath(cluster, box.host, journal.from);
      const to = boxPath(cluster, box.host, journal.to);
      steps.push({
        id: `move-innodb-journal-${boxSlug(box.host)}`,
        title: `Move the InnoDB journal of ${box.host} to ${to}`,
        kind: "exec",
        cite: `${SEED} §3 ("move InnoDB \\"Journal\\"": \`mv /opt/dirac/mysql/log /home/dirac/mysql-log; ln -s /home/dirac/mysql-log /opt/dirac/mysql/log\`)`,
        note: "Refuses when the journal is already a link or the target exists (a second run must not nest the directories). The link target is the path as the commands see it (the host root applied).",
        destructive: true,
        targets: [{ host: box.host, command: sh`test -d ${from} && test ! -L ${from} && test ! -e ${to} && mv ${from} ${to} && ln -s ${to} ${from} && ls -ld ${from}` }],
        approvalDetail: `Moves ${from} to ${to} on ${box.host} and leaves a symbolic link in its place; MySQL finds its journal through the link at startup.`,
      });
    }
  }
  return steps;
}

function startDatabases(cluster: DiracCluster, databases: readonly string[]): StepTemplate[] {
  const mysql = (b: string) => boxPath(cluster, b, cluster.dirac.mysqlServer);
  return [
    {
      id: "check-databases-started",
      title: "See whether MySQL came up by itself",
      kind: "check",
      cite: `${SEED} §4.1 ("should occur automatically … will require a check to confirm it")`,
      note: "Exit 0 means running; 1, 2 or 3 mean not running and the next step starts it. Exit 4 or 5 (a mysqld without its PID file, mysql.server.sh 'status') pauses the run: starting would race a second server on the same datadir.",
      targets: databases.map((b) => ({ host: b, command: mysqlStatus(mysql(b), b) })),
      expect: { type: "exit-code", codes: [0, 1, 2, 3] },
    },
    {
      id: "start-databases",
      title: "Start MySQL where it is not running",
      kind: "exec",
      cite: `${SEED} §4 ("start all databases")`,
      note: "Guarded by `status`: a MySQL that started at boot is left alone, and one running without its PID file (exit 4 or 5) is refused, never joined by a second server.",
      idempotent: true,
      timeoutMs: 15 * 60_000,
      targets: databases.map((b) => ({ host: b, command: mysqlStartIfDown(mysql(b), b) })),
    },
    {
      id: "verify-databases-up",
      title: "Check that MySQL runs on every database box",
      kind: "check",
      cite: `${SEED} §4.1 (check); mysql.server \`status\` (exit 0: "MySQL running (pid)")`,
      targets: databases.map((b) => ({ host: b, command: mysqlStatus(mysql(b), b) })),
      expect: { type: "all", of: [{ type: "exit-zero" }, { type: "stdout-excludes", text: "ERROR!" }] },
    },
  ];
}

function describeMs(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}
