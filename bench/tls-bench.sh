#!/usr/bin/env bash
# tls-bench.sh -- what mutual TLS 1.3 on the RMR sessions costs in write throughput.
#
# What it measures: a two-leg brmr pool (two storage nodes, a compute client with a session to each,
# mapped; every write goes to both legs) is brought up once per mode:
#   plain      no TLS anywhere
#   rmr-tls    --tls-cert/--tls-key/--tls-ca on every daemon: the client's legs run mutual TLS 1.3;
#              the NBD export stays plain, so the difference to `plain` is the cost of TLS on RMR
#   all-tls    as rmr-tls, and the client exports with --nbd-tls require
# Each pool is first filled with BENCH_SIZE_MIB of random data by nbdcopy (timed: the `fill` column;
# over nbds:// with tls-certificates=DIR in all-tls), then two fio jobs run through fio's nbd engine
# for BENCH_SECONDS each (not in all-tls: fio's nbd engine refuses the tls-certificates= of a URI):
#   seq-write   1 MiB sequential writes      rand-write  4 KiB random writes
# Prints MiB/s, IOPS and mean completion latency per job and mode, the ratio to `plain`, and the CPU
# time the three daemons used per IO during each job (less sensitive than MiB/s to other load). Certificates are throwaway ones from
# scripts/test-certs.sh (EC P-256, so TLS_AES_128_GCM_SHA256 or TLS_AES_256_GCM_SHA384 with ECDHE).
#
# How to run (needs fio with the nbd engine, openssl, python3 and the image; losetup for loop devices):
#   bench/tls-bench.sh                                # 256 MiB device, 5 s per job
#   BENCH_SECONDS=10 bench/tls-bench.sh
# Environment: BENCH_SIZE_MIB (default 256), BENCH_SECONDS (default 5), BENCH_IODEPTH (default 16),
# and as resync-bench.sh: BENCH_CHUNK_SIZE, BENCH_LOOP, BENCH_LOOP_DIO, BENCH_TMPDIR, BENCH_JAVA_OPTIONS,
# BENCH_RESULTS (receives fio's JSON and the table), BRMR_IMAGE.
# Everything it starts (daemons, fio, loop devices, temp files) is stopped or removed on exit.
set -euo pipefail

BENCH_NAME=tls-bench
BENCH_SIZE_MIB=${BENCH_SIZE_MIB:-256}
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
RUNTIME=${BENCH_SECONDS:-5}
IODEPTH=${BENCH_IODEPTH:-16}
MODES=(plain rmr-tls all-tls)
JOBS=(seq-write rand-write)

# run_fio MODE JOB: one timed fio job against URI; JSON to WORK/results/MODE.JOB.json.
run_fio() {
  local mode=$1 job=$2 out=$WORK/results/$1.$2
  local args=(--name="$job" --ioengine=nbd --uri="$URI" --size="${SIZE_MIB}M" --iodepth="$IODEPTH"
    --direct=1 --numjobs=1 --output-format=json --output="$out.json" --time_based --runtime="$RUNTIME")
  case $job in
    seq-write) args+=(--rw=write --bs=1M) ;;
    rand-write) args+=(--rw=randwrite --bs=4k --norandommap --randrepeat=0) ;;
  esac
  run_bg "$out.log" fio "${args[@]}" || { cat "$out.log" >&2; die "fio $job in mode $mode ($URI) failed"; }
}

# daemon_cpu: CPU seconds used so far by the two storage nodes and the client together.
daemon_cpu() {
  calc "$(cpu_seconds "${NODE_PID[1]}") + $(cpu_seconds "${NODE_PID[2]}") + $(cpu_seconds "$CLIENT_PID")"
}

# bench_mode MODE: brings up the pool for MODE, prefills it, times the jobs, tears it down.
bench_mode() {
  local mode=$1 job cpu_before
  local tls=(--tls-cert "$CERTS/node-cert.pem" --tls-key "$CERTS/node-key.pem" --tls-ca "$CERTS/ca-cert.pem")
  SERVER_OPTIONS=()
  CLIENT_OPTIONS=()
  case $mode in
    rmr-tls) SERVER_OPTIONS=("${tls[@]}"); CLIENT_OPTIONS=("${tls[@]}") ;;
    all-tls) SERVER_OPTIONS=("${tls[@]}"); CLIENT_OPTIONS=("${tls[@]}" --nbd-tls require) ;;
  esac
  RUN=$WORK/$mode
  mkdir -p "$RUN"
  start_storage "$RUN" 1 32
  start_storage "$RUN" 2 32
  start_client "$RUN"
  local target=$URI t0 t1
  [[ $URI != nbds://* ]] || target="$URI?tls-certificates=$CERTS"
  log "$mode: $target -- fill ${SIZE_MIB} MiB with nbdcopy"
  t0=$(now)
  run_bg "$RUN/fill.log" nbdcopy "$DATA_FILE" "$target" || { cat "$RUN/fill.log" >&2; die "nbdcopy to $target failed"; }
  t1=$(now)
  calc "$SIZE_MIB / ($t1 - $t0)" .1f > "$WORK/results/$mode.fill"
  local jobs=("${JOBS[@]}")
  [ "$mode" != all-tls ] || jobs=()
  for job in ${jobs[@]+"${jobs[@]}"}; do
    log "$mode: $job (${RUNTIME}s)"
    cpu_before=$(daemon_cpu)
    run_fio "$mode" "$job"
    calc "$(daemon_cpu) - $cpu_before" > "$WORK/results/$mode.$job.cpu"
  done
  stop_processes
  detach_loops
  rm -rf "$RUN"
  RUN=""
}

report() {
  python3 - "$WORK/results" "${MODES[*]}" "${JOBS[*]}" "$RUNTIME" <<'PY'
import json, os, sys

results, modes, jobs, runtime = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), int(sys.argv[4])

def text(name):
    with open(os.path.join(results, name)) as f:
        return f.read().strip()

def figures(mode, job):
    if not os.path.exists(os.path.join(results, f"{mode}.{job}.json")):
        return None
    with open(os.path.join(results, f"{mode}.{job}.json")) as f:
        j = json.load(f)["jobs"][0]
    if j["error"]:
        sys.exit(f"fio reported error {j['error']} for {mode} {job}")
    w = j["write"]
    cpu_us_per_io = float(text(f"{mode}.{job}.cpu")) * 1e6 / w["total_ios"] if w["total_ios"] else 0
    return w["bw_bytes"] / 2**20, w["iops"], w["clat_ns"]["mean"] / 1000, cpu_us_per_io

rows = {(m, j): figures(m, j) for m in modes for j in jobs}
table = [["mode", "fill MiB/s", "vs plain"]
         + [h for j in jobs for h in (f"{j} MiB/s", "IOPS", "lat us", "vs plain", "CPU us/IO")]]
base_fill = float(text(f"{modes[0]}.fill"))
for m in modes:
    fill = float(text(f"{m}.fill"))
    row = [m, f"{fill:.1f}", f"{fill / base_fill:.2f}"]
    for j in jobs:
        if rows[(m, j)] is None:
            row += ["-"] * 5
            continue
        mib, iops, lat, cpu = rows[(m, j)]
        base = rows[(modes[0], j)][0]
        row += [f"{mib:.1f}", f"{iops:.0f}", f"{lat:.0f}", f"{mib / base:.2f}" if base else "-", f"{cpu:.0f}"]
    table.append(row)
widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
for n, r in enumerate(table):
    print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    if n == 0:
        print("  ".join("-" * w for w in widths))
print(f"(fill: nbdcopy of random data over the whole device; vs plain: MiB/s over plain's; CPU us/IO: CPU time "
      f"of both storage nodes and the client during the {runtime} s job over the IOs it completed)")
PY
}

main() {
  local started=$SECONDS load_before mode
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  [[ $RUNTIME =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer, got '$RUNTIME'"
  [[ $IODEPTH =~ ^[1-9][0-9]*$ ]] || die "BENCH_IODEPTH must be a positive integer, got '$IODEPTH'"
  check_setup
  command -v openssl > /dev/null || die "openssl is not installed (apt-get install openssl)"
  command -v fio > /dev/null && fio --enghelp=nbd > /dev/null 2>&1 \
    || die "fio with the nbd engine is not installed (apt-get install fio)"
  mkdir -p "${BENCH_TMPDIR:-/tmp}"
  WORK=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/brmr-tls-bench.XXXXXX")
  mkdir -p "$WORK/results"
  ensure_image
  CERTS=$WORK/certs
  bash scripts/test-certs.sh "$CERTS"
  DATA_FILE=$WORK/data.img
  head -c $((SIZE_MIB << 20)) /dev/urandom > "$DATA_FILE"
  log "${SIZE_MIB} MiB device, ${RUNTIME}s per job, iodepth $IODEPTH, chunk_size $CHUNK_SIZE," \
    "disks $([ "$USE_LOOP" = 1 ] && echo "on loop devices" || echo "plain files") under $WORK"
  for mode in "${MODES[@]}"; do
    bench_mode "$mode"
  done
  echo
  echo "tls-bench $(date -u +%Y-%m-%dT%H:%MZ) on $(hostname), $(nproc) cores" \
    "($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)): 2-leg pool, ${SIZE_MIB} MiB," \
    "iodepth $IODEPTH, fio $(fio --version)"
  echo
  report | tee "$WORK/results/table.txt"
  echo
  echo "total time $((SECONDS - started))s; load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ -n "${BENCH_RESULTS:-}" ]; then
    mkdir -p "$BENCH_RESULTS"
    cp "$WORK/results"/* "$BENCH_RESULTS"/
    echo "fio JSON and table copied to $BENCH_RESULTS"
  fi
}

main "$@"
