import type { StepTemplate } from "../model/procedure-definition";
import { sh } from "../sh";
import { identifier, slug } from "./leofs-layout";
import type { UpgradeNode } from "./upgrade-units";

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Fails the command when any LeoFS node still runs on the host: a beam
 * process started by a LeoFS launch script (`-progname leo_*`) or carrying
 * one of the host's node names. `[b]eam` keeps the pattern from matching the
 * shell that runs it. `ping` is deliberately not used: nodetool starts a
 * distributed Erlang node, which starts epmd again when none runs.
 */
export function noLeofsNodeGuard(hostName: string, nodes: readonly UpgradeNode[]): string {
  const names = nodes.map((n) => escapeRegex(n.node)).join("|");
  const pattern = `[b]eam.*( -progname leo_(manager|storage|gateway)| -name (${names}))( |$)`;
  return sh`if pgrep -f ${pattern} >/dev/null; then echo ${`refusing to touch epmd: a LeoFS node still runs on ${hostName}:`} >&2; pgrep -af ${pattern} >&2; exit 1; fi`;
}

/** Kills the pids in "$@" and waits (10 s at most each) until they are gone. */
const KILL_AND_WAIT =
  'kill "$@" || exit 1; for p in "$@"; do i=0; while kill -0 "$p" 2>/dev/null; do i=$((i+1)); if [ "$i" -gt 10 ]; then echo "epmd $p did not exit" >&2; exit 1; fi; sleep 1; done; done';

const pidsCapture = (name: string) => ({ name, pattern: "^([0-9]+) ", valuePattern: "[0-9]+" });

const SEED_EPMD = "seed 002 \"Changes in LeoFS' Packages (1.3.8+)\" (`pgrep -a epmd`; never kill epmd while a LeoFS node runs)";

/** `pgrep -a epmd`, capturing the pids for `killEpmd`. */
export function checkEpmd(hostName: string): StepTemplate {
  return {
    id: `check-epmd-${slug(hostName)}`,
    title: `List the epmd processes on ${hostName}`,
    kind: "check",
    cite: `${SEED_EPMD}; reference §2 epmd`,
    targets: [{ host: hostName, command: "pgrep -a epmd" }],
    // pgrep exits 1 when nothing matches: no epmd is the good case.
    expect: { type: "exit-code", codes: [0, 1] },
    captures: [pidsCapture(`epmd_pids_${identifier(hostName)}`)],
  };
}

/**
 * Kills exactly the pids `checkEpmd` listed, never by name (`pkill epmd`
 * would also hit another service's epmd started since). No pids: a no-op.
 */
export function killEpmd(hostName: string, nodes: readonly UpgradeNode[]): StepTemplate {
  const capture = `epmd_pids_${identifier(hostName)}`;
  return {
    id: `kill-epmd-${slug(hostName)}`,
    title: `Kill the listed epmd processes on ${hostName} (none: nothing to do)`,
    kind: "exec",
    cite: `${SEED_EPMD}; reference §2 (killing epmd while nodes run leaves them unable to communicate)`,
    note:
      "The seed's `pkill epmd` is replaced by `kill` of the pids listed by the previous step, after a guard that no LeoFS node runs on the host. " +
      "An epmd shared with another Erlang service (e.g. RabbitMQ) is killed too: that service's nodes cannot be reached by name until they restart.",
    destructive: true,
    targets: [
      {
        host: hostName,
        command: `set -- {{${capture}}}; if [ "$#" -eq 0 ]; then ${sh`echo ${`no epmd runs on ${hostName}: nothing to kill`}`}; exit 0; fi; ${noLeofsNodeGuard(hostName, nodes)}; ${KILL_AND_WAIT}`,
      },
    ],
    approvalDetail: `Kills the epmd processes listed by the previous step on ${hostName} (the command shows their pids), after checking that no LeoFS node runs there.`,
  };
}

/**
 * After the install: whether `leofs-epmd.socket` failed (seed 002: "Job for
 * leofs-epmd.socket failed"), and if so which epmd holds the port. Hosts
 * without systemd report "unknown" and the recovery is a no-op.
 */
export function checkEpmdSocket(hostName: string): StepTemplate {
  const h = identifier(hostName);
  return {
    id: `check-epmd-socket-${slug(hostName)}`,
    title: `Check leofs-epmd.socket on ${hostName}`,
    kind: "check",
    cite: "seed 002 (\"If an error was made and epmd wasn't stopped before installation…\"); reference §4 `leofs-epmd.socket`",
    targets: [
      {
        host: hostName,
        command: 'state=$(systemctl is-active leofs-epmd.socket 2>/dev/null); echo "leofs-epmd.socket: ${state:-unknown}"; if [ "$state" = failed ]; then pgrep -a epmd || true; fi',
      },
    ],
    captures: [{ name: `epmd_socket_failed_${h}`, pattern: "^leofs-epmd\\.socket: (failed)$", valuePattern: "failed" }, pidsCapture(`epmd_socket_pids_${h}`)],
  };
}

/** Seed 002's recovery, run only when the socket failed: kill the listed epmd, then `systemctl start leofs-epmd.socket`. */
export function recoverEpmdSocket(hostName: string, nodes: readonly UpgradeNode[]): StepTemplate {
  const h = identifier(hostName);
  return {
    id: `recover-epmd-socket-${slug(hostName)}`,
    title: `Recover leofs-epmd.socket on ${hostName} if it failed (otherwise nothing to do)`,
    kind: "exec",
    cite: "seed 002 (\"kill running epmd instance … Execute systemctl start leofs-epmd.socket - there should be no output\")",
    note:
      "Modelled as an always-present step that does nothing unless the previous check saw the socket failed; the install step lets exactly that failure through so the run gets here. " +
      "The pids are the ones the check listed (shown in the command); the guard proves no LeoFS node runs first.",
    destructive: true,
    targets: [
      {
        host: hostName,
        command:
          `set -- {{epmd_socket_failed_${h}}}; if [ "$#" -eq 0 ]; then echo 'leofs-epmd.socket did not fail: nothing to recover'; exit 0; fi; ` +
          `${noLeofsNodeGuard(hostName, nodes)}; set -- {{epmd_socket_pids_${h}}}; if [ "$#" -gt 0 ]; then ${KILL_AND_WAIT}; fi; systemctl start leofs-epmd.socket`,
      },
    ],
    approvalDetail: `Only if leofs-epmd.socket failed on ${hostName}: kills the listed epmd pids and starts leofs-epmd.socket.`,
  };
}
