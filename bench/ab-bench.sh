#!/usr/bin/env bash
# ab-bench.sh -- two brmr images (or one with two JVM settings) side by side: a 2-leg pool of each,
# both up at once, and the same fio job against A and B in turns (A B, then B A, ...), so that load
# from other work on the machine falls on both alike. After a warm-up turn of each side per job it
# prints per job the MiB/s of every turn, the mean of each side and the ratio B/A of the means.
#
#   BENCH_IMAGE_A=/tmp/main-image BENCH_IMAGE_B=packaging/target/brmr bench/ab-bench.sh
#   BENCH_IMAGE_A=img BENCH_IMAGE_B=img BENCH_JAVA_OPTIONS_B=-Djdk.virtualThreadScheduler.parallelism=8 \
#     bench/ab-bench.sh
#
# Environment:
#   BENCH_IMAGE_A, BENCH_IMAGE_B  the two images (default packaging/target/brmr of this checkout)
#   BENCH_JAVA_OPTIONS_A, _B      daemon JVM options of each side (default BENCH_JAVA_OPTIONS)
#   BENCH_JOBS     space-separated jobs: rand-write, rand-read (default both)
#   BENCH_ROUNDS   turns of each side per job (default 4)
#   BENCH_SECONDS  runtime of each turn (default 5)
#   BENCH_SIZE_MIB, BENCH_IODEPTH, BENCH_CHUNK_SIZE, BENCH_LOOP, BENCH_LOOP_DIO, BENCH_DIRECT_IO,
#   BENCH_TMPDIR   as for nbd-bench.sh (disks: 4 x BENCH_SIZE_MIB at most)
set -euo pipefail
BENCH_NAME=ab-bench
: "${BENCH_LOOP:=0}" "${BENCH_DIRECT_IO:=auto}" "${BENCH_SIZE_MIB:=256}"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNTIME=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-4}
IODEPTH=${BENCH_IODEPTH:-16}
read -r -a JOBS <<< "${BENCH_JOBS:-rand-write rand-read}"
declare -A SIDE_IMAGE SIDE_OPTIONS SIDE_URI
SIDE_IMAGE[A]=${BENCH_IMAGE_A:-$REPO/packaging/target/brmr}
SIDE_IMAGE[B]=${BENCH_IMAGE_B:-$REPO/packaging/target/brmr}
SIDE_OPTIONS[A]=${BENCH_JAVA_OPTIONS_A:-$JAVA_OPTIONS}
SIDE_OPTIONS[B]=${BENCH_JAVA_OPTIONS_B:-$JAVA_OPTIONS}

check_args() {
  [[ $RUNTIME =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer, got '$RUNTIME'"
  [[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive integer, got '$ROUNDS'"
  [[ $IODEPTH =~ ^[1-9][0-9]*$ ]] || die "BENCH_IODEPTH must be a positive integer, got '$IODEPTH'"
  local job side
  for job in "${JOBS[@]}"; do
    case $job in rand-write | rand-read) ;; *) die "BENCH_JOBS: '$job' is not rand-write or rand-read" ;; esac
  done
  for side in A B; do
    [ -x "${SIDE_IMAGE[$side]}/bin/brmr-server" ] || die "BENCH_IMAGE_$side: no brmr image at ${SIDE_IMAGE[$side]}"
  done
  command -v fio > /dev/null || die "fio is not installed (apt-get install fio)"
  fio --enghelp=nbd > /dev/null 2>&1 || die "this fio has no nbd ioengine (fio >= 3.19 built with libnbd)"
}

# bring_up_side SIDE: a copy of the side's image and a 2-leg pool of it in WORK/SIDE; sets SIDE_URI.
bring_up_side() {
  IMAGE=$WORK/image-$1
  cp -a "${SIDE_IMAGE[$1]}" "$IMAGE"
  JAVA_OPTIONS=${SIDE_OPTIONS[$1]}
  RUN=$WORK/$1
  mkdir -p "$RUN"
  NODE_ADDR=() NODE_PID=() NODE_FILE=()
  start_storage "$RUN" 1
  start_storage "$RUN" 2
  start_client "$RUN" 2
  SIDE_URI[$1]=$URI
}

# turn SIDE JOB NAME: one fio run against the side's export; JSON to RESULTS/NAME.json.
turn() {
  local args=(--name="$2" --ioengine=nbd --uri="${SIDE_URI[$1]}" --size="${SIZE_MIB}M" --iodepth="$IODEPTH"
    --direct=1 --numjobs=1 --output-format=json --output="$RESULTS/$3.json")
  case $2 in
    prefill) args+=(--rw=write --bs=1M) ;;
    rand-write) args+=(--rw=randwrite --bs=4k --norandommap --randrepeat=0 --time_based --runtime="$RUNTIME") ;;
    rand-read) args+=(--rw=randread --bs=4k --norandommap --randrepeat=0 --time_based --runtime="$RUNTIME") ;;
  esac
  run_bg "$RESULTS/$3.log" fio "${args[@]}" || { cat "$RESULTS/$3.log" >&2; die "fio $2 against $1 failed"; }
}

report() {
  python3 - "$RESULTS" "${JOBS[*]}" "$ROUNDS" <<'PY'
import json, os, statistics, sys

results, jobs, rounds = sys.argv[1], sys.argv[2].split(), int(sys.argv[3])

def mib(name, job):
    with open(os.path.join(results, name + ".json")) as f:
        j = json.load(f)["jobs"][0]
    return j["write" if "write" in job else "read"]["bw_bytes"] / 2**20

for job in jobs:
    a = [mib(f"A.{job}.{r}", job) for r in range(rounds)]
    b = [mib(f"B.{job}.{r}", job) for r in range(rounds)]
    print(f"{job:10}  A MiB/s {' '.join(f'{x:6.1f}' for x in a)}  mean {statistics.mean(a):6.1f}")
    print(f"{'':10}  B MiB/s {' '.join(f'{x:6.1f}' for x in b)}  mean {statistics.mean(b):6.1f}"
          f"  B/A {statistics.mean(b) / statistics.mean(a):.2f}"
          f"  (per turn {min(y / x for x, y in zip(a, b)):.2f}..{max(y / x for x, y in zip(a, b)):.2f})")
PY
}

main() {
  check_setup no-fill
  check_args
  mkdir -p "${BENCH_TMPDIR:-/tmp}"
  WORK=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/brmr-ab.XXXXXX")
  RESULTS=$WORK/results
  mkdir -p "$RESULTS"
  local load_before side job round first second
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  log "A: ${SIDE_IMAGE[A]} ${SIDE_OPTIONS[A]}; B: ${SIDE_IMAGE[B]} ${SIDE_OPTIONS[B]}"
  log "${SIZE_MIB} MiB devices, iodepth $IODEPTH, $ROUNDS turns of ${RUNTIME}s per side and job; temp dir $WORK"
  for side in A B; do
    bring_up_side "$side"
    log "$side: ${SIDE_URI[$side]} -- prefill"
    turn "$side" prefill "$side.prefill"
  done
  for job in "${JOBS[@]}"; do
    for side in A B; do
      log "$side: $job warm-up turn (not counted: the JIT compiles the path first)"
      turn "$side" "$job" "$side.$job.warm-up"
    done
    for ((round = 0; round < ROUNDS; round++)); do
      first=A second=B
      [ $((round % 2)) = 0 ] || first=B second=A
      for side in "$first" "$second"; do
        log "$side: $job turn $((round + 1))"
        turn "$side" "$job" "$side.$job.$round"
      done
    done
  done
  echo
  echo "ab-bench $(date -u +%Y-%m-%dT%H:%MZ) on $(machine): A ${SIDE_IMAGE[A]} ${SIDE_OPTIONS[A]:+(${SIDE_OPTIONS[A]})}," \
    "B ${SIDE_IMAGE[B]} ${SIDE_OPTIONS[B]:+(${SIDE_OPTIONS[B]})}; 2-leg pools of ${SIZE_MIB} MiB, iodepth $IODEPTH," \
    "${RUNTIME}s turns"
  report
  echo "load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
}

main "$@"
