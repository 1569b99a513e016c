# leofs-sim shared library: sourced by every simulator script.
# State layout (see ../README.md):
#   $SIM/hosts/<h>/...        host root: the real absolute paths of host <h> live under it
#   $SIM/state/<h>/           per-host sim state: procs, owners, packages, units, address
#   $SIM/cluster/             cluster-wide state: node runtime records, monitor, faults, lock
# Hot paths use bash builtins only: every command runs under one cluster lock
# and a fork costs more than the whole state transition.
# shellcheck shell=bash

# Sim internals must never go through the PATH shims nor a disabled builtin.
enable kill 2>/dev/null
unset BASH_ENV
export PATH=/usr/bin:/bin
export LC_ALL=C
export TZ=UTC

: "${SIM:=${LEOFS_SIM_ROOT:-}}"
if [[ -z $SIM || ! -d $SIM/cluster ]]; then
  echo "leofs-sim: LEOFS_SIM_ROOT is not a simulator root" >&2
  exit 70
fi
CL=$SIM/cluster
LIBEXEC=$SIM/libexec
ERTS=erts-8.3.5.3
# `config mnesia_mode erlang` (startLeofsSim `mnesia: "erlang"`): each manager
# is a real Erlang VM with OTP's mnesia holding the LeoFS tables
# (erl/leofs_sim_manager.erl); the shell model keeps the console, the monitor,
# storage and gateways, and reads and writes the tables through the VM.
ERL_MODE=0
[[ -f $CL/config ]] && while IFS= read -r _l; do [[ $_l == mnesia_mode=erlang ]] && ERL_MODE=1; done <"$CL/config"
unset _l

# ---------------------------------------------------------------- locking
# One cluster-wide lock: every command is a short critical section, so
# concurrent SSH sessions see a serial history, like the managers' Mnesia.
sim_lock() { exec 9>>"$CL/lock"; flock 9; rec_load_all; }
sim_unlock() { flock -u 9 2>/dev/null; exec 9>&-; }

# ---------------------------------------------------------------- small builtins-only helpers
kv_get() { # file key
  local line
  [[ -f $1 ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line == "$2="* ]] && { printf '%s' "${line#*=}"; return 0; }
  done <"$1"
}
kv_set() { # file key value
  # Written whole to a file of its own, then renamed over the old one (one fork): a reader that does not
  # hold the lock sees the old or the new content, never the truncated file a write in place shows for a
  # moment. `systemctl is-active` reads unit states without the lock, and read a booting unit as
  # `inactive` that way (CI: the systemd upgrade e2e failed with "answers ping but
  # leofs-manager-master is inactive"); real systemd never reports a state it is not in.
  local f=$1 k=$2 v=$3 line out=""
  if [[ -f $f ]]; then
    while IFS= read -r line || [[ -n $line ]]; do
      [[ $line == "$k="* ]] || out+=$line$'\n'
    done <"$f"
  fi
  printf '%s%s=%s\n' "$out" "$k" "$v" >"$f.$BASHPID.new" && mv -f "$f.$BASHPID.new" "$f"
}
read_first() { local l=""; [[ -f $1 ]] && { IFS= read -r l <"$1" || true; }; printf '%s' "$l"; }
# A manager started on empty Mnesia has no tables until its timer fired and
# its partner answered (launch tables_later): true while that lasts; ends it
# for good once both hold.
tables_pending() { # manager
  ((ERL_MODE)) && { [[ ${RC[$1|phase]-} != ok ]]; return; }
  local at=${RC[$1|tables_at]-} p=${RC[$1|partner]-}
  [[ -n $at ]] || return 1
  if (( $(date +%s%3N) >= at )) && { [[ -z $p ]] || node_alive "$p"; }; then rec_set "$1" tables_at ""; return 1; fi
  return 0
}
cfg_get() { local v; v=$(kv_get "$CL/config" "$1"); printf '%s' "${v:-$2}"; }
now_epoch() {
  if [[ -s $CL/clock ]]; then read_first "$CL/clock"; else printf '%(%s)T' -1; fi
}
fmt_date() { printf '%(%Y-%m-%d %H:%M:%S +0000)T' "$1"; }
trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; s=${s%"${s##*[![:space:]]}"}; printf '%s' "$s"; }

# ---------------------------------------------------------------- runtime records (cluster/nodes/<node>)
declare -A RC=()   # "node|key" -> value
declare -A RK=()   # node -> "key key ..."
REC_NODES=()
rec() { printf '%s/nodes/%s' "$CL" "$1"; }
rec_load() { # node
  local n=$1 line k
  RK[$n]=""
  [[ -f $CL/nodes/$n ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    k=${line%%=*}
    RC[$n|$k]=${line#*=}
    RK[$n]+=" $k"
  done <"$CL/nodes/$n"
}
rec_load_all() {
  local f
  RC=() RK=() REC_NODES=()
  for f in "$CL"/nodes/*; do
    [[ -f $f ]] || continue
    f=${f##*/}
    REC_NODES+=("$f")
    rec_load "$f"
  done
}
rec_get() { printf '%s' "${RC[$1|$2]-}"; }
rec_set() { # node key value
  local n=$1 k=$2 out="" key
  if [[ -z ${RK[$n]+x} ]]; then RK[$n]=""; REC_NODES+=("$n"); fi
  [[ " ${RK[$n]} " == *" $k "* ]] || RK[$n]+=" $k"
  RC[$n|$k]=$3
  for key in ${RK[$n]}; do out+="$key=${RC[$n|$key]}"$'\n'; done
  printf '%s' "$out" >"$CL/nodes/$n"
}
rec_reset() { # node: a fresh boot record
  local key
  for key in ${RK[$1]-}; do unset "RC[$1|$key]"; done
  RK[$1]=""
  [[ " ${REC_NODES[*]} " == *" $1 "* ]] || REC_NODES+=("$1")
  : >"$CL/nodes/$1"
}
records_of_kind() { local n; for n in "${REC_NODES[@]}"; do [[ ${RC[$n|kind]-} == "$1" ]] && echo "$n"; done; }

# ---------------------------------------------------------------- conf files (leo_*.conf)
# key = value lines; "#" comments. Parsed with builtins only (no subshell per line).
CONF_RE='^[[:space:]]*([^#[:space:]=][^=]*)=(.*)$'
conf_get() { # file key
  local line key val v="" found=""
  [[ -f $1 ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ $CONF_RE ]] || continue
    key=${BASH_REMATCH[1]}; key=${key%"${key##*[![:space:]]}"}
    [[ $key == "$2" ]] || continue
    val=${BASH_REMATCH[2]}; val=${val#"${val%%[![:space:]]*}"}; val=${val%"${val##*[![:space:]]}"}
    v=$val found=1
  done <"$1"
  [[ -n $found ]] && printf '%s' "$v"
  return 0
}
conf_set() { # file key value
  local f=$1 k=$2 v=$3 line key out="" done=""
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line =~ $CONF_RE ]]; then
      key=${BASH_REMATCH[1]}; key=${key%"${key##*[![:space:]]}"}
      if [[ $key == "$k" ]]; then
        [[ -z $done ]] && out+="$k = $v"$'\n'
        done=1; continue
      fi
    fi
    out+=$line$'\n'
  done <"$f"
  [[ -z $done ]] && out+="$k = $v"$'\n'
  printf '%s' "$out" >"$f"
}
# "[a@x, b@y]" -> "a@x b@y"
list_words() { local s=${1//[\[\]]/}; s=${s//,/ }; echo $s; }

# ---------------------------------------------------------------- node dirs
dir_kind() {
  case ${1##*/} in
    leo_manager_*) echo manager ;;
    leo_storage*) echo storage ;;
    leo_gateway*) echo gateway ;;
    *) echo unknown ;;
  esac
}
dir_conf() {
  case $(dir_kind "$1") in
    manager) echo "$1/etc/leo_manager.conf" ;;
    storage) echo "$1/etc/leo_storage.conf" ;;
    gateway) echo "$1/etc/leo_gateway.conf" ;;
  esac
}
dir_host() { local p=${1#"$SIM"/hosts/}; printf '%s' "${p%%/*}"; }
dir_version() { local p=${1%/*}; printf '%s' "${p##*/}"; }
host_root() { printf '%s/hosts/%s' "$SIM" "$1"; }
hstate() { printf '%s/state/%s' "$SIM" "$1"; }
mnesia_dir() { # nodedir
  local d
  d=$(conf_get "$(dir_conf "$1")" mnesia.dir)
  d=${d:-./work/mnesia/127.0.0.1}
  case $d in /*) printf '%s' "$d" ;; *) printf '%s/%s' "$1" "${d#./}" ;; esac
}
# the launch script records it at start: no conf parsing on the hot path
mgr_mnesia_dir() { if [[ -n ${RC[$1|mndir]-} ]]; then printf '%s' "${RC[$1|mndir]}"; else mnesia_dir "${RC[$1|dir]-}"; fi; }

# ---------------------------------------------------------------- processes
# A sim process is a real process whose cmdline runs a script from $SIM/libexec;
# that check guards every signal against pid reuse and foreign processes.
is_sim_pid() {
  local pid=$1 parts st
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  { mapfile -d '' parts <"/proc/$pid/cmdline"; } 2>/dev/null || return 1
  if ! [[ ${parts[1]-} == "$LIBEXEC/"* || ${parts[1]-} == "$SIM/bin/leofs-adm" ]]; then
    # a real Erlang VM of a manager (mnesia_mode erlang) carries -leofs_sim_root <SIM>
    local i found=0
    for ((i = 1; i < ${#parts[@]}; i++)); do
      [[ ${parts[i]} == -leofs_sim_root && ${parts[i + 1]-} == "$SIM" ]] && { found=1; break; }
    done
    ((found)) || return 1
  fi
  { read -r -a st <"/proc/$pid/stat"; } 2>/dev/null || return 1
  [[ ${st[2]-} != Z ]]
}
procs_file() { printf '%s/state/%s/procs' "$SIM" "$1"; }
procs_prune() { # host: drop dead entries (rewrite only when something died)
  local f=$SIM/state/$1/procs pid rest out="" changed=0
  [[ -f $f ]] || return 0
  while IFS=$'\t' read -r pid rest; do
    [[ -z $pid ]] && continue
    if is_sim_pid "$pid"; then out+="$pid"$'\t'"$rest"$'\n'; else changed=1; fi
  done <"$f"
  ((changed)) && printf '%s' "$out" >"$f"
  return 0
}
# spawn_proc host kind comm display exe args... -> echoes pid
spawn_proc() {
  local host=$1 kind=$2 comm=$3 display=$4; shift 4
  # fd 9 is the cluster lock: the long-lived child must not inherit it.
  setsid "$@" </dev/null >/dev/null 2>&1 9>&- &
  local pid=$!
  printf '%s\t%s\t%s\t%s\n' "$pid" "$kind" "$comm" "$display" >>"$(procs_file "$host")"
  printf '%s' "$pid"
}
signal_sim_pid() { is_sim_pid "$1" || return 1; kill "-${2:-TERM}" "$1" 2>/dev/null; }
wait_gone() { local i; for ((i = 0; i < 200; i++)); do is_sim_pid "$1" || return 0; sleep 0.02; done; return 1; }
host_epmd_pid() {
  local pid kind rest f=$SIM/state/$1/procs
  [[ -f $f ]] || return 1
  while IFS=$'\t' read -r pid kind rest; do
    [[ $kind == epmd ]] && is_sim_pid "$pid" && { printf '%s' "$pid"; return 0; }
  done <"$f"
  return 1
}
ensure_epmd() { # host [display] -> pid
  local pid
  if pid=$(host_epmd_pid "$1"); then printf '%s' "$pid"; return 0; fi
  spawn_proc "$1" epmd epmd "${2:-/usr/local/leofs/current/leo_manager_0/$ERTS/bin/epmd -daemon}" \
    "$LIBEXEC/epmd" -daemon -sim-host "$1"
}

# ---------------------------------------------------------------- node liveness
node_alive() { local pid=${RC[$1|pid]-}; [[ -n $pid ]] && is_sim_pid "$pid"; }
# Reachable by name: alive and the epmd it registered with is still the live one.
node_reachable() {
  node_alive "$1" || return 1
  local cur
  cur=$(host_epmd_pid "${RC[$1|host]-}") || return 1
  [[ $cur == "${RC[$1|epmd]-}" ]]
}

# ---------------------------------------------------------------- systemd units (state/<h>/units)
# leo-project/leofs 1.4.4 rel/service/leofs-{manager-master,manager-slave,
# storage,gateway}.service: Type=notify, ExecStart=<dir>/bin/<script>
# foreground_start, ExecStop=<dir>/bin/<script> stop, Restart=on-failure,
# RestartSec=20. The unit's main process is the node's VM; a supervisor
# process (libexec/unit-supervisor) stands in for systemd watching it.
# States: inactive, active, failed, "activating auto-restart" (waiting
# RestartSec before the next start), with `<unit>.supervisor` its pid.
unit_get() { kv_get "$SIM/state/$1/units" "$2"; }          # host key
unit_put() { kv_set "$SIM/state/$1/units" "$2" "$3"; }     # host key value (caller holds the lock)
unit_journal() { printf '%s %s: %s\n' "$(date -u +%FT%TZ)" "$2" "$3" >>"$SIM/state/$1/journal"; }
unit_script() { # host unit -> launch script of the node the unit runs
  local d
  case ${2%.service} in
    leofs-manager-master) d=leo_manager_0 ;;
    leofs-manager-slave) d=leo_manager_1 ;;
    leofs-storage) d=leo_storage ;;
    leofs-gateway) d=leo_gateway ;;
    *) return 1 ;;
  esac
  printf '%s/usr/local/leofs/current/%s/bin/%s' "$(host_root "$1")" "$d" "$(case $d in leo_manager*) echo leo_manager ;; *) echo "$d" ;; esac)"
}
unit_node() { # script -> the node name its conf gives
  local nd; nd=$(dirname "$(dirname "$1")")
  conf_get "$(dir_conf "$(realpath -m "$nd")")" nodename
}
# One Type=notify start: foreground_start refuses a node that already
# answers ping (rel/common/launch.sh: "Node is already running!", exit 1);
# otherwise the VM boots and `systemctl start` returns once the node is ready
# (READY=1, modelled as the launch script's `ready`). A VM that dies first,
# or no READY within the start timeout, fails the job: Restart=on-failure
# (systemd.service(5), Type=notify and TimeoutStartSec=).
# Called without the lock (the launch script takes it). Returns 0 if active.
unit_boot() { # host unit script node
  local h=$1 u=$2 script=$3 node=$4 i limit pid
  if "$script" ping >/dev/null 2>&1; then
    unit_journal "$h" "$u" "Node is already running!"
    unit_journal "$h" "$u" "$u.service: Main process exited, code=exited, status=1/FAILURE"
    sim_lock; unit_put "$h" "$u" "activating auto-restart"; sim_unlock
    return 1
  fi
  sim_lock; unit_put "$h" "$u" "activating start"; sim_unlock
  "$script" start >/dev/null 2>&1
  limit=$(awk -v s="$(cfg_get systemd_start_timeout 300)" 'BEGIN { printf "%d", s * 20 }')
  for ((i = 0; i < limit; i++)); do
    if "$script" ready >/dev/null 2>&1; then
      sim_lock; unit_put "$h" "$u" active; sim_unlock
      unit_journal "$h" "$u" "Started $u.service."
      return 0
    fi
    # systemd fails a Type=notify start when the main process exits before
    # READY=1 (or at TimeoutStartSec), not when the node is slow to answer
    # ping: a VM still booting on a loaded host is given its time.
    sim_lock; pid=$(rec_get "$node" pid); sim_unlock
    is_sim_pid "$pid" || break
    sleep 0.05
  done
  unit_journal "$h" "$u" "$u.service: Main process exited, code=exited, status=1/FAILURE"
  sim_lock
  [[ $(rec_get "$node" pid) =~ ^[0-9]+$ ]] && signal_sim_pid "$(rec_get "$node" pid)" KILL
  unit_put "$h" "$u" "activating auto-restart"
  sim_unlock
  return 1
}
# Starts the unit's supervisor: `supervise` watches an active unit's VM,
# `restart` waits RestartSec first. Caller holds the lock.
unit_supervise() { # host unit script node mode
  local pid
  pid=$(spawn_proc "$1" unit systemd "/lib/systemd/systemd --system (leofs-sim: $2.service)" "$LIBEXEC/unit-supervisor" "$1" "$2" "$3" "$4" "$5")
  unit_put "$1" "$2.supervisor" "$pid"
}
unit_unsupervise() { # host unit (caller holds the lock)
  local pid; pid=$(unit_get "$1" "$2.supervisor")
  [[ -n $pid ]] && signal_sim_pid "$pid" KILL && wait_gone "$pid"
  unit_put "$1" "$2.supervisor" ""
}

# ---------------------------------------------------------------- ownership (chown is recorded, never real)
owners_file() { printf '%s/state/%s/owners' "$SIM" "$1"; }
set_owner() { # host path owner [-R]
  local f path ino line out=""
  f=$(owners_file "$1"); path=$(realpath -m "$2"); ino=$(stat -c %i "$path" 2>/dev/null) || return 1
  if [[ -f $f ]]; then
    while IFS= read -r line; do
      local p=${line%%$'\t'*}
      [[ $p == "$path" ]] && continue
      [[ ${4:-} == -R && $p == "$path/"* ]] && continue
      out+=$line$'\n'
    done <"$f"
  fi
  printf '%s%s\t%s\t%s\n' "$out" "$path" "$ino" "$3" >"$f"
}
# The owner of a path: the nearest record (whose inode still matches) on the
# path or an ancestor; otherwise root, as for anything an operator creates.
owner_of() { # host path
  local host=$1 p root f line
  p=$(realpath -m "$2"); root=$(host_root "$host"); f=$(owners_file "$host")
  while :; do
    if [[ -e $p && -f $f ]]; then
      local ino
      ino=$(stat -c %i "$p")
      while IFS=$'\t' read -r -a line; do
        [[ ${line[0]} == "$p" && ${line[1]} == "$ino" ]] && { printf '%s' "${line[2]}"; return; }
      done <"$f"
    fi
    [[ $p == "$root" || $p == / || $p == "$SIM" ]] && break
    p=${p%/*}; [[ -z $p ]] && p=/
  done
  printf root
}

# ---------------------------------------------------------------- ring hashes
# 8-hex checksum of the ring members (the real ring hash is a CRC too).
ring_hash_of() {
  if [[ -s $CL/next_ring_hash ]]; then read_first "$CL/next_ring_hash"; rm -f "$CL/next_ring_hash"; return; fi
  printf '%s\n' "$@" | sort | cksum | { read -r c _; printf '%08x' "$c"; }
}
node_ring_file() { printf '%s/work/sim-ring' "${RC[$1|dir]-}"; }
node_ring() { read_first "$(node_ring_file "$1")"; }   # "cur prev"
set_node_ring() { printf '%s %s\n' "$2" "$3" >"$(node_ring_file "$1")"; }

# ---------------------------------------------------------------- mnesia files
# Names as in LeoFS 1.4.4 (the members' previous table is leo_members_prev, leo_redundant_manager.hrl ?MEMBER_TBL_PREV).
MN_TABLES="schema.DAT leo_system_conf.DCD leo_storage_nodes.DCD leo_gateway_nodes.DCD leo_members_cur.DCD leo_members_prev.DCD leo_ring_cur.DCD leo_ring_prv.DCD"
# What `leofs-adm backup-mnesia` checkpoints, of the tables the sim models:
# leo-project/leofs 1.4.4 apps/leo_manager/src/leo_manager_mnesia.erl
# backup/1 names 11 tables (system conf, gateway and storage nodes, available
# commands, rebalance info, del-bucket state, endpoints, auth, buckets, users,
# credentials) and NOT leo_ring_cur/prv nor leo_members_cur/prv.
MN_BACKUP_TABLES="leo_system_conf.DCD leo_storage_nodes.DCD leo_gateway_nodes.DCD"
MN_MAGIC="%% leofs-sim mnesia"

# mn_inspect dir: sets MN_STATE (ok|empty|corrupt) MN_CLUSTER MN_COOKIE MN_GEN
mn_inspect() {
  local dir=$1 t hdr first="" any=0 missing=0
  MN_STATE=corrupt MN_CLUSTER="" MN_COOKIE="" MN_GEN=""
  for t in $MN_TABLES; do if [[ -f $dir/$t ]]; then any=1; else missing=1; fi; done
  if ((any == 0)); then MN_STATE=empty; return; fi
  ((missing)) && return
  for t in $MN_TABLES; do
    hdr=""; { IFS= read -r hdr <"$dir/$t"; } 2>/dev/null
    [[ $hdr == "$MN_MAGIC table=$t "* ]] || return
    hdr=${hdr#"$MN_MAGIC table=$t "}
    [[ -z $first ]] && first=$hdr
    [[ $hdr == "$first" ]] || return
  done
  [[ $first =~ ^cluster=([^ ]*)\ cookie=([^ ]+)\ generation=([0-9]+)$ ]] || return
  MN_CLUSTER=${BASH_REMATCH[1]} MN_COOKIE=${BASH_REMATCH[2]} MN_GEN=${BASH_REMATCH[3]}
  MN_STATE=ok
}
mn_fingerprint() { local t; for t in $MN_TABLES; do tail -n +2 "$1/$t"; done | md5sum | cut -c1-12; }
new_cookie() { local c; c=$(od -An -tx1 -N8 /dev/urandom); c=${c// /}; printf '%s' "${c//$'\n'/}"; }

# The system configuration's keys in leo_manager.conf, by the sim's name.
declare -A SYSCONF_KEYS=([cluster_id]=system.cluster_id [dc_id]=system.dc_id [n]=consistency.num_of_replicas
  [r]=consistency.read [w]=consistency.write [d]=consistency.delete [rack_n]=consistency.rack_aware_replicas
  [mdc_max]=mdc_replication.max_targets [mdc_n]=mdc_replication.num_of_replicas_a_dc
  [mdc_r]=mdc_replication.consistency.read [mdc_w]=mdc_replication.consistency.write
  [mdc_d]=mdc_replication.consistency.delete)

# ---------------------------------------------------------------- in-memory tables
# A working copy of one manager's Mnesia: rows of the storage (S) and gateway (G)
# tables keyed "T|node|field" (fields: state rack cur prev upd), insertion order
# kept in ORDER_S/ORDER_G, the system conf, schema, rings and members.
declare -A ROW=() SYS=() SCH=()
ORDER_S=() ORDER_G=()
RING_CUR="" RING_PRV="" MEM_CUR="" MEM_PRV=""
DB_OPEN=0 DB_DIRTY=0
T_S=S T_G=G
table_file() { case $1 in S) echo leo_storage_nodes.DCD ;; G) echo leo_gateway_nodes.DCD ;; esac; }

db_load_dir() { # mnesia dir -> in-memory tables (headers already validated by caller)
  local dir=$1 line n st rk c p u T
  ROW=() SYS=() SCH=() ORDER_S=() ORDER_G=() RING_CUR="" RING_PRV="" MEM_CUR="" MEM_PRV=""
  for T in S G; do
    { IFS= read -r line
      while IFS='|' read -r n st rk c p u; do
        [[ -z $n ]] && continue
        ROW[$T|$n|state]=$st ROW[$T|$n|rack]=$rk ROW[$T|$n|cur]=$c ROW[$T|$n|prev]=$p ROW[$T|$n|upd]=$u
        if [[ $T == S ]]; then ORDER_S+=("$n"); else ORDER_G+=("$n"); fi
      done; } <"$dir/$(table_file $T)"
  done
  { IFS= read -r line; while IFS= read -r line; do [[ $line == *=* ]] && SYS[${line%%=*}]=${line#*=}; done; } <"$dir/leo_system_conf.DCD"
  { IFS= read -r line; while IFS= read -r line; do [[ $line == *=* ]] && SCH[${line%%=*}]=${line#*=}; done; } <"$dir/schema.DAT"
  { IFS= read -r line; IFS= read -r line; RING_CUR=${line#checksum=}; } <"$dir/leo_ring_cur.DCD"
  { IFS= read -r line; IFS= read -r line; RING_PRV=${line#checksum=}; } <"$dir/leo_ring_prv.DCD"
  { IFS= read -r line; while IFS= read -r line; do MEM_CUR+=$line$'\n'; done; } <"$dir/leo_members_cur.DCD"
  { IFS= read -r line; while IFS= read -r line; do MEM_PRV+=$line$'\n'; done; } <"$dir/leo_members_prev.DCD"
}
db_body() { # table -> body text (no header)
  local n k
  case $1 in
    schema.DAT) for k in db_nodes pending; do printf '%s=%s\n' "$k" "${SCH[$k]-}"; done ;;
    leo_system_conf.DCD) for k in cluster_id dc_id n r w d rack_n bit mdc_max mdc_n mdc_r mdc_w mdc_d status; do printf '%s=%s\n' "$k" "${SYS[$k]-}"; done ;;
    leo_storage_nodes.DCD) for n in "${ORDER_S[@]}"; do printf '%s|%s|%s|%s|%s|%s\n' "$n" "${ROW[S|$n|state]}" "${ROW[S|$n|rack]}" "${ROW[S|$n|cur]}" "${ROW[S|$n|prev]}" "${ROW[S|$n|upd]}"; done ;;
    leo_gateway_nodes.DCD) for n in "${ORDER_G[@]}"; do printf '%s|%s|%s|%s|%s|%s\n' "$n" "${ROW[G|$n|state]}" "${ROW[G|$n|rack]}" "${ROW[G|$n|cur]}" "${ROW[G|$n|prev]}" "${ROW[G|$n|upd]}"; done ;;
    leo_members_cur.DCD) printf '%s' "$MEM_CUR" ;;
    leo_members_prev.DCD) printf '%s' "$MEM_PRV" ;;
    leo_ring_cur.DCD) printf 'checksum=%s\n' "$RING_CUR" ;;
    leo_ring_prv.DCD) printf 'checksum=%s\n' "$RING_PRV" ;;
  esac
}
db_write_dir() { # mnesia dir, with the header of this generation
  local t
  mkdir -p "$1"
  for t in $MN_TABLES; do
    { printf '%s table=%s cluster=%s cookie=%s generation=%s\n' "$MN_MAGIC" "$t" "$DB_CLUSTER" "$DB_COOKIE" "$DB_GEN"
      db_body "$t"; } >"$1/$t"
  done
}
db_open() { # manager
  local dir
  if ((ERL_MODE)); then
    DB_MGR=$1 DB_COOKIE=${RC[$1|cookie]-} DB_GEN=0 DB_CLUSTER="" DB_DIRTY=0 DB_OPEN=1
    erl_db_load "$1"
    DB_CLUSTER=${SYS[cluster_id]-}
    return
  fi
  dir=$(mgr_mnesia_dir "$1")
  mn_inspect "$dir"
  DB_MGR=$1 DB_COOKIE=$MN_COOKIE DB_GEN=${MN_GEN:-0} DB_CLUSTER=$MN_CLUSTER DB_DIRTY=0 DB_OPEN=1
  db_load_dir "$dir"
}
# Commit to every member of the group (same schema cookie) if anything changed.
db_save() {
  ((DB_OPEN && DB_DIRTY)) || return 0
  if ((ERL_MODE)); then
    # one transaction on one manager: Mnesia replicates it to the partner's disc copy; a transaction
    # that aborts (e.g. while the partner merges its schema) is reported, and the caller tries again
    erl_db_store "$DB_MGR" || return 1
    DB_DIRTY=0
    return
  fi
  DB_GEN=$((DB_GEN + 1))
  local m
  for m in $(group_members "$DB_COOKIE"); do db_write_dir "$(mgr_mnesia_dir "$m")"; done
  DB_DIRTY=0
}
db_close() { DB_OPEN=0; }
# Replace the tables (not the schema: the running one stays) from a backup or
# text dump: "%% table <name>" sections after one header line.
# Replaces the tables the file holds; every other table keeps its content
# (mnesia:restore with {default_op, recreate_tables} touches only the
# backup's tables; mnesia_text:load_textfile enters records into the tables
# its file names, which on the fresh tables the procedures load into is the
# same as replacing them).
db_replace_from_dump() {
  local tmp sch_nodes=${SCH[db_nodes]-} sch_pending=${SCH[pending]-} t
  tmp=$(mktemp -d "$CL/tmp/dump.XXXXXX")
  for t in $MN_TABLES; do { echo "header"; db_body "$t"; } >"$tmp/$t"; done
  for t in $(awk '/^%% table / { print $3 }' "$1"); do echo "header" >"$tmp/$t"; done
  awk -v dir="$tmp" '
    NR==1 {next}
    /^%% table / { out=dir "/" $3; next }
    out!="" { print >> out }' "$1"
  db_load_dir "$tmp"
  rm -rf "$tmp"
  SCH[db_nodes]=$sch_nodes SCH[pending]=$sch_pending DB_DIRTY=1
}

row_has() { [[ -n ${ROW[$1|$2|state]+x} ]]; }
row_get() { printf '%s' "${ROW[$1|$2|$3]-}"; }
row_set() { ROW[$1|$2|$3]=$4; DB_DIRTY=1; }
row_add() { # T node state rack cur prev upd
  local T=$1 n=$2
  ROW[$T|$n|state]=$3 ROW[$T|$n|rack]=$4 ROW[$T|$n|cur]=$5 ROW[$T|$n|prev]=$6 ROW[$T|$n|upd]=$7
  if [[ $T == S ]]; then ORDER_S+=("$n"); else ORDER_G+=("$n"); fi
  DB_DIRTY=1
}
row_del() {
  local T=$1 n=$2 f x keep=()
  for f in state rack cur prev upd; do unset "ROW[$T|$n|$f]"; done
  if [[ $T == S ]]; then
    for x in "${ORDER_S[@]}"; do [[ $x == "$n" ]] || keep+=("$x"); done; ORDER_S=("${keep[@]}")
  else
    for x in "${ORDER_G[@]}"; do [[ $x == "$n" ]] || keep+=("$x"); done; ORDER_G=("${keep[@]}")
  fi
  DB_DIRTY=1
}
set_state() { ROW[$1|$2|state]=$3; ROW[$1|$2|upd]=$(now_epoch); DB_DIRTY=1; }
sys_get() { printf '%s' "${SYS[$1]-}"; }
sys_set() { SYS[$1]=$2; DB_DIRTY=1; }
ring_get() { if [[ $1 == cur ]]; then printf '%s' "$RING_CUR"; else printf '%s' "$RING_PRV"; fi; }
ring_set() { if [[ $1 == cur ]]; then RING_CUR=$2; else RING_PRV=$2; fi; DB_DIRTY=1; }
nodes_in_state() { local n; for n in "${ORDER_S[@]}"; do [[ ${ROW[S|$n|state]} == "$1" ]] && echo "$n"; done; }
count_in_state() { local n c=0; for n in "${ORDER_S[@]}"; do [[ ${ROW[S|$n|state]} == "$1" ]] && c=$((c + 1)); done; echo "$c"; }

# ---------------------------------------------------------------- manager groups
# A "group" is the set of live managers whose Mnesia is up (state ok) with the
# same schema cookie: they replicate each other, like mnesia disc copies.
mgr_ok() { node_alive "$1" && [[ ${RC[$1|mnesia]-} == ok ]] && { ((ERL_MODE == 0)) || [[ ${RC[$1|phase]-} == ok ]]; }; }
mgr_cookie() { printf '%s' "${RC[$1|cookie]-}"; }
group_members() {
  local m
  for m in "${REC_NODES[@]}"; do
    [[ ${RC[$m|kind]-} == manager ]] || continue
    mgr_ok "$m" && [[ ${RC[$m|cookie]-} == "$1" ]] && echo "$m"
  done
}
group_cookies() {
  local m seen=" "
  for m in "${REC_NODES[@]}"; do
    [[ ${RC[$m|kind]-} == manager ]] || continue
    mgr_ok "$m" || continue
    [[ $seen == *" ${RC[$m|cookie]} "* ]] && continue
    seen+="${RC[$m|cookie]} "; echo "${RC[$m|cookie]}"
  done
}

# ---------------------------------------------------------------- monitor (reconcile)
# The managers' cluster monitor, run lazily: before any console command and
# after every launch-script action. A node registers when its boot id is newer
# than what the group has seen; it is down when its beam is gone.
seen_file() { printf '%s/monitor/%s/%s' "$CL" "$1" "$2"; }

reconcile_group() { # cookie
  local cookie=$1 leader n kind T boot seen target m i
  # Registrations are marked seen only once the tables holding them are written: a table write that
  # failed would otherwise leave a node marked registered but missing for good (CI: storage_0 never
  # attached while the real-Mnesia slave was joining). Its next reconcile registers it again, as the
  # node's own retry does (leo_storage_api:register_in_monitor, every ?CHECK_INTERVAL).
  local -a marks=()
  leader=$(group_members "$cookie"); leader=${leader%%$'\n'*}
  [[ -n $leader ]] || return 0
  db_open "$leader"
  mkdir -p "$CL/monitor/$cookie"
  for n in "${REC_NODES[@]}"; do
    kind=${RC[$n|kind]-}
    case $kind in storage) T=S ;; gateway) T=G ;; *) continue ;; esac
    seen=""; [[ -f $CL/monitor/$cookie/$n ]] && read -r seen <"$CL/monitor/$cookie/$n"
    if node_alive "$n"; then
      boot=${RC[$n|boot]-}
      if [[ $boot != "$seen" ]]; then
        # the node registers with the first manager of its list that answers
        target=""
        for m in ${RC[$n|managers]-}; do mgr_ok "$m" && { target=$m; break; }; done
        [[ -n $target && ${RC[$target|cookie]-} == "$cookie" ]] || continue
        register_node "$T" "$n"
        marks+=("$(seen_file "$cookie" "$n")" "$boot")
      fi
      sync_ring "$T" "$n"
    elif [[ -n $seen ]]; then
      row_has "$T" "$n" && node_down "$T" "$n"
      rm -f "$(seen_file "$cookie" "$n")"
    fi
  done
  if db_save; then
    for ((i = 0; i < ${#marks[@]}; i += 2)); do printf '%s' "${marks[i + 1]}" >"${marks[i]}"; done
  fi
  db_close
}
register_node() { # T node
  local T=$1 n=$2
  if [[ $T == G ]]; then
    # a gateway fetches the manager's ring when it joins; a manager with no
    # ring yet (a fresh schema before restore-mnesia) has none to hand out
    [[ -z $RING_CUR ]] || set_node_ring "$n" "$RING_CUR" "$RING_PRV"
    if row_has G "$n"; then set_state G "$n" running
    else row_add G "$n" running "" "" "" "$(now_epoch)"; fi
    return
  fi
  if ! row_has S "$n"; then row_add S "$n" attached "" "" "" "$(now_epoch)"; return; fi
  # a member whose local ring is gone (e.g. a fresh install dir) fetches the manager's
  [[ -s ${RC[$n|dir]-}/work/sim-ring || -z $RING_CUR ]] || set_node_ring "$n" "$RING_CUR" "$RING_PRV"
  case ${ROW[S|$n|state]} in
    stop) set_state S "$n" running ;;
    detached) set_state S "$n" restarted ;;
    *) : ;; # suspend stays suspend; attached/running/restarted unchanged
  esac
}
sync_ring() { # T node: the checksum sync copies the node's own ring
  local T=$1 n=$2 cur="" prev=""
  row_has "$T" "$n" || return 0
  [[ -f ${RC[$n|dir]-}/work/sim-ring ]] && read -r cur prev <"${RC[$n|dir]}/work/sim-ring"
  case ${ROW[$T|$n|state]} in
    attached) cur="" prev="" ;;
    detached) cur=-1 prev=-1 ;;
    stop) return 0 ;;
  esac
  [[ ${ROW[$T|$n|cur]} == "$cur" && ${ROW[$T|$n|prev]} == "$prev" ]] && return 0
  ROW[$T|$n|cur]=$cur ROW[$T|$n|prev]=$prev DB_DIRTY=1
}
node_down() { # T node
  local T=$1 n=$2
  case $T:${ROW[$T|$n|state]} in
    S:attached) row_del S "$n"; return ;;
    S:running|G:running) set_state "$T" "$n" stop ;;
  esac
  # the monitor blanks the ring columns until the next checksum sync
  [[ ${ROW[$T|$n|state]} == detached ]] && return
  ROW[$T|$n|cur]="" ROW[$T|$n|prev]="" DB_DIRTY=1
}
reconcile() {
  local h c
  for h in "$SIM"/state/*; do [[ -d $h ]] && procs_prune "${h##*/}"; done
  if ((ERL_MODE)); then erl_refresh; else resolve_waiting; fi
  for c in $(group_cookies); do reconcile_group "$c"; done
}
# A manager waiting for its partner's tables starts once that partner is up.
# leo-project/leofs 1.4.4 apps/leo_manager/src/leo_manager_sup.erl
# load_tables/1: mnesia:wait_for_tables(Tables, timer:seconds(180)); on
# {timeout, BadTabList} create_mnesia_tables_2/1 logs
# ?ERROR_MNESIA_WAIT_FOR_TABLE_TIMEOUT and calls init:stop(): the VM stops.
# Knob: `config wait_for_tables_seconds S` (default 180).
resolve_waiting() {
  local m p limit
  for m in "${REC_NODES[@]}"; do
    [[ ${RC[$m|kind]-} == manager && ${RC[$m|mnesia]-} == waiting ]] || continue
    node_alive "$m" || continue
    p=${RC[$m|partner]-}
    if [[ -n $p ]] && mgr_ok "$p" && [[ ${RC[$p|cookie]} == "${RC[$m|cookie]}" ]]; then
      copy_mnesia "$p" "$m"
      rec_set "$m" mnesia ok
      continue
    fi
    limit=$(awk -v s="$(cfg_get wait_for_tables_seconds 180)" 'BEGIN { printf "%d", s * 1000 }')
    if (( $(date +%s%3N) >= ${RC[$m|waiting_since]:-0} + limit )); then
      node_log "${RC[$m|dir]}" E "create_mnesia_tables_2/1: [{cause,\"Mnesia: timeout of waiting for table\"}]"
      rec_set "$m" mnesia stopped
      signal_sim_pid "${RC[$m|pid]}" TERM
    fi
  done
}
copy_mnesia() { # from-mgr to-mgr: table copy from a running replica
  local from to t
  from=$(mgr_mnesia_dir "$1"); to=$(mgr_mnesia_dir "$2")
  mkdir -p "$to"
  for t in $MN_TABLES; do cp -f "$from/$t" "$to/$t"; done
}

# ---------------------------------------------------------------- logs
node_log() { # nodedir I|E message
  local d=$1 ts
  ts=$(fmt_date "$(now_epoch)")
  mkdir -p "$d/log/app"
  if [[ $2 == E ]]; then
    printf '[E]\t%s\t%s\n' "$ts" "$3" >>"$d/log/app/error"
    printf '=ERROR REPORT==== %s ===\n%s\n' "$ts" "$3" >>"$d/log/erlang.log.1"
  else
    printf '[I]\t%s\t%s\n' "$ts" "$3" >>"$d/log/app/info"
    printf '=INFO REPORT==== %s ===\n%s\n' "$ts" "$3" >>"$d/log/erlang.log.1"
  fi
}

# ---------------------------------------------------------------- real Mnesia (mnesia_mode erlang)
# Each manager is a real Erlang VM (erl/leofs_sim_manager.erl) that answers
# one request per connection on a loopback port, written to cluster/ctl/<node>.
erl_req() { # manager request [payload]: prints the answer; 1 when the VM does not answer
  local port line fd
  port=$(read_first "$CL/ctl/$1")
  [[ $port =~ ^[0-9]+$ ]] || return 1
  { exec {fd}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
  printf '%s\n' "$2" >&"$fd"
  [[ -n ${3+x} ]] && printf '%s%%%% end\n' "$3" >&"$fd"
  while IFS= read -r -t 120 -u "$fd" line || [[ -n $line ]]; do printf '%s\n' "$line"; line=""; done
  exec {fd}>&-
  return 0
}
# The shell model's view of each VM: mnesia=ok once the application is up
# (`ready`), waiting while Mnesia waits for its tables, booting before the VM
# answers; phase=ok once the tables are loaded; the schema's cookie.
erl_refresh() {
  local m out line phase ready cookie st
  for m in "${REC_NODES[@]}"; do
    [[ ${RC[$m|kind]-} == manager ]] || continue
    node_alive "$m" || continue
    phase="" ready="" cookie=""
    if out=$(erl_req "$m" status) && [[ -n $out ]]; then
      while IFS= read -r line; do
        case $line in phase=*) phase=${line#phase=} ;; ready=*) ready=${line#ready=} ;; cookie=*) cookie=${line#cookie=} ;; esac
      done <<<"$out"
      if [[ $phase == stopped ]]; then st=stopped; elif [[ $ready == true ]]; then st=ok; else st=waiting; fi
    else
      st=booting
    fi
    [[ ${RC[$m|mnesia]-} == "$st" ]] || rec_set "$m" mnesia "$st"
    [[ ${RC[$m|phase]-} == "$phase" ]] || rec_set "$m" phase "$phase"
    [[ ${RC[$m|cookie]-} == "$cookie" ]] || rec_set "$m" cookie "$cookie"
  done
}
erl_db_load() { # manager -> in-memory tables (lib.sh's layout) from its Mnesia
  local line tab="" n st rk c p u T first=1
  ROW=() SYS=() SCH=() ORDER_S=() ORDER_G=() RING_CUR="" RING_PRV="" MEM_CUR="" MEM_PRV=""
  while IFS= read -r line; do
    if ((first)); then first=0; [[ $line == ok ]] || return 1; continue; fi
    if [[ $line == "%% table "* ]]; then tab=${line#"%% table "}; continue; fi
    case $tab in
      leo_system_conf.DCD) [[ $line == *=* ]] && SYS[${line%%=*}]=${line#*=} ;;
      leo_storage_nodes.DCD|leo_gateway_nodes.DCD)
        [[ -n $line ]] || continue
        T=S; [[ $tab == leo_gateway_nodes.DCD ]] && T=G
        IFS='|' read -r n st rk c p u <<<"$line"
        ROW[$T|$n|state]=$st ROW[$T|$n|rack]=$rk ROW[$T|$n|cur]=$c ROW[$T|$n|prev]=$p ROW[$T|$n|upd]=$u
        if [[ $T == S ]]; then ORDER_S+=("$n"); else ORDER_G+=("$n"); fi ;;
      leo_members_cur.DCD) MEM_CUR+=$line$'\n' ;;
      leo_members_prev.DCD) MEM_PRV+=$line$'\n' ;;
      leo_ring_cur.DCD) RING_CUR=${line#checksum=} ;;
      leo_ring_prv.DCD) RING_PRV=${line#checksum=} ;;
    esac
  done < <(erl_req "$1" get)
  return 0
}
erl_db_store() { # manager: the in-memory tables, written in one Mnesia transaction
  local t payload="" out
  for t in $MN_TABLES; do [[ $t == schema.DAT ]] && continue; payload+="%% table $t"$'\n'"$(db_body "$t")"$'\n'; done
  out=$(erl_req "$1" put "$payload") || { echo "leofs-sim: $1 did not answer a table write" >&2; return 1; }
  [[ $out == ok ]] || { echo "leofs-sim: $1 table write: $out" >&2; return 1; }
}
# The master's system configuration as the VM stores it when it creates the
# tables (leo_manager_api:load_system_config_with_store_data/0).
sysconf_of() { # conf file -> k=v,k=v
  local c=$1 k v out=""
  for k in "${!SYSCONF_KEYS[@]}"; do v=$(conf_get "$c" "${SYSCONF_KEYS[$k]}"); [[ -n $v ]] && out+="$k=$v,"; done
  printf '%s' "${out%,}"
}
# files=ok|empty|corrupt of a Mnesia directory, as real Mnesia would open it:
# schema.DAT with dets, the logs and table dumps with disk_log.
erl_check_files() { # dir
  "$(cfg_get erl /usr/bin/erl)" -noshell -noinput -pa "$LIBEXEC/ebin" -eval "io:format(\"~s\", [leofs_sim_manager:check_files(\"$1\")]), halt()." 2>/dev/null
}
erl_fingerprint() { erl_req "$1" get | md5sum | cut -c1-12; }
