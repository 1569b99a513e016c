import { leofsUnitFor, type LeofsCluster, type ServiceManager } from "../../config";
import { sh } from "../sh";
import { host, installPath } from "./leofs-layout";

/**
 * How one LeoFS node is started, stopped and probed, by the host's
 * `service` switch (issue 11 point 5).
 *
 * - `launch-script`: `bin/leo_* start|stop|ping|wait_ready` (reference §2).
 * - `systemd`: `systemctl start|stop <unit>` with the packages' units
 *   (leo-project/leofs 1.4.4 rel/service/leofs-*.service: Type=notify,
 *   Restart=on-failure, RestartSec=20). `ping` and `wait_ready` still go
 *   through the launch script, which LeoFS documents as compatible with
 *   systemd (docs/admin/system_operations/systemd.md, "Mixing old and new way
 *   to launch nodes": only start/stop/console/attach must not be mixed).
 */
export interface NodeControl {
  readonly service: ServiceManager;
  /** `<installDir>/<dir>/bin/<script>` on the node's host. */
  readonly script: string;
  /** The systemd unit (`leofs-storage`, …); undefined under launch scripts. */
  readonly unit: string | undefined;
  /** Starts the node unless it runs; may be re-run. */
  readonly start: string;
  /** `start`, then waits until the node is ready; may be re-run. */
  readonly startAndWaitReady: string;
  /** Stops the node. */
  readonly stop: string;
  /**
   * Exit codes of `stop` that are fine when the node may already be down:
   * the launch script exits 1 with `Cannot connect Node` (reference §2);
   * `systemctl stop` exits 0, and this tool's own exit 1 means the node
   * still runs (started outside systemd).
   */
  readonly stopCodesWhenMaybeDown: readonly number[];
  /** `pong` and exit 0 when the node answers. */
  readonly ping: string;
  /**
   * `ping`, except that under systemd a unit that is active or waiting to
   * restart exits 2 first: Restart=on-failure would start the node again
   * 20 s later, in the middle of a Mnesia move. Down and staying down is
   * therefore exit 1 without `pong` under both (the DOWN expectation).
   */
  readonly downProbe: string;
  /** One line for a plan's way-back text: how to start this node by hand. */
  readonly manualStart: string;
}

/** The node-control of a node in `dir` (relative to installDir) on `hostName`. */
export function nodeControl(cluster: LeofsCluster, hostName: string, dir: string, node: string): NodeControl {
  const scriptName = /^leo_manager/.test(dir) ? "leo_manager" : /^leo_storage/.test(dir) ? "leo_storage" : "leo_gateway";
  const script = installPath(cluster, hostName, `${dir}/bin/${scriptName}`);
  const service = serviceOf(cluster, hostName);
  if (service === "launch-script") return launchScriptControl(script);
  const unit = leofsUnitFor(dir);
  // config:check refuses such an inventory; reaching this is a loader bug.
  if (unit === undefined) throw new Error(`no LeoFS systemd unit for ${dir} on ${hostName}`);
  return systemdControl(script, unit, node);
}

export function serviceOf(cluster: LeofsCluster, hostName: string): ServiceManager {
  return host(cluster, hostName).service ?? cluster.leofs.service;
}

function launchScriptControl(script: string): NodeControl {
  // `start` only when `ping` gets no answer: `start` on a running node exits 1
  // (`Node is already running!`, reference §2), so this can be re-run.
  const start = sh`${script} ping >/dev/null 2>&1 || ${script} start`;
  return {
    service: "launch-script",
    script,
    unit: undefined,
    start,
    // `start` then `wait_ready`, as the official packaging tests do (reference
    // §2). A node whose VM died while booting does not answer ping, so running
    // this again starts it again: a retry can recover it.
    startAndWaitReady: `{ ${start}; } && ${sh`${script} wait_ready`}`,
    stop: sh`${script} stop`,
    stopCodesWhenMaybeDown: [0, 1],
    ping: sh`${script} ping`,
    downProbe: sh`${script} ping`,
    manualStart: sh`${script} start` + sh` && ${script} wait_ready`,
  };
}

/**
 * Seconds to wait for `systemctl is-active` = active and a pong after
 * `systemctl start --no-block`: within the step's WAIT_READY_TIMEOUT_MS
 * (300 s), leaving room for `wait_ready`, and longer than RestartSec=20 so
 * that one failed boot and its restart fit.
 */
export const SYSTEMD_ACTIVE_WAIT_SECONDS = 200;

function systemdControl(script: string, unit: string, node: string): NodeControl {
  // A node that answers ping while its unit is inactive or failed was started
  // by the launch script (an activating unit's VM answers while it boots). `systemctl start` would then run `foreground_start`, which
  // exits 1 (`Node is already running!`, rel/common/launch.sh), and
  // Restart=on-failure would retry it every 20 s for ever. Refuse instead.
  const outside = sh`st=$(systemctl is-active ${unit}); if { [ "$st" = inactive ] || [ "$st" = failed ]; } && ${script} ping >/dev/null 2>&1; then echo ${`intervene: ${node} answers ping but ${unit} is`} "$st": ${"it was started by the launch script, and LeoFS does not support mixing the two (docs/admin/system_operations/systemd.md). Stop it once with"} ${sh`${script} stop`}${", then Retry."} >&2; exit 1; fi`;
  // --no-block: with Type=notify, `systemctl start` waits for READY=1, and the
  // 1.4.4 source does not show when a node sends it (sd_notify is only linked
  // in, rebar.config). A manager whose Mnesia waits for its partner would
  // then block its own start step until TimeoutStartSec (5 min) while the
  // partner is never started. So the start only queues the job; readiness is
  // the unit's state plus a pong, then `wait_ready` as under the launch scripts.
  const start = `${outside}; ${sh`systemctl start --no-block ${unit}`}`;
  const waitActive = sh`i=0; while :; do st=$(systemctl is-active ${unit}); if [ "$st" = active ] && ${script} ping >/dev/null 2>&1; then break; fi; if [ "$st" = failed ] || [ "$i" -ge ${SYSTEMD_ACTIVE_WAIT_SECONDS} ]; then echo ${`intervene: ${unit} is`} "$st" ${`and ${node} does not answer ping; see systemctl status ${unit} and journalctl -u ${unit}`} >&2; exit 1; fi; i=$((i + 1)); sleep 1; done`;
  return {
    service: "systemd",
    script,
    unit,
    start,
    startAndWaitReady: `${start} && { ${waitActive}; } && ${sh`${script} wait_ready`}`,
    // ExecStop runs the launch script's `stop`; a node that still answers
    // afterwards was not this unit's (started by the launch script).
    stop: sh`systemctl stop ${unit}; if ${script} ping >/dev/null 2>&1; then echo ${`intervene: ${node} still answers ping after systemctl stop ${unit}: it was started by the launch script. Stop it once with ${script} stop, then Retry.`} >&2; exit 1; fi`,
    stopCodesWhenMaybeDown: [0],
    ping: sh`${script} ping`,
    downProbe: sh`st=$(systemctl is-active ${unit}); echo ${`${unit}:`} "$st"; case "$st" in active|activating|reloading|deactivating) echo ${`intervene: systemd keeps ${node} up (Restart=on-failure): stop it with systemctl stop ${unit}`} >&2; exit 2 ;; esac; ${script} ping`,
    manualStart: sh`systemctl start ${unit}`,
  };
}
