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
# It prints the median, minimum and maximum wall time of each in milliseconds (date +%s%N around the
# call, output to /dev/null) and the load average, since a busy machine moves the medians a lot.
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

# millis CMD...: runs CMD with its output to /dev/null; prints its wall time in ms.
millis() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" > /dev/null 2>&1 || die "$* failed"
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}

# summary LABEL FILE: median, min and max of the numbers in FILE, one line.
summary() {
  sort -n "$2" | awk -v label="$1" '
    { t[NR] = $1 }
    END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
          printf "%-50s median %5.0f ms   min %5d ms   max %5d ms   (%d runs)\n", label, m, t[1], t[NR], NR }'
}

# compare ARGS...: brmrctl ARGS through the launcher and the plain JVM, taking turns.
compare() {
  local socket=$RUN/node1/control.sock i
  : > "$WORK/launcher" && : > "$WORK/plain"
  for ((i = 0; i < RUNS; i++)); do
    millis "$IMAGE/bin/brmrctl" --socket "$socket" "$@" >> "$WORK/launcher"
    millis "$IMAGE/bin/java" -m brmr.admin/brmr.admin.console.Brmrctl --socket "$socket" "$@" >> "$WORK/plain"
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
