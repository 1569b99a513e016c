import type { DiracCluster } from "../../config";
import type { StepTemplate } from "../model/procedure-definition";
import { sh } from "../sh";
import { boxIdentifier, boxSlug, instanceDir, startupDir, startupSaveDir } from "./dirac-layout";

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * `pgrep -af` pattern of the box's DIRAC component processes
 * (`python <instance>/…/dirac-agent.py System/Component`, or the
 * `dirac-agent` entry point of newer releases). The first character is a
 * bracket class so the pattern never matches the shell that runs it.
 */
function componentPattern(cluster: DiracCluster, box: string): string {
  const inst = escapeRegex(instanceDir(cluster, box));
  return `[${inst.slice(0, 1)}]${inst.slice(1)}/.*dirac-(agent|service|executor)`;
}

export type ShutdownPhase = "agents" | "services";

const SECTION: Record<ShutdownPhase, { stop: string; label: string }> = {
  agents: { stop: "1", label: "agents" },
  services: { stop: "2", label: "services" },
};

/**
 * Prints progress while components linked in `dir` still run after
 * `runsvctrl d`, for at most `limitS` seconds; then lists those left as
 * `still running: <dir> pid <pid>` and exits 0 (what to do with them is the
 * next, approved, step).
 */
function waitForCycleEnd(dir: string, limitS: number): string {
  // String.raw: the sed and printf escapes must reach the shell as written.
  return (
    sh`d=${dir}; limit=${String(limitS)}; start=$(date +%s); last=; ` +
    String.raw`while :; do left=$(runsvstat "$d"/* 2>&1 | grep ': run (') || true; el=$(( $(date +%s) - start )); ` +
    String.raw`if [ -z "$left" ]; then echo "every component is down after $el s"; exit 0; fi; ` +
    String.raw`if [ "$el" -ge "$limit" ]; then printf '%s\n' "$left" | sed -n 's/^\(.*\): run (pid \([0-9]*\)).*/still running: \1 pid \2/p'; exit 0; fi; ` +
    String.raw`n=$(printf '%s\n' "$left" | wc -l); ` +
    String.raw`if [ "$n" != "$last" ]; then echo "$n still finishing their cycle after $el s of $limit s: $(printf '%s\n' "$left" | sed 's/: run.*//; s#.*/##' | tr '\n' ' ')"; last=$n; fi; ` +
    `sleep 1; done`
  );
}

/**
 * Agents phase only: runsvctrl d lets an agent finish its cycle (control/t,
 * see stop-agents). Wait for that with progress, then TERM what is left in
 * an approved step that the engine skips when nothing is left (runIf).
 */
function agentCycleSteps(cluster: DiracCluster, boxes: readonly string[], cycleWaitMs: number): StepTemplate[] {
  return [
    {
      id: "wait-agents-cycle-end",
      title: `Let the agents on ${boxes.join(", ")} finish their cycle (up to ${Math.round(cycleWaitMs / 1000)} s)`,
      kind: "exec",
      cite: "seed 003 §1.2; reference §0 (an agent stops at the end of its cycle: control/t, AgentReactor.py __checkControlDir)",
      note:
        "Prints how many components still run, as it changes, and never fails on time: what is still running at the end is listed and TERMed by the next step, with approval. " +
        "The limit is the intervention's agentCycles × the inventory's dirac.agentPollingTime.",
      idempotent: true,
      parallel: { limit: Math.max(1, boxes.length) },
      timeoutMs: cycleWaitMs + 60_000,
      targets: boxes.map((b) => ({ host: b, command: waitForCycleEnd(startupDir(cluster, b), Math.ceil(cycleWaitMs / 1000)) })),
      captures: boxes.map((b) => ({ name: `still_running_${boxIdentifier(b)}`, pattern: `^still running: ${escapeRegex(startupDir(cluster, b))}/\\S+ pid ([0-9]+)$`, valuePattern: "[0-9]+" })),
    },
    {
      id: "term-agents-left",
      title: `Send TERM to the agents still running on ${boxes.join(", ")}`,
      kind: "exec",
      cite: "seed 003 §1.2 (the components must be stopped); reference §0 (escalating past control/t is a decision, not a timeout)",
      note: "Skipped when every component ended by itself. Each pid is checked to still be a DIRAC component of this instance (/proc/<pid>/cmdline) right before the TERM, so a pid reused since the list is left alone.",
      destructive: true,
      runIf: { anyCapture: boxes.map((b) => `still_running_${boxIdentifier(b)}`), reason: "every agent ended its cycle by itself" },
      targets: boxes.map((b) => ({
        host: b,
        command:
          `for pid in {{still_running_${boxIdentifier(b)}}}; do ` +
          String.raw`if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -Eq ${sh`${componentPattern(cluster, b)}`}; then kill -TERM "$pid" && echo "TERM sent to $pid"; ` +
          `else echo "$pid is gone or no longer a DIRAC component: left alone"; fi; done`,
      })),
      approvalDetail: "The agents listed by the previous step did not end their cycle in time: TERM stops them mid-cycle (what an agent was doing is cut short).",
    },
  ];
}

/** Seed 003 §1 / §2: check the startup links, stop the components, park the links, prove nothing runs. */
export function shutdownRunit(cluster: DiracCluster, phase: ShutdownPhase, boxes: readonly string[], cycleWaitMs: number): StepTemplate[] {
  const s = SECTION[phase].stop;
  const label = SECTION[phase].label;
  const on = boxes.join(", ");
  return [
    {
      id: `list-${label}-startup`,
      title: `List the startup links on the ${label} boxes (${on})`,
      kind: "check",
      cite: `seed 003 §${s}.1 (links to components that are not to be restarted "needs to be checked"); reference §5 layout (\`<instance>/startup/<System>_<Component>\`)`,
      note: "Fails when startup-save already holds links: an earlier intervention did not finish, and moving over it would mix the two.",
      targets: boxes.map((b) => ({
        host: b,
        command: sh`if [ -n "$(ls -A ${startupSaveDir(cluster, b)} 2>/dev/null)" ]; then echo ${`${startupSaveDir(cluster, b)} is not empty: an earlier intervention did not finish`} >&2; exit 1; fi; ls -l ${startupDir(cluster, b)}`,
      })),
    },
    {
      id: `confirm-${label}-startup`,
      title: `Confirm the startup links of the ${label} boxes`,
      kind: "confirm",
      cite: `seed 003 §${s}.1`,
      targets: boxes.map((b) => ({ host: b })),
      prompt:
        `The previous step listed ${startupDir(cluster, boxes[0] ?? "")} on ${on}. Every link there will be stopped now and restarted after the intervention: ` +
        "remove by hand the links of components that must not be restarted, then continue.",
    },
    {
      id: `stop-${label}`,
      title: `Stop the ${label} (runsvctrl d) on ${on}`,
      kind: "exec",
      cite: `seed 003 §${s}.2 (\`runsvctrl d /opt/dirac/startup/*\`); reference §5 runsvctrl (d = down: TERM, then CONT, no restart)`,
      note:
        "Agents are only asked to stop: DIRAC's ComponentInstaller gives each agent a runit control/t that touches <instance>/control/<System>/<Agent>/stop_agent and exits 0, " +
        "and runsv sends no TERM when control/t exits 0 (void-linux/runit runsv.c custom control). The agent ends after its current cycle (DIRAC AgentReactor.go checks the file between cycles). Services get the TERM.",
      destructive: true,
      targets: boxes.map((b) => ({ host: b, command: sh`runsvctrl d ${startupDir(cluster, b)}/*` })),
      approvalDetail: `Stops every DIRAC component linked in startup/ on ${on} (${cluster.dirac.setup}); agents finish their current cycle first.`,
    },
    ...(phase === "agents" ? agentCycleSteps(cluster, boxes, cycleWaitMs) : []),
    {
      id: `wait-${label}-down`,
      title: `Wait until runsvstat shows every ${label.slice(0, -1)} down`,
      kind: "wait",
      cite: `seed 003 §${s}.2; reference §5 runsvstat (\`<dir>: run (pid 1234) …\` / \`<dir>: down …\`)`,
      targets: boxes.map((b) => ({ host: b, command: sh`runsvstat ${startupDir(cluster, b)}/*` })),
      wait: { delayMs: 120_000, poll: { intervalMs: 5_000, expect: { type: "all", of: [{ type: "exit-zero" }, { type: "stdout-excludes", text: ": run (" }] } } },
    },
    {
      id: `save-${label}-links`,
      title: `Move the startup links to startup-save on ${on}`,
      kind: "exec",
      cite: `seed 003 §${s}.3 (\`mkdir /opt/dirac/startup-save; mv /opt/dirac/startup/* /opt/dirac/startup-save\`: no restart on reboot)`,
      note: "`mkdir -p`: the directory may remain, empty, from an earlier intervention (the list step proved it empty).",
      destructive: true,
      targets: boxes.map((b) => ({ host: b, command: sh`mkdir -p ${startupSaveDir(cluster, b)} && mv ${startupDir(cluster, b)}/* ${startupSaveDir(cluster, b)}/` })),
      approvalDetail: `runsvdir on ${on} stops supervising the ${label}; they come back when the links are moved back at startup.`,
    },
    {
      id: `verify-${label}-stopped`,
      title: `Check that no ${label.slice(0, -1)} process remains on ${on}`,
      kind: "wait",
      cite: `seed 003 §${s}.3 ("make sure that the processes are properly stopped")`,
      note:
        "The seed's `ps fax | grep run` is replaced by runsvstat over the parked links and `pgrep -af` for component processes under this instance (none may remain). " +
        "It also waits until runsvdir has let go of every parked link (`runsv not running.`), not only until the components are down: " +
        "runsvdir TERMs the runsv of a removed link only at its next scan (void-linux/runit src/runsvdir.c runsvdir(), at most every 5 s), and a link moved back before that " +
        "leaves the old runsv, told `d`, in charge: the component would stay down at startup.",
      targets: boxes.map((b) => ({ host: b, command: sh`runsvstat ${startupSaveDir(cluster, b)}/* 2>&1; ! pgrep -af ${componentPattern(cluster, b)}` })),
      wait: {
        delayMs: 60_000,
        poll: { intervalMs: 5_000, expect: { type: "all", of: [{ type: "exit-zero" }, { type: "stdout-excludes", text: ": run (" }, { type: "stdout-excludes", text: ": down" }] } },
      },
    },
  ];
}

/**
 * Seed 003 §5 / §6 / §7 for one box: move the links back, wait until
 * runsvstat shows every component running, then show ERROR/FATAL lines
 * logged since the links came back (older lines of `log/current` do not
 * count); any such line fails the check and the run pauses with them shown.
 */
/** Where the log check keeps the time it last looked (beside startup/, on the box). */
function logCheckMarker(cluster: DiracCluster, box: string): string {
  return `${instanceDir(cluster, box)}/.intervene-log-check`;
}

export function startupRunit(cluster: DiracCluster, box: string, section: string, what: string): StepTemplate[] {
  const b = boxSlug(box);
  const capture = `started_at_${boxIdentifier(box)}`;
  const program =
    'substr($0, 1, 19) >= since && $0 ~ /^[0-9][0-9][0-9][0-9]-/ && / (ERROR|FATAL): / { print FILENAME ": " $0; n++ } END { exit (n > 0) }';
  return [
    {
      id: `restore-links-${b}`,
      title: `Move the startup links back on ${box} (${what})`,
      kind: "exec",
      cite: `seed 003 §${section} (\`mv /opt/dirac/startup-save/* /opt/dirac/startup\`)`,
      targets: [{ host: box, command: sh`date -u '+started at %Y-%m-%d %H:%M:%S' && mv ${startupSaveDir(cluster, box)}/* ${startupDir(cluster, box)}/` }],
      captures: [{ name: capture, pattern: "^started at ([0-9-]{10} [0-9:]{8})$", valuePattern: "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}" }],
    },
    {
      id: `wait-running-${b}`,
      title: `Wait until runsvstat shows every component on ${box} running`,
      kind: "wait",
      cite: `seed 003 §${section}; reference §5 runsvstat (runsvdir starts a moved-back link within seconds)`,
      targets: [{ host: box, command: sh`runsvstat ${startupDir(cluster, box)}/*` }],
      wait: { delayMs: 120_000, poll: { intervalMs: 5_000, expect: { type: "all", of: [{ type: "exit-zero" }, { type: "stdout-excludes", text: ": down" }] } } },
    },
    {
      id: `check-logs-${b}`,
      title: `Check the logs on ${box} for errors since the restart`,
      kind: "check",
      cite: `seed 003 §${section} ("check the logs for errors"); reference §5 (log in \`startup/<comp>/log/current\`, written by svlogd)`,
      note:
        "Shows every ERROR or FATAL line of startup/*/log/current with a timestamp at or after the restart (UTC, DIRAC's log format); a line fails the check so that the run pauses for a decision with the lines shown. " +
        "A marker file beside startup/ keeps the time of the previous check, so Retry (after the operator dealt with the shown lines, which stay in the audited output) checks only lines logged since then; without it a Retry could never pass.",
      targets: [
        {
          host: box,
          command:
            `since={{${capture}}}; m=${sh`${logCheckMarker(cluster, box)}`}; ` +
            `if [ -f "$m" ]; then since=$(printf '%s\\n%s\\n' "$since" "$(cat "$m")" | sort | tail -n 1); fi; ` +
            `date -u '+%Y-%m-%d %H:%M:%S' > "$m"; ` +
            `${sh`awk -v`} since="$since" ${sh`${program} ${startupDir(cluster, box)}`}/*/log/current`,
        },
      ],
    },
  ];
}
