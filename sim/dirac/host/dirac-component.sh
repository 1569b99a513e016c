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
#   busy-cycle/<System>_<Agent>        seconds of work per agent cycle
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
# Waits `$1` seconds (fractions allowed); a line written to the fifo
# meanwhile is logged as-is (live log injection); a trapped signal
# interrupts the read. Pure bash ($EPOCHREALTIME): no child process.
wait_for() {
  local int=${1%.*} frac=0 t end left line to
  [ "$1" != "$int" ] && frac=${1#*.}
  frac=${frac}000
  t=${EPOCHREALTIME/./}
  end=$(( t / 1000 + 10#$int * 1000 + 10#${frac:0:3} ))
  while :; do
    t=${EPOCHREALTIME/./}
    left=$(( end - t / 1000 ))
    [ "$left" -le 0 ] && return 0
    printf -v to '%d.%03d' $((left / 1000)) $((left % 1000))
    if read -r -t "$to" -u 3 line; then printf '%s\n' "$line"; fi
  done
}

if [ "$kind" != agent ]; then
  while :; do wait_for 3600; done
fi

# An agent, as DIRACGrid/DIRAC src/DIRAC/Core/Base/AgentReactor.py go()
# runs it: before each cycle __checkControlDir() looks for
# <instance>/control/<System>/<Agent>/stop_agent (written by runit's
# control/t on `runsvctrl d`) and, when found, removes it and ends the
# agent; a cycle's work is never interrupted for it. Between cycles the
# reactor sleeps min(max(timeToNext, 0.5), 5) s, so an idle agent notices
# the file within seconds. Knob: busy-cycle/<System>_<Agent> = seconds of
# work per cycle (default 0). PollingTime here: 60 s (120 naps of 0.5 s).
stop_file='@INSTANCE@/control/'"$comp"'/stop_agent'
cycle=0
while :; do
  if [ -e "$stop_file" ]; then
    log INFO "Found StopAgent file for agent $comp"
    log INFO "Stopping agent module $comp"
    rm -f "$stop_file"
    log INFO "No more agent modules to execute. Exiting"
    exit 0
  fi
  cycle=$((cycle + 1))
  log ALWAYS "Cycle $cycle"
  busy=$(cat "$state/busy-cycle/$name" 2>/dev/null || echo 0)
  [ "$busy" != 0 ] && wait_for "$busy"
  idle=0
  while [ "$idle" -lt 120 ] && [ ! -e "$stop_file" ]; do wait_for 0.5; idle=$((idle + 1)); done
done
