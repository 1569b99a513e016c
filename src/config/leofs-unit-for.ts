/**
 * The systemd unit that runs the LeoFS node installed in `dir` (relative to
 * the install dir). leo-project/leofs 1.4.4 rel/service/ ships exactly these
 * four units, each with `ExecStart=/usr/local/leofs/current/<dir>/bin/<script>
 * foreground_start`; other node dirs need a hand-made unit
 * (docs/admin/system_admin/multiple_nodes.md, NODE_EXTRA_NAME), which
 * intervene does not guess.
 */
const UNITS: Readonly<Record<string, string>> = {
  leo_manager_0: "leofs-manager-master",
  leo_manager_1: "leofs-manager-slave",
  leo_storage: "leofs-storage",
  leo_gateway: "leofs-gateway",
};

export function leofsUnitFor(dir: string): string | undefined {
  const key = dir.replace(/^\/+|\/+$/g, "");
  return Object.hasOwn(UNITS, key) ? UNITS[key] : undefined;
}

export const LEOFS_UNIT_DIRS: readonly string[] = Object.keys(UNITS);
