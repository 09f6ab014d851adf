# bench/lib.sh -- what the benchmarks share: settings from the environment, cleanup of everything
# they start, the brmr image, disks (loop devices or files), daemons brought up and waited for
# through their ready lines, a two-leg pool with sync sessions, and the fill through NBD.
# Sourced by the bench scripts after `set -euo pipefail`, with BENCH_NAME set; resync-bench.sh
# describes the environment variables. A script may set its own defaults for BENCH_* variables
# before sourcing (e.g. `: "${BENCH_LOOP:=0}"`).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD
SIZE_MIB=${BENCH_SIZE_MIB:-1024}
CHUNK_SIZE=${BENCH_CHUNK_SIZE:-131072}
LOOP_MODE=${BENCH_LOOP:-auto}
LOOP_DIO=${BENCH_LOOP_DIO:-0}
DIRECT_IO=${BENCH_DIRECT_IO:-on}   # --direct-io of the storage daemons: auto, on or off
JAVA_OPTIONS=${BENCH_JAVA_OPTIONS:-}
SOURCE_IMAGE=${BRMR_IMAGE:-$REPO/packaging/target/brmr}
IMAGE=""
SERVER_OPTIONS=()   # extra options of every brmr-server (e.g. --tls-cert ...), set by a bench script
CLIENT_OPTIONS=()   # extra options of the brmr-client
POOL=p1
SECTORS=$((SIZE_MIB * 2048))
READY_TIMEOUT=60
STATE_TIMEOUT=60

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }
log() { echo "[$(date +%T)] $*"; }
now() { date +%s.%N; }
# calc EXPR: a float expression, printed with the format given as second argument (default %.2f).
calc() { python3 -c "print(format($1, '${2:-.2f}'))"; }

# ---------------------------------------------------------------- cleanup ---------------------
PIDS=()   # every process we started and have not stopped yet, in start order
LOOPS=()  # every loop device we attached
WORK=""   # the temp dir
RUN=""    # the directory of the current round (daemon state dirs and disks)

stop_processes() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do   # newest first: the client before its storage nodes
    kill "${PIDS[i]}" 2>/dev/null || true
    wait "${PIDS[i]}" 2>/dev/null || true
  done
  PIDS=()
}

detach_loops() {
  local dev
  for dev in "${LOOPS[@]}"; do
    losetup --detach "$dev" 2>/dev/null || echo "$BENCH_NAME: could not detach $dev" >&2
  done
  LOOPS=()
}

# show_logs: on a failure, the last lines of every daemon log of the current round (the temp dir
# with the logs is removed on exit; set BENCH_RESULTS to keep the logs of successful rounds).
show_logs() {
  local file
  [ -n "$RUN" ] && [ -d "$RUN" ] || return 0
  for file in "$RUN"/*/*.log "$RUN"/*/stderr; do
    [ -s "$file" ] || continue
    echo "--- last lines of ${file#"$RUN"/}:" >&2
    tail -n 15 "$file" >&2
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  case $rc in 0 | 130 | 143) ;; *) show_logs ;; esac
  stop_processes
  detach_loops
  [ -z "$WORK" ] || rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_bg OUT CMD...: runs CMD in the background with stdout and stderr to OUT and waits for it, so
# that a signal to this script is handled at once; returns CMD's exit status.
run_bg() {
  local out=$1 rc=0
  shift
  "$@" > "$out" 2>&1 &
  PIDS+=($!)
  wait $! || rc=$?
  unset 'PIDS[-1]'
  return "$rc"
}

# ---------------------------------------------------------------- checks ----------------------
# check_setup [no-fill]: the settings and tools; without no-fill also a tool to fill through NBD.
check_setup() {
  [[ $SIZE_MIB =~ ^[1-9][0-9]*$ ]] || die "BENCH_SIZE_MIB must be a positive integer, got '$SIZE_MIB'"
  [[ $CHUNK_SIZE =~ ^[1-9][0-9]*$ ]] && [ $((CHUNK_SIZE & (CHUNK_SIZE - 1))) = 0 ] && [ "$CHUNK_SIZE" -ge 4096 ] \
    || die "BENCH_CHUNK_SIZE must be a power of two of at least 4096, got '$CHUNK_SIZE'"
  case $DIRECT_IO in auto | on | off) ;; *) die "BENCH_DIRECT_IO must be auto, on or off, got '$DIRECT_IO'" ;; esac
  local tool
  for tool in dd cmp python3; do
    command -v "$tool" > /dev/null || die "$tool is not installed"
  done
  if [ "${1:-}" = no-fill ]; then
    FILL_TOOL=""
  elif command -v nbdcopy > /dev/null; then
    FILL_TOOL=nbdcopy
  elif command -v qemu-io > /dev/null; then
    FILL_TOOL=qemu-io
  else
    die "neither nbdcopy (apt-get install libnbd-bin) nor qemu-io (apt-get install qemu-utils) is installed"
  fi
  case $LOOP_MODE in
    auto)
      if [ "$(id -u)" = 0 ] && command -v losetup > /dev/null && losetup --find > /dev/null 2>&1; then
        USE_LOOP=1
      else
        USE_LOOP=0
      fi ;;
    1)
      [ "$(id -u)" = 0 ] || die "BENCH_LOOP=1 needs root (losetup)"
      command -v losetup > /dev/null || die "BENCH_LOOP=1 needs losetup"
      USE_LOOP=1 ;;
    0) USE_LOOP=0 ;;
    *) die "BENCH_LOOP must be auto, 0 or 1, got '$LOOP_MODE'" ;;
  esac
}

# ensure_image: builds the image if it is missing, then copies it into WORK so that a concurrent
# `mvn package` cannot swap it during the run.
ensure_image() {
  if [ ! -x "$SOURCE_IMAGE/bin/brmr-server" ]; then
    [ -z "${BRMR_IMAGE:-}" ] || die "no brmr image at $SOURCE_IMAGE"
    log "no image at $SOURCE_IMAGE: building it (mvn package)"
    # shellcheck source=/dev/null
    source scripts/jdk.sh
    mvn -B -ntp -q package -DskipTests
  elif [ -n "$(find "$REPO"/*/src/main -newer "$SOURCE_IMAGE/bin/brmr-server" -type f -print -quit 2>/dev/null)" ]; then
    echo "$BENCH_NAME: warning: sources are newer than $SOURCE_IMAGE; rebuild with" \
      "'source scripts/jdk.sh && mvn -B -ntp -q package -DskipTests' to bench them" >&2
  fi
  IMAGE=$WORK/image
  if [[ $JAVA_OPTIONS == *FlightRecording* ]] && ! "$SOURCE_IMAGE/bin/java" --list-modules | grep -q '^jdk\.jfr@'; then
    # the product image leaves JFR out: link the same modules again with jdk.jfr for the recording
    [ -d "$SOURCE_IMAGE/../modules" ] || die "the image at $SOURCE_IMAGE has no jdk.jfr and no ../modules to relink"
    log "linking a copy of the image with jdk.jfr for BENCH_JAVA_OPTIONS"
    (source scripts/jdk.sh && BRMR_EXTRA_MODULES=jdk.jfr bash packaging/src/main/sh/make-image.sh "$JAVA_HOME" \
      "$SOURCE_IMAGE/../modules" "$IMAGE") > "$WORK/jlink.log" 2>&1 || { cat "$WORK/jlink.log" >&2; die "jlink failed"; }
  else
    cp -a "$SOURCE_IMAGE" "$IMAGE"
  fi
}

# ---------------------------------------------------------------- disks -----------------------
# attach FILE: FILE on a loop device if USE_LOOP=1, else FILE itself; sets DISK.
attach() {
  if [ "$USE_LOOP" = 1 ]; then
    local args=(--find --show)
    [ "$LOOP_DIO" != 1 ] || args+=(--direct-io=on)
    DISK=$(losetup "${args[@]}" "$1") || die "losetup $1 failed"
    LOOPS+=("$DISK")
  else
    DISK=$1
  fi
}

# make_disk PATH BYTES: a new sparse file of BYTES, attached; sets DISK.
make_disk() {
  truncate -s "$2" "$1"
  attach "$1"
}

# Where the data area of a store starts (as MetadataLayout.dataOffset): after header copies A and B
# and one bitmap slot per member (8), on a 1 MiB boundary.
data_offset() {
  local data=$((SECTORS * 512)) mib=$((1 << 20))
  local chunks=$(((data + CHUNK_SIZE - 1) / CHUNK_SIZE))
  local slot=$((((chunks + 7) / 8 + 4095) / 4096 * 4096))
  echo $(((8192 + 8 * slot + mib - 1) / mib * mib))
}

# The device bytes a store needs (as MetadataLayout.requiredDeviceBytes).
store_bytes() {
  echo $(($(data_offset) + SECTORS * 512))
}

# ---------------------------------------------------------------- daemons ---------------------
# wait_for PID WHAT TEST...: returns once the command TEST succeeds; fails if PID exits first or
# READY_TIMEOUT passes. This is how we learn a daemon is ready -- never a fixed sleep.
wait_for() {
  local pid=$1 what=$2 deadline=$((SECONDS + READY_TIMEOUT))
  shift 2
  until "$@"; do
    kill -0 "$pid" 2>/dev/null || return 1
    [ "$SECONDS" -lt "$deadline" ] || die "$what did not get ready within ${READY_TIMEOUT}s"
    sleep 0.05
  done
}

# start_daemon DIR LAUNCHER ARGS...: starts brmr-server or brmr-client with its state and control
# socket in DIR, waits for its ready line; sets READY to the line and PID to the process.
start_daemon() {
  local dir=$1 launcher=$2
  shift 2
  mkdir -p "$dir"
  : > "$dir/stdout"   # exists before the daemon starts, so that wait_for can grep it at once
  local with_env=()
  [ -z "$JAVA_OPTIONS" ] || with_env=(env "JDK_JAVA_OPTIONS=$JAVA_OPTIONS")   # env execs: $! stays the daemon
  "${with_env[@]}" "$IMAGE/bin/$launcher" --state-dir "$dir" --socket "$dir/control.sock" "$@" \
    > "$dir/stdout" 2> "$dir/stderr" &
  PID=$!
  PIDS+=("$PID")
  if ! wait_for "$PID" "$launcher" grep -q "^$launcher ready:" "$dir/stdout"; then
    cat "$dir/stderr" >&2
    die "$launcher exited before it was ready (state dir $dir)"
  fi
  READY=$(grep -m1 "^$launcher ready:" "$dir/stdout")
}

# ready_field NAME: the value of NAME=... in the last ready line.
ready_field() {
  [[ $READY =~ (^|[[:space:]])$1=([^[:space:]]+) ]] || die "no $1= in ready line: $READY"
  echo "${BASH_REMATCH[2]}"
}

# ctl DIR ARGS...: brmrctl against the daemon in DIR; fails the script if brmrctl does.
ctl() {
  local dir=$1
  shift
  "$IMAGE/bin/brmrctl" --socket "$dir/control.sock" "$@" > /dev/null \
    || die "brmrctl --socket $dir/control.sock $* failed"
}

# ctl_read DIR PATH: the stripped content of PATH on the daemon in DIR.
ctl_read() {
  local out
  out=$("$IMAGE/bin/brmrctl" --socket "$1/control.sock" read "$2") \
    || die "brmrctl --socket $1/control.sock read $2 failed"
  echo "$out" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//'
}

# wait_state DIR PATH WHAT PATTERN: polls PATH on the daemon in DIR until it matches the extended
# regular expression PATTERN (anchored), for at most STATE_TIMEOUT seconds.
wait_state() {
  local dir=$1 path=$2 what=$3 pattern=$4 deadline=$((SECONDS + STATE_TIMEOUT)) value
  while true; do
    value=$(ctl_read "$dir" "$path")
    [[ $value =~ ^($pattern)$ ]] && return 0
    [ "$SECONDS" -lt "$deadline" ] || die "$what: $path is still '$value' after ${STATE_TIMEOUT}s"
    sleep 0.1
  done
}

# start_storage RUNDIR MEMBER [DEPTH]: storage node MEMBER on a free port with a fresh store (sync
# queue depth DEPTH, else the daemon's default); sets NODE_ADDR[MEMBER], NODE_PID[MEMBER] and
# NODE_FILE[MEMBER] (the backing file of its disk).
start_storage() {
  local dir=$1/node$2 member=$2 args=(--listen 127.0.0.1:0 --direct-io "$DIRECT_IO")
  [ -z "${3:-}" ] || args+=(--sync-queue-depth "$3")
  start_daemon "$dir" brmr-server "${args[@]}" ${SERVER_OPTIONS[@]+"${SERVER_OPTIONS[@]}"}
  NODE_ADDR[member]=$(ready_field listen)
  NODE_PID[member]=$PID
  make_disk "$1/disk$member.img" "$(store_bytes)"
  NODE_FILE[member]=$1/disk$member.img
  ctl "$dir" write rmr-server/ctl/join_pool "poolname=$POOL member_id=$member chunk_size=$CHUNK_SIZE"
  ctl "$dir" write brmr-server/ctl/create_store "device=$DISK pool=$POOL mapped_size=$SECTORS"
}

# join_sync RUNDIR MEMBER: the runbook's sync set-up on a storage node: the sync pool, a session to
# the other node, attached to the server pool.
join_sync() {
  local dir=$1/node$2 member=$2 peer
  ctl "$dir" write rmr-client/ctl/join_pool "poolname=$POOL chunk_size=$CHUNK_SIZE sync=y"
  for peer in 1 2; do
    [ "$peer" = "$member" ] \
      || ctl "$dir" write rmr-client/pools/$POOL/add_sess "sessname=n$peer path=ip:${NODE_ADDR[peer]}"
  done
  ctl "$dir" write rmr-server/pools/$POOL/add_clt "$POOL"
}

# start_client RUNDIR [LEGS]: the compute client with a session to nodes 1..LEGS (default 2),
# enabled and mapped; sets URI to the NBD export and CLIENT_PID.
start_client() {
  local dir=$1/client legs=${2:-2} member
  start_daemon "$dir" brmr-client --nbd 127.0.0.1:0 ${CLIENT_OPTIONS[@]+"${CLIENT_OPTIONS[@]}"}
  CLIENT_PID=$PID
  ctl "$dir" write rmr-client/ctl/join_pool "poolname=$POOL chunk_size=$CHUNK_SIZE"
  for ((member = 1; member <= legs; member++)); do
    ctl "$dir" write rmr-client/pools/$POOL/add_sess "sessname=s$member path=ip:${NODE_ADDR[member]} mode=create"
  done
  for ((member = 1; member <= legs; member++)); do
    ctl "$dir" write rmr-client/pools/$POOL/sessions/s$member/enable 1
  done
  ctl "$dir" write brmr-client/ctl/map_device "pool=$POOL size=$SECTORS assume_clean=1"
  URI=$(ctl_read "$dir" brmr-client/ctl/devices/brmr0/nbd)
  [[ $URI == nbd://* || $URI == nbds://* ]] || die "unexpected NBD address from the client: '$URI'"
}

# fill RUNDIR: writes the random data over the whole device through NBD.
fill() {
  local t0 t1
  t0=$(now)
  if [ "$FILL_TOOL" = nbdcopy ]; then
    run_bg "$1/fill.log" nbdcopy "$DATA_FILE" "$URI" || { cat "$1/fill.log" >&2; die "nbdcopy to $URI failed"; }
  else
    # qemu-io cannot copy a file: a fixed pattern instead of the random data (verified the same way)
    run_bg "$1/fill.log" qemu-io -f raw -c "write -P 0x5a 0 ${SIZE_MIB}M" "$URI" \
      || { cat "$1/fill.log" >&2; die "qemu-io write to $URI failed"; }
  fi
  t1=$(now)
  log "filled ${SIZE_MIB} MiB through NBD ($FILL_TOOL) in $(calc "$t1 - $t0")s," \
    "$(calc "$SIZE_MIB / ($t1 - $t0)" .1f) MiB/s to both legs"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now (for tools that cannot take 0).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# machine: one line naming the host, its cores and CPU model (for the heading of a table).
machine() {
  echo "$(hostname), $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))"
}

# cpu_seconds PID: user + system CPU time the process has used so far.
cpu_seconds() {
  awk -v tck="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / tck }' "/proc/$1/stat"
}

# cpu_busy: "BUSY TOTAL" jiffies of all CPUs so far (from /proc/stat; idle and iowait count as idle).
cpu_busy() {
  awk '$1 == "cpu" { total = 0; for (i = 2; i <= NF; i++) total += $i; print total - $5 - $6, total; exit }' /proc/stat
}

# json_field FILE KEY: one value of a flat JSON object.
json_field() {
  python3 -c 'import json, sys; v = json.load(open(sys.argv[1]))[sys.argv[2]]; print("" if v is None else v)' "$1" "$2"
}
