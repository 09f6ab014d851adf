#!/usr/bin/env bash
# nbd-bench.sh -- throughput of the brmr NBD export against a plain nbdkit baseline.
#
# What it measures: four fio jobs through fio's nbd engine (libnbd, no kernel nbd device):
#   seq-write   1 MiB sequential writes        seq-read   1 MiB sequential reads
#   rand-write  4 KiB random writes            rand-read  4 KiB random reads
# each for a fixed time (time_based), queue depth BENCH_IODEPTH, on three targets brought up
# one after the other on this machine:
#   nbdkit-file   `nbdkit file FILE` serving a plain file of the same size (the baseline)
#   brmr-1-leg    a brmr pool with one storage node, exported by brmr-client over NBD
#   brmr-2-legs   a brmr pool with two storage nodes (every write goes to both)
# Before the timed jobs each target is filled once with sequential 1 MiB writes over the whole
# device (untimed), so reads never hit unwritten areas and writes never allocate new file blocks.
# All daemons talk over 127.0.0.1 and their disks are files on the same filesystem, so the figures
# show the cost of the brmr software path, not of a network or of separate disks.
# Prints one table: MiB/s and IOPS per job and target, and brmr/nbdkit ratios.
#
# How to run (from anywhere; needs fio with the nbd engine, nbdkit, python3 and the built image
# packaging/target/brmr -- it is built with mvn if missing):
#   bench/nbd-bench.sh
#   BENCH_SIZE_MIB=256 BENCH_SECONDS=3 bench/nbd-bench.sh        # a quick run
# Environment:
#   BENCH_SIZE_MIB     device size in MiB for every target (default 1024)
#   BENCH_SECONDS      runtime of each timed job in seconds (default 10)
#   BENCH_IODEPTH      fio iodepth of every job (default 16)
#   BENCH_CHUNK_SIZE   brmr chunk_size in bytes (default 131072)
#   BENCH_LOOP=1       put every disk (brmr stores and the nbdkit file) on a loop device (root only)
#   BENCH_TMPDIR       where the temp dir with the disks goes (default /tmp); needs at most
#                      2 x BENCH_SIZE_MIB free (only one target's disks exist at a time)
#   BENCH_RESULTS      if set, a directory to copy fio's JSON output and the table into
#   BRMR_IMAGE         the brmr image to run (default packaging/target/brmr of this checkout)
# Everything it starts (daemons, nbdkit, loop devices, temp files) is stopped or removed on exit,
# including on Ctrl-C or failure.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
SIZE_MIB=${BENCH_SIZE_MIB:-1024}
RUNTIME=${BENCH_SECONDS:-10}
IODEPTH=${BENCH_IODEPTH:-16}
CHUNK_SIZE=${BENCH_CHUNK_SIZE:-131072}
USE_LOOP=${BENCH_LOOP:-0}
IMAGE=${BRMR_IMAGE:-$REPO/packaging/target/brmr}
POOL=p1
SECTORS=$((SIZE_MIB * 2048))
READY_TIMEOUT=60
JOBS=(seq-write seq-read rand-write rand-read)
TARGETS=(nbdkit-file brmr-1-leg brmr-2-legs)

die() { echo "nbd-bench: $*" >&2; exit 1; }
log() { echo "[$(date +%T)] $*"; }

# ---------------------------------------------------------------- cleanup ---------------------
PIDS=()   # every process we started, in start order
LOOPS=()  # every loop device we attached
WORK=""   # the temp dir

stop_processes() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do   # newest first: client before its storage nodes
    kill "${PIDS[i]}" 2>/dev/null || true
    wait "${PIDS[i]}" 2>/dev/null || true
  done
  PIDS=()
}

detach_loops() {
  local dev
  for dev in "${LOOPS[@]}"; do
    losetup -d "$dev" 2>/dev/null || echo "nbd-bench: could not detach $dev" >&2
  done
  LOOPS=()
}

cleanup() {
  local rc=$?
  stop_processes
  detach_loops
  [ -z "$WORK" ] || rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- checks ----------------------
check_tools() {
  command -v fio > /dev/null || die "fio is not installed (apt-get install fio)"
  command -v nbdkit > /dev/null || die "nbdkit is not installed (apt-get install nbdkit)"
  command -v python3 > /dev/null || die "python3 is not installed (needed to read fio's JSON)"
  fio --enghelp=nbd > /dev/null 2>&1 || die "this fio has no nbd ioengine (fio >= 3.19 built with libnbd)"
  if [ "$USE_LOOP" = 1 ]; then
    [ "$(id -u)" = 0 ] || die "BENCH_LOOP=1 needs root (losetup)"
    command -v losetup > /dev/null || die "BENCH_LOOP=1 needs losetup"
  fi
}

ensure_image() {
  if [ ! -x "$IMAGE/bin/brmr-server" ]; then
    [ -z "${BRMR_IMAGE:-}" ] || die "no brmr image at $IMAGE"
    log "no image at $IMAGE: building it (mvn package)"
    source scripts/jdk.sh
    mvn -B -ntp -q package -DskipTests
  elif [ -n "$(find "$REPO"/*/src/main -newer "$IMAGE/bin/brmr-server" -type f -print -quit 2>/dev/null)" ]; then
    echo "nbd-bench: warning: sources are newer than $IMAGE; rebuild with" \
      "'source scripts/jdk.sh && mvn -B -ntp -q package -DskipTests' to bench them" >&2
  fi
}

# ---------------------------------------------------------------- disks -----------------------
# make_disk PATH BYTES: a sparse file of BYTES, on a loop device if BENCH_LOOP=1; sets DISK.
make_disk() {
  truncate -s "$2" "$1"
  if [ "$USE_LOOP" = 1 ]; then
    DISK=$(losetup --find --show "$1")
    LOOPS+=("$DISK")
  else
    DISK=$1
  fi
}

# The device bytes a store needs (as MetadataLayout.requiredDeviceBytes): headers and one bitmap
# slot per member (8) before the data area, which starts on a 1 MiB boundary.
store_bytes() {
  local data=$((SECTORS * 512)) mib=$((1 << 20))
  local chunks=$(((data + CHUNK_SIZE - 1) / CHUNK_SIZE))
  local slot=$((((chunks + 7) / 8 + 4095) / 4096 * 4096))
  local offset=$(((8192 + 8 * slot + mib - 1) / mib * mib))
  echo $((offset + data))
}

# ---------------------------------------------------------------- daemons ---------------------
# wait_for PID WHAT TEST...: returns once the command TEST succeeds; fails if PID exits first
# or READY_TIMEOUT passes. This is how we learn a daemon is ready -- never a fixed sleep.
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
# socket in DIR, waits for its ready line and sets READY to it.
start_daemon() {
  local dir=$1 launcher=$2
  shift 2
  mkdir -p "$dir"
  : > "$dir/stdout"   # exists before the daemon starts, so that wait_for can grep it at once
  "$IMAGE/bin/$launcher" --state-dir "$dir" --socket "$dir/control.sock" "$@" \
    > "$dir/stdout" 2> "$dir/stderr" &
  PIDS+=($!)
  if ! wait_for $! "$launcher" grep -q "^$launcher ready:" "$dir/stdout"; then
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

ctl() {
  local dir=$1
  shift
  "$IMAGE/bin/brmrctl" --socket "$dir/control.sock" "$@" > /dev/null \
    || die "brmrctl --socket $dir/control.sock $* failed"
}

# start_storage RUNDIR MEMBER: storage node MEMBER on a free port with a fresh store; appends its
# address to NODES.
start_storage() {
  local dir=$1/node$2 member=$2
  start_daemon "$dir" brmr-server --listen 127.0.0.1:0
  NODES+=("$(ready_field listen)")
  make_disk "$1/disk$member.img" "$(store_bytes)"
  ctl "$dir" write rmr-server/ctl/join_pool "poolname=$POOL member_id=$member chunk_size=$CHUNK_SIZE"
  ctl "$dir" write brmr-server/ctl/create_store "device=$DISK pool=$POOL mapped_size=$SECTORS"
}

# start_client RUNDIR: the compute client with a session to every node in NODES, enabled and
# mapped; sets URI to the NBD export.
start_client() {
  local dir=$1/client i
  start_daemon "$dir" brmr-client --nbd 127.0.0.1:0
  ctl "$dir" write rmr-client/ctl/join_pool "poolname=$POOL chunk_size=$CHUNK_SIZE"
  for i in "${!NODES[@]}"; do
    ctl "$dir" write rmr-client/pools/$POOL/add_sess "sessname=s$((i + 1)) path=ip:${NODES[i]} mode=create"
  done
  for i in "${!NODES[@]}"; do
    ctl "$dir" write rmr-client/pools/$POOL/sessions/s$((i + 1))/enable 1
  done
  ctl "$dir" write brmr-client/ctl/map_device "pool=$POOL size=$SECTORS assume_clean=1"
  URI=$("$IMAGE/bin/brmrctl" --socket "$dir/control.sock" read brmr-client/ctl/devices/brmr0/nbd)
  URI=${URI//[[:space:]]/}
  [[ $URI == nbd://* ]] || die "unexpected NBD address from the client: '$URI'"
}

# bring_up_pool RUNDIR LEGS: a pool of LEGS storage nodes and its client; sets URI.
bring_up_pool() {
  local member
  NODES=()
  mkdir -p "$1"
  for ((member = 1; member <= $2; member++)); do
    start_storage "$1" "$member"
  done
  start_client "$1"
}

# start_nbdkit RUNDIR: nbdkit serving a plain file of the same size on a unix socket; sets URI.
start_nbdkit() {
  local dir=$1
  mkdir -p "$dir"
  make_disk "$dir/disk.img" $((SIZE_MIB << 20))
  nbdkit --foreground --pidfile "$dir/nbdkit.pid" --unix "$dir/nbd.sock" file "$DISK" \
    > "$dir/stdout" 2> "$dir/stderr" &
  PIDS+=($!)
  # nbdkit writes its pid file once it accepts connections.
  if ! wait_for $! nbdkit test -s "$dir/nbdkit.pid"; then
    cat "$dir/stderr" >&2
    die "nbdkit exited before it was ready"
  fi
  URI="nbd+unix:///?socket=$dir/nbd.sock"
}

# tear_down RUNDIR: stops everything of the current target and frees its disks.
tear_down() {
  stop_processes
  detach_loops
  rm -rf "$1"
}

# ---------------------------------------------------------------- fio -------------------------
# run_fio TARGET JOB: one fio job against URI; its JSON goes to RESULTS/TARGET.JOB.json.
# JOB "prefill" writes the whole device once, untimed.
run_fio() {
  local target=$1 job=$2 out=$RESULTS/$1.$2.json
  local args=(--name="$job" --ioengine=nbd --uri="$URI" --size="${SIZE_MIB}M" --iodepth="$IODEPTH"
    --direct=1 --numjobs=1 --output-format=json --output="$out")
  case $job in
    prefill) args+=(--rw=write --bs=1M) ;;
    seq-write) args+=(--rw=write --bs=1M) ;;
    seq-read) args+=(--rw=read --bs=1M) ;;
    rand-write) args+=(--rw=randwrite --bs=4k --norandommap --randrepeat=0) ;;
    rand-read) args+=(--rw=randread --bs=4k --norandommap --randrepeat=0) ;;
    *) die "unknown job $job" ;;
  esac
  [ "$job" = prefill ] || args+=(--time_based --runtime="$RUNTIME")
  # In the background so that a signal to this script is handled at once, not after the job.
  fio "${args[@]}" > "$RESULTS/$target.$job.log" 2>&1 &
  PIDS+=($!)
  if ! wait $!; then
    cat "$RESULTS/$target.$job.log" >&2
    die "fio $job against $target ($URI) failed"
  fi
  unset 'PIDS[-1]'
}

# run_suite TARGET: prefill, then the timed jobs, against URI.
run_suite() {
  local job
  log "$1: $URI -- prefill ${SIZE_MIB} MiB"
  run_fio "$1" prefill
  for job in "${JOBS[@]}"; do
    log "$1: $job (${RUNTIME}s)"
    run_fio "$1" "$job"
  done
}

# ---------------------------------------------------------------- report ----------------------
# report: the table, read from fio's JSON with python3.
report() {
  python3 - "$RESULTS" "${JOBS[*]}" "${TARGETS[*]}" <<'PY'
import json, os, sys

results, jobs, targets = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()

def figures(target, job):
    with open(os.path.join(results, f"{target}.{job}.json")) as f:
        fio = json.load(f)
    j = fio["jobs"][0]
    if j["error"]:
        sys.exit(f"fio reported error {j['error']} for {target} {job}")
    side = j["write" if "write" in job else "read"]
    return side["bw_bytes"] / 2**20, side["iops"], side["clat_ns"]["mean"] / 1000

rows = {(t, j): figures(t, j) for t in targets for j in jobs}
base = targets[0]
header = ["job"]
for t in targets:
    header += [f"{t} MiB/s", "IOPS"]
header += [f"{t.removeprefix('brmr-')}/{base.split('-')[0]}" for t in targets[1:]]
table = [header]
for j in jobs:
    row = [j]
    for t in targets:
        mib, iops, _ = rows[(t, j)]
        row += [f"{mib:.1f}", f"{iops:.0f}"]
    for t in targets[1:]:
        b = rows[(base, j)][0]
        row.append(f"{rows[(t, j)][0] / b:.2f}" if b else "-")
    table.append(row)
widths = [max(len(r[i]) for r in table) for i in range(len(header))]
for n, r in enumerate(table):
    print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    if n == 0:
        print("  ".join("-" * w for w in widths))
print(f"(ratios are MiB/s of brmr over MiB/s of {base}; IOPS ratios are the same)")
print()
print("mean completion latency (us): " + "; ".join(
    f"{j} " + "/".join(f"{rows[(t, j)][2]:.0f}" for t in targets) for j in jobs) + f"  ({'/'.join(targets)})")
PY
}

# ---------------------------------------------------------------- main ------------------------
main() {
  [[ $SIZE_MIB =~ ^[1-9][0-9]*$ ]] || die "BENCH_SIZE_MIB must be a positive integer, got '$SIZE_MIB'"
  [[ $RUNTIME =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer, got '$RUNTIME'"
  [[ $IODEPTH =~ ^[1-9][0-9]*$ ]] || die "BENCH_IODEPTH must be a positive integer, got '$IODEPTH'"
  check_tools
  ensure_image
  mkdir -p "${BENCH_TMPDIR:-/tmp}"
  WORK=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/brmr-bench.XXXXXX")
  RESULTS=$WORK/results
  mkdir -p "$RESULTS"
  local started=$SECONDS load_before
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)

  log "device ${SIZE_MIB} MiB, ${RUNTIME}s per job, iodepth $IODEPTH, chunk_size $CHUNK_SIZE," \
    "disks $([ "$USE_LOOP" = 1 ] && echo "on loop devices" || echo "sparse files") under $WORK"

  start_nbdkit "$WORK/nbdkit-file"
  run_suite nbdkit-file
  tear_down "$WORK/nbdkit-file"

  bring_up_pool "$WORK/brmr-1-leg" 1
  run_suite brmr-1-leg
  tear_down "$WORK/brmr-1-leg"

  bring_up_pool "$WORK/brmr-2-legs" 2
  run_suite brmr-2-legs
  tear_down "$WORK/brmr-2-legs"

  echo
  echo "nbd-bench $(date -u +%Y-%m-%dT%H:%MZ) on $(hostname), $(nproc) cores" \
    "($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)):" \
    "${SIZE_MIB} MiB device, ${RUNTIME}s per job, iodepth $IODEPTH, fio $(fio --version)"
  echo
  report | tee "$RESULTS/table.txt"
  echo
  echo "total time $((SECONDS - started))s; load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "(other work on the same cores lowers the figures: compare the load with that of a quiet run)"
  if [ -n "${BENCH_RESULTS:-}" ]; then
    mkdir -p "$BENCH_RESULTS"
    cp "$RESULTS"/* "$BENCH_RESULTS"/
    echo "fio JSON and table copied to $BENCH_RESULTS"
  fi
}

main "$@"
