# Simulated DIRAC component: stands in for dirac-agent.py / dirac-service.py.
# The runit run script starts it as
#   exec -a python bash <instance>/pro/DIRAC/Core/scripts/dirac-agent.py <System>/<Component> <cfg>
# so `ps fax` shows `python .../dirac-agent.py System/Component ...` like a
# real VOBOX. It logs DIRAC-style lines on stdout (runit pipes them to
# svlogd, i.e. log/current) and idles on a fifo read so that it has no child
# process: a TERM from runsv ends it at once and nothing is left behind.
# Knobs (files under the box's sim state dir, set by the TS harness):
#   fail-start/<System>_<Component>    exit 1 at start, message = file content
#   hang-on-stop/<System>_<Component>  ignore TERM (runsvstat: want down, got TERM)
set -u
export TZ=UTC
state='@BOX_STATE@'
comp="${1:?usage: dirac-<kind>.py <System>/<Component> [cfg]}"
name="${comp/\//_}"
kind="${0##*/}"
kind="${kind#dirac-}"
kind="${kind%.py}"

# DIRAC gLogger layout: "<date> UTC <System/Component> <LEVEL right-aligned>: <message>"
log() {
  printf -v ts '%(%Y-%m-%d %H:%M:%S)T' -1
  printf '%s UTC %s %5s: %s\n' "$ts" "$comp" "$1" "$2"
}

if [ -e "$state/fail-start/$name" ]; then
  reason="$(< "$state/fail-start/$name")"
  log ERROR "${reason:-cannot start}"
  log FATAL "$kind $comp could not be started"
  exit 1
fi

on_term() {
  if [ -e "$state/hang-on-stop/$name" ]; then
    log WARN "SIGTERM received while busy, finishing the current cycle"
  else
    log INFO "SIGTERM received, $kind $comp exiting"
    exit 0
  fi
}
trap on_term TERM

fifo="$state/tick/$name"
[ -p "$fifo" ] || mkfifo "$fifo"
exec 3<>"$fifo"

port=9100
if [ -r "${2:-}" ]; then
  while read -r key _ value; do [ "$key" = Port ] && port="$value"; done < "$2"
fi

log INFO "Loading $comp"
if [ "$kind" = agent ]; then
  log INFO "Agent $comp started (setup @SETUP@)"
else
  log INFO "Service $comp listening at dips://@BOX@:$port/$comp (setup @SETUP@)"
fi
cycle=1
[ "$kind" = agent ] && log ALWAYS "Cycle $cycle"
while :; do
  # A line written to the fifo is logged as-is (live log injection); a
  # timeout is the next agent cycle; a trapped signal interrupts the read.
  if read -r -t 60 -u 3 line; then
    printf '%s\n' "$line"
  elif [ "$kind" = agent ]; then
    cycle=$((cycle + 1))
    log ALWAYS "Cycle $cycle"
  fi
done
