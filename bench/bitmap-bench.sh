#!/usr/bin/env bash
# bitmap-bench.sh -- the cost of one durable dirty-map update: pwritev2(RWF_DSYNC) of a 4096-byte
# bitmap block against a store into the mmap window of the bitmap region plus msync(MS_SYNC) of its
# page (the two -Dbrmr.bitmap-writes modes of brmr-server, dsync and mmap).
#
# What it measures: bench/BitmapUpdateBench.java drives MetadataArea.writeBitmap directly, one update
# of one random block of a 128 KiB slot at a time, timed one by one; rounds alternate between the
# modes so that both see the same load. On three disks, one after the other:
#   file-direct   a sparse file opened O_DIRECT (as brmr-server --direct-io on)
#   file-cached   the same file through the page cache (--direct-io off, the default for files)
#   loop-direct   a loop device attached with --direct-io=on, opened O_DIRECT (root and losetup only)
# Prints per disk and mode the median, mean, p90 and p99 latency and updates per second.
#
# How to run (from anywhere; compiles the device and metadata modules with mvn -o if needed):
#   bench/bitmap-bench.sh
# Environment:
#   BENCH_ROUNDS    alternating rounds per mode (default 10)
#   BENCH_UPDATES   updates per round (default 300)
#   BENCH_LOOP      auto (default: a loop device when root), 0 or 1
#   BENCH_TMPDIR    where the 4.2 GB sparse files go (default /var/tmp: not tmpfs)
# The loop device and the temp files are removed on exit, including on Ctrl-C or failure.
set -euo pipefail

BENCH_NAME=bitmap-bench
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
ROUNDS=${BENCH_ROUNDS:-10}
UPDATES=${BENCH_UPDATES:-300}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive integer, got '$ROUNDS'"
[[ $UPDATES =~ ^[1-9][0-9]*$ ]] || die "BENCH_UPDATES must be a positive integer, got '$UPDATES'"
check_setup no-fill

# shellcheck source=/dev/null
source scripts/jdk.sh
if [ ! -f metadata/target/classes/module-info.class ] \
    || [ -n "$(find device/src/main metadata/src/main -newer metadata/target/classes/module-info.class -type f -print -quit)" ]; then
  log "compiling the device and metadata modules"
  mvn -B -ntp -q -o -pl device,metadata -am compile
fi
WORK=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/brmr-bitmap-bench.XXXXXX")

# measure NAME DISK DIRECT_IO: one table for DISK opened with DIRECT_IO (on, off or auto).
measure() {
  log "$1: $ROUNDS rounds of $UPDATES updates per mode"
  run_bg "$WORK/$1.txt" java --module-path device/target/classes:metadata/target/classes \
    --add-modules brmr.metadata --enable-native-access=brmr.device \
    bench/BitmapUpdateBench.java "$2" "$3" "$ROUNDS" "$UPDATES" || { cat "$WORK/$1.txt" >&2; die "$1 failed"; }
  sed "s/^/$1  /" "$WORK/$1.txt"
}

truncate -s 4200M "$WORK/file.img"
measure file-direct "$WORK/file.img" on
measure file-cached "$WORK/file.img" off
if [ "$USE_LOOP" = 1 ]; then
  LOOP_DIO=1
  truncate -s 4200M "$WORK/loop.img"
  attach "$WORK/loop.img"
  measure loop-direct "$DISK" auto
else
  log "loop-direct skipped: needs root and losetup (BENCH_LOOP=1)"
fi
