#!/usr/bin/env bash
# brmrctl-bench.sh -- wall time of one brmrctl call (JVM start included), as an operator's runbook
# pays it on every line.
#
# What it measures: a brmr-server is started from the image on 127.0.0.1 (a free port) with a pool
# joined; then `brmrctl read rmr-server/pools/p1/state` and `brmrctl status` each run BENCH_RUNS
# times (default 20) in two ways, taking turns so that both see the same load of the machine:
#   launcher  bin/brmrctl as shipped: serial GC, C1 only, the AOT cache lib/brmrctl.aot made at
#             package time (without the cache if the image has none)
#   plain     bin/java -m brmr.admin/brmr.admin.console.Brmrctl: the launcher before the AOT cache
# It prints the median, minimum and maximum wall time of each in milliseconds (bash's time around the
# call, output to /dev/null), the median CPU time (user + system) of the call, and the load average:
# on a busy machine the wall times wait for a CPU, while the CPU time stays what the call costs.
#
# How to run (needs the image packaging/target/brmr; built with mvn if missing):
#   bench/brmrctl-bench.sh
#   BENCH_RUNS=50 bench/brmrctl-bench.sh
# Environment:
#   BENCH_RUNS   calls per command and way (default 20)
#   BRMR_IMAGE   the image to use (default packaging/target/brmr)
set -euo pipefail
BENCH_NAME=brmrctl-bench
RUNS=${BENCH_RUNS:-20}
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$RUNS'"

# timed OUT CMD...: runs CMD with its output to /dev/null; appends "WALL_MS CPU_MS" to OUT.
timed() {
  local out=$1 times
  shift
  times=$( { TIMEFORMAT='%R %U %S'; time "$@" > /dev/null 2>&1 || die "$* failed"; } 2>&1 )
  awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' <<< "$times" >> "$out"
}

# summary LABEL FILE: median, min and max wall time and the median CPU time in FILE, one line.
summary() {
  local cpu
  cpu=$(cut -d' ' -f2 "$2" | sort -n | awk '{ t[NR] = $1 } END { print (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2 }')
  cut -d' ' -f1 "$2" | sort -n | awk -v label="$1" -v cpu="$cpu" '
    { t[NR] = $1 }
    END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
          printf "%-50s wall median %5.0f ms  min %5d ms  max %5d ms   CPU median %4.0f ms  (%d runs)\n", label, m, t[1], t[NR], cpu, NR }'
}

# compare ARGS...: brmrctl ARGS through the launcher and the plain JVM, taking turns.
compare() {
  local socket=$RUN/node1/control.sock i
  : > "$WORK/launcher" && : > "$WORK/plain"
  for ((i = 0; i < RUNS; i++)); do
    timed "$WORK/launcher" "$IMAGE/bin/brmrctl" --socket "$socket" "$@"
    timed "$WORK/plain" "$IMAGE/bin/java" -m brmr.admin/brmr.admin.console.Brmrctl --socket "$socket" "$@"
  done
  summary "launcher: brmrctl $*" "$WORK/launcher"
  summary "plain:    brmrctl $*" "$WORK/plain"
}

check_setup
WORK=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/brmrctl-bench.XXXXXX")
RUN=$WORK/run
ensure_image
start_daemon "$RUN/node1" brmr-server --listen 127.0.0.1:0
ctl "$RUN/node1" write rmr-server/ctl/join_pool "poolname=$POOL member_id=1"
aot=$([ -f "$IMAGE/lib/brmrctl.aot" ] && echo "the image has lib/brmrctl.aot" || echo "the image has no AOT cache")
log "brmrctl wall time, $(nproc) CPUs, $aot; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
compare read "rmr-server/pools/$POOL/state"
compare status
log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
