#!/usr/bin/env bash
# nbd-bench.sh -- throughput of the brmr NBD export against a plain nbdkit baseline.
#
# What it measures: four fio jobs through fio's nbd engine (libnbd, no kernel nbd device):
#   seq-write   1 MiB sequential writes        seq-read   1 MiB sequential reads
#   rand-write  4 KiB random writes            rand-read  4 KiB random reads
# each for a fixed time (time_based), queue depth BENCH_IODEPTH, on four targets brought up
# one after the other on this machine:
#   nbdkit-file   `nbdkit file FILE` serving a plain file of the same size on a unix socket (one hop)
#   nbdkit-proxy  `nbdkit nbd` on TCP forwarding over TCP to `nbdkit file FILE`: the same two hops as
#                 NBD client -> brmr-client -> storage node, without replication (the baseline)
#   brmr-1-leg    a brmr pool with one storage node, exported by brmr-client over NBD
#   brmr-2-legs   a brmr pool with two storage nodes (every write goes to both)
# Before the timed jobs each target is filled once with sequential 1 MiB writes over the whole
# device (untimed), so reads never hit unwritten areas and writes never allocate new file blocks.
# All daemons talk over 127.0.0.1 and their disks are files on the same filesystem, so the figures
# show the cost of the brmr software path, not of a network or of separate disks.
# Prints one table: MiB/s and IOPS per job and target, and the ratios brmr/nbdkit-proxy and
# brmr/nbdkit-file for 1 and 2 legs.
#
# How to run (from anywhere; needs fio with the nbd engine, nbdkit, python3 and the built image
# packaging/target/brmr -- it is built with mvn if missing):
#   bench/nbd-bench.sh
#   BENCH_SIZE_MIB=256 BENCH_SECONDS=3 bench/nbd-bench.sh        # a quick run
#   BENCH_JOBS="rand-write" bench/nbd-bench.sh                  # one job only
# Environment:
#   BENCH_SIZE_MIB     device size in MiB for every target (default 1024)
#   BENCH_SECONDS      runtime of each timed job in seconds (default 10)
#   BENCH_IODEPTH      fio iodepth of every job (default 16)
#   BENCH_JOBS         space-separated jobs to run (default "seq-write seq-read rand-write rand-read")
#   BENCH_CHUNK_SIZE   brmr chunk_size in bytes (default 131072)
#   BENCH_LOOP=1       put every disk (brmr stores and the nbdkit file) on a loop device (root only;
#                      default 0: sparse files); BENCH_LOOP_DIO=1 attaches them with --direct-io=on
#   BENCH_DIRECT_IO    --direct-io of the storage daemons (default auto: on for loop devices, off
#                      for files, as nbdkit-file, which goes through the page cache)
#   BENCH_TMPDIR       where the temp dir with the disks goes (default /tmp); needs at most
#                      2 x BENCH_SIZE_MIB free (only one target's disks exist at a time)
#   BENCH_JAVA_OPTIONS JVM options for the daemons (passed as JDK_JAVA_OPTIONS), e.g. to record
#                      a profile: -XX:StartFlightRecording=filename=/tmp/brmr-%p.jfr, or to persist
#                      dirty maps one way on every kind of disk: -Dbrmr.bitmap-writes=mmap|dsync
#   BENCH_RESULTS      if set, a directory to copy fio's JSON output and the table into
#   BRMR_IMAGE         the brmr image to run (default packaging/target/brmr of this checkout)
# Everything it starts (daemons, nbdkit, loop devices, temp files) is stopped or removed on exit,
# including on Ctrl-C or failure.
set -euo pipefail

BENCH_NAME=nbd-bench
: "${BENCH_LOOP:=0}" "${BENCH_DIRECT_IO:=auto}"
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
RUNTIME=${BENCH_SECONDS:-10}
IODEPTH=${BENCH_IODEPTH:-16}
ALL_JOBS=(seq-write seq-read rand-write rand-read)
read -r -a JOBS <<< "${BENCH_JOBS:-${ALL_JOBS[*]}}"
TARGETS=(nbdkit-file nbdkit-proxy brmr-1-leg brmr-2-legs)

# ---------------------------------------------------------------- checks ----------------------
check_tools() {
  [[ $RUNTIME =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer, got '$RUNTIME'"
  [[ $IODEPTH =~ ^[1-9][0-9]*$ ]] || die "BENCH_IODEPTH must be a positive integer, got '$IODEPTH'"
  [ "${#JOBS[@]}" -gt 0 ] || die "BENCH_JOBS is empty"
  local job
  for job in "${JOBS[@]}"; do
    [[ " ${ALL_JOBS[*]} " == *" $job "* ]] || die "BENCH_JOBS: '$job' is not one of ${ALL_JOBS[*]}"
  done
  command -v fio > /dev/null || die "fio is not installed (apt-get install fio)"
  command -v nbdkit > /dev/null || die "nbdkit is not installed (apt-get install nbdkit)"
  fio --enghelp=nbd > /dev/null 2>&1 || die "this fio has no nbd ioengine (fio >= 3.19 built with libnbd)"
  nbdkit nbd --version > /dev/null 2>&1 || die "nbdkit has no nbd plugin (apt-get install nbdkit-plugin-libnbd)"
}

# ---------------------------------------------------------------- targets ---------------------
# bring_up_pool RUNDIR LEGS: a pool of LEGS storage nodes and its client; sets URI.
bring_up_pool() {
  local member
  NODE_ADDR=() NODE_PID=() NODE_FILE=()
  mkdir -p "$1"
  for ((member = 1; member <= $2; member++)); do
    start_storage "$1" "$member"
  done
  start_client "$1" "$2"
}

# start_nbdkit DIR PLUGIN ARGS... -- LISTEN...: nbdkit in the foreground with its logs in DIR,
# listening as LISTEN says (--unix PATH or --port N); waits until it accepts connections.
start_nbdkit() {
  local dir=$1 i
  shift
  for ((i = 1; i <= $#; i++)); do [ "${!i}" != -- ] || break; done
  local plugin=("${@:1:i-1}") listen=("${@:i+1}")
  mkdir -p "$dir"
  # nbdkit writes its pid file once it accepts connections.
  nbdkit --foreground --pidfile "$dir/nbdkit.pid" "${listen[@]}" "${plugin[@]}" > "$dir/stdout" 2> "$dir/stderr" &
  PIDS+=($!)
  if ! wait_for $! nbdkit test -s "$dir/nbdkit.pid"; then
    cat "$dir/stderr" >&2
    die "nbdkit ${plugin[*]} exited before it was ready"
  fi
}

# start_nbdkit_file RUNDIR: nbdkit serving a plain file of the device's size on a unix socket; sets URI.
start_nbdkit_file() {
  mkdir -p "$1"
  make_disk "$1/disk.img" $((SIZE_MIB << 20))
  start_nbdkit "$1/file" file "$DISK" -- --unix "$1/nbd.sock"
  URI="nbd+unix:///?socket=$1/nbd.sock"
}

# start_nbdkit_proxy RUNDIR: `nbdkit file` on one TCP port and `nbdkit nbd` forwarding to it on
# another, both on 127.0.0.1; sets URI to the proxy.
start_nbdkit_proxy() {
  local storage_port proxy_port
  mkdir -p "$1"
  make_disk "$1/disk.img" $((SIZE_MIB << 20))
  storage_port=$(free_port)
  start_nbdkit "$1/file" file "$DISK" -- --ipaddr 127.0.0.1 --port "$storage_port"
  proxy_port=$(free_port)
  start_nbdkit "$1/proxy" nbd hostname=127.0.0.1 port="$storage_port" -- --ipaddr 127.0.0.1 --port "$proxy_port"
  URI="nbd://127.0.0.1:$proxy_port"
}

# bring_up TARGET: starts TARGET in WORK/TARGET; sets URI and RUN.
bring_up() {
  RUN=$WORK/$1
  case $1 in
    nbdkit-file) start_nbdkit_file "$RUN" ;;
    nbdkit-proxy) start_nbdkit_proxy "$RUN" ;;
    brmr-1-leg) bring_up_pool "$RUN" 1 ;;
    brmr-2-legs) bring_up_pool "$RUN" 2 ;;
    *) die "unknown target $1" ;;
  esac
}

# record_rss TARGET: the peak RSS (VmHWM) of each brmr daemon of TARGET, one "name MiB" line
# each in RESULTS/TARGET.rss, read before tear_down stops them.
record_rss() {
  local member pid name
  case $1 in brmr-*) ;; *) return 0 ;; esac
  : > "$RESULTS/$1.rss"
  for member in "${!NODE_PID[@]}"; do
    pid=${NODE_PID[member]} name=node$member
    [ -r "/proc/$pid/status" ] && echo "$name $(awk '/^VmHWM:/ {print int($2 / 1024)}' "/proc/$pid/status")" >> "$RESULTS/$1.rss"
  done
  [ -r "/proc/$CLIENT_PID/status" ] && echo "client $(awk '/^VmHWM:/ {print int($2 / 1024)}' "/proc/$CLIENT_PID/status")" >> "$RESULTS/$1.rss"
  return 0
}

# tear_down: stops everything of the current target and frees its disks.
tear_down() {
  stop_processes
  detach_loops
  rm -rf "$RUN"
  RUN=""
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
  if ! run_bg "$RESULTS/$target.$job.log" fio "${args[@]}"; then
    cat "$RESULTS/$target.$job.log" >&2
    die "fio $job against $target ($URI) failed"
  fi
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
# report: the table, read from fio's JSON with python3: MiB/s and IOPS per target, then the ratios
# of each brmr target to nbdkit-proxy (the like-for-like baseline) and to nbdkit-file.
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
brmr = [t for t in targets if t.startswith("brmr-")]
bases = [t for t in targets if t.startswith("nbdkit-")][::-1]   # the proxy first
header = ["job"]
for t in targets:
    header += [f"{t} MiB/s", "IOPS"]
ratios = [(t, b) for b in bases for t in brmr]
header += [f"{t.removeprefix('brmr-')}/{b.removeprefix('nbdkit-')}" for t, b in ratios]
table = [header]
for j in jobs:
    row = [j]
    for t in targets:
        mib, iops, _ = rows[(t, j)]
        row += [f"{mib:.1f}", f"{iops:.0f}"]
    for t, b in ratios:
        row.append(f"{rows[(t, j)][0] / rows[(b, j)][0]:.2f}" if rows[(b, j)][0] else "-")
    table.append(row)
widths = [max(len(r[i]) for r in table) for i in range(len(header))]
for n, r in enumerate(table):
    print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    if n == 0:
        print("  ".join("-" * w for w in widths))
print("(ratios: MiB/s of the brmr target over MiB/s of nbdkit-proxy, resp. nbdkit-file; IOPS ratios are the same)")
print()
print("mean completion latency (us): " + "; ".join(
    f"{j} " + "/".join(f"{rows[(t, j)][2]:.0f}" for t in targets) for j in jobs) + f"  ({'/'.join(targets)})")
peaks = []
for t in brmr:
    path = os.path.join(results, f"{t}.rss")
    if os.path.exists(path):
        with open(path) as f:
            peaks.append(f"{t} " + ", ".join(" ".join(line.split()) + " MiB" for line in f if line.strip()))
if peaks:
    print("peak RSS of the daemons (VmHWM): " + "; ".join(peaks))
PY
}

# ---------------------------------------------------------------- main ------------------------
main() {
  check_setup no-fill
  check_tools
  mkdir -p "${BENCH_TMPDIR:-/tmp}"
  WORK=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/brmr-bench.XXXXXX")
  ensure_image
  RESULTS=$WORK/results
  mkdir -p "$RESULTS"
  local started=$SECONDS load_before target settings
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  settings="${SIZE_MIB} MiB device, ${RUNTIME}s per job, iodepth $IODEPTH, chunk_size $CHUNK_SIZE, disks on"
  if [ "$USE_LOOP" = 1 ]; then
    settings+=" loop devices$([ "$LOOP_DIO" != 1 ] || echo " (--direct-io=on)")"
  else
    settings+=" sparse files"
  fi
  settings+=", storage daemons --direct-io $DIRECT_IO"
  [ -z "$JAVA_OPTIONS" ] || settings+=", daemon JVM options '$JAVA_OPTIONS'"
  log "$settings; jobs ${JOBS[*]}; temp dir $WORK"

  for target in "${TARGETS[@]}"; do
    bring_up "$target"
    run_suite "$target"
    record_rss "$target"
    tear_down
  done

  echo
  echo "nbd-bench $(date -u +%Y-%m-%dT%H:%MZ) on $(machine): $settings, fio $(fio --version)"
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
