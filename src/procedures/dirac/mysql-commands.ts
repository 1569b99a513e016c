import { sh, shPart, type ShellFragment } from "../sh";

/**
 * `mysql.server status` without a PID file falls back to `pidof mysqld`
 * (mysql/mysql-server support-files/mysql.server.sh, 'status'): exit 4 is
 * "MySQL is running but PID file could not be found", exit 5 "Multiple MySQL
 * running but PID file could not be found". Neither can be handled by the
 * script: `stop` reads only the PID file ("PID file could not be found!",
 * exit 0), and `start` would launch a second mysqld on a datadir whose
 * InnoDB files another one holds. So every MySQL step asks `status` first
 * and, on 4 or 5, stops with this explanation instead of acting.
 */
function refuseWithoutPidFile(box: string): ShellFragment {
  const why = `intervene: a mysqld runs on ${box} without its PID file (status exit`;
  const how = "): stop it by hand (mysqladmin shutdown), then Retry.";
  return shPart`case $rc in 4|5) echo ${why} "$rc"${how} >&2; exit $rc ;; esac`;
}

/** `status`, its exit code kept, with exits 4 and 5 explained on stderr. */
export function mysqlStatus(server: string, box: string): string {
  return sh`rc=0; ${server} status || rc=$?; ${refuseWithoutPidFile(box)}; exit $rc`;
}

/** `stop`, unless a server runs without its PID file (which `stop` would report with exit 0 and leave running). */
export function mysqlStop(server: string, box: string): string {
  return sh`rc=0; ${server} status >/dev/null 2>&1 || rc=$?; ${refuseWithoutPidFile(box)}; ${server} stop`;
}

/** `start` only where `status` says not running (exit 1, 2 or 3); a running server (0) is left alone, 4 and 5 refused, anything else passed on. */
export function mysqlStartIfDown(server: string, box: string): string {
  return sh`rc=0; ${server} status || rc=$?; ${refuseWithoutPidFile(box)}; case $rc in 0) ;; 1|2|3) ${server} start ;; *) exit $rc ;; esac`;
}
