#!/usr/bin/env bash
# brmrctl-bench.sh -- wall time of one brmrctl call (JVM start included), as an operator's runbook
# pays it on every line.
#
# What it measures: a brmr-server is started from the image on 127.0.0.1 (a free port) with a pool
# joined, then `brmrctl read rmr-server/pools/p1/state` and `brmrctl status` each run BENCH_RUNS times
# (default 20) one after the other; the script prints the median, minimum and maximum wall time of
# each in milliseconds. Runs are timed with date +%s%N around the call, output to /dev/null.
#
# How to run (needs the image packaging/target/brmr; built with mvn if missing):
#   bench/brmrctl-bench.sh
#   BENCH_RUNS=50 bench/brmrctl-bench.sh
#   BENCH_JAVA_OPTIONS='-XX:AOTCache=none' bench/brmrctl-bench.sh   # options for brmrctl (JDK_JAVA_OPTIONS)
# Environment:
#   BENCH_RUNS          calls per command (default 20)
#   BENCH_JAVA_OPTIONS  JDK_JAVA_OPTIONS for the brmrctl calls (not the daemon)
#   BRMR_IMAGE          the image to use (default packaging/target/brmr)
set -euo pipefail
BENCH_NAME=brmrctl-bench
RUNS=${BENCH_RUNS:-20}
CTL_OPTIONS=${BENCH_JAVA_OPTIONS:-}
BENCH_JAVA_OPTIONS=""
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$RUNS'"

# time_runs LABEL ARGS...: runs brmrctl ARGS RUNS times; prints median, min and max in ms.
time_runs() {
  local label=$1 i t0 t1
  shift
  local times=()
  local with_env=()
  [ -z "$CTL_OPTIONS" ] || with_env=(env "JDK_JAVA_OPTIONS=$CTL_OPTIONS")
  for ((i = 0; i < RUNS; i++)); do
    t0=$(date +%s%N)
    "${with_env[@]}" "$IMAGE/bin/brmrctl" --socket "$RUN/node1/control.sock" "$@" > /dev/null 2>&1 \
      || die "brmrctl $* failed"
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v label="$label" -v n="$RUNS" '
    { t[NR] = $1 }
    END { m = (n % 2) ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2
          printf "%-40s median %5.0f ms   min %5d ms   max %5d ms   (%d runs)\n", label, m, t[1], t[n], n }'
}

WORK=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/brmrctl-bench.XXXXXX")
RUN=$WORK/run
ensure_image
start_daemon "$RUN/node1" brmr-server --listen 127.0.0.1:0
ctl "$RUN/node1" write rmr-server/ctl/join_pool "poolname=$POOL member_id=1"
aot=$([ -f "$IMAGE/lib/brmrctl.aot" ] && echo "with lib/brmrctl.aot" || echo "no AOT cache in the image")
log "brmrctl wall time, $(nproc) CPUs, $aot${CTL_OPTIONS:+, JDK_JAVA_OPTIONS=$CTL_OPTIONS}"
time_runs "brmrctl read rmr-server/pools/p1/state" read "rmr-server/pools/$POOL/state"
time_runs "brmrctl status" status
