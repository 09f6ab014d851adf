#!/usr/bin/env bash
# verify-bench.sh -- how fast the online verify compares the two legs of a pool.
#
# What it measures: a two-leg brmr pool of BENCH_SIZE_MIB (default 1 GiB) is brought up as
# resync-bench.sh does it (two storage nodes with sync sessions to each other, a compute client
# mapped over both) and filled with random data through NBD. The client stays connected, so the
# pool is `normal`, as verify requires. The script then times, on node 1,
#   brmrctl write rmr-server/pools/p1/verify start
# until `brmrctl verify p1 --wait` returns: node 1 computes the CRC32C of each chunk of its store
# and asks node 2 for the CRC32C of the same chunk over its sync session. It prints
#   wall s     start until --wait returned, seen by the operator (two brmrctl JVM start-ups and the
#              200 ms poll of --wait included)
#   server s   the verify's own elapsed time (from verify_progress)
#   MiB/s      pool size / wall s, and the verify's own mib_per_s
# and the CPU seconds both daemons used. The verify must report 0 differing chunks.
#
# Then it checks that a difference is found and repaired: it overwrites 4 KiB of one chunk on node
# 2's disk behind brmr's back (dd oflag=direct into the data area), verifies a range around it on
# node 1 (expects exit 2 and exactly that chunk), runs `verify start ... repair=1` on node 2 (the
# wrong side marks the chunk dirty for itself), `sync start` on node 2, and verifies the range
# again (expects 0 differing). At the end the daemons are stopped and the data areas of both
# legs are compared with cmp.
#
# How to run (needs dd, cmp, python3, and nbdcopy or qemu-io; losetup for loop devices):
#   bench/verify-bench.sh                        # 1 GiB, sync queue depth 32, no rate bound
#   BENCH_SIZE_MIB=256 bench/verify-bench.sh     # a quick run
# Environment: as resync-bench.sh (BENCH_SIZE_MIB, BENCH_CHUNK_SIZE, BENCH_LOOP, BENCH_LOOP_DIO,
# BENCH_TMPDIR, BENCH_JAVA_OPTIONS, BENCH_RESULTS, BRMR_IMAGE), and
#   BENCH_DEPTH        --sync-queue-depth of the storage nodes: chunks verified in parallel (default 32)
# It needs 3 x BENCH_SIZE_MIB free in BENCH_TMPDIR (the random data and two brmr disks).
# Everything it starts (daemons, loop devices, temp files) is stopped or removed on exit.
set -euo pipefail

BENCH_NAME=verify-bench
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
DEPTH=${BENCH_DEPTH:-32}

# verify_wait DIR VALUE EXPECTED_RC OUT: writes VALUE to the verify file of the node in DIR and follows
# it with `brmrctl verify --wait` into OUT; fails unless that exits with EXPECTED_RC.
verify_wait() {
  local dir=$1 value=$2 expected=$3 out=$4 rc=0
  ctl "$dir" write rmr-server/pools/$POOL/verify "$value"
  run_bg "$out" "$IMAGE/bin/brmrctl" --socket "$dir/control.sock" verify $POOL --wait || rc=$?
  echo "    verify $value on ${dir##*/}: $(tail -n 1 "$out") (exit $rc)"
  [ "$rc" = "$expected" ] || die "brmrctl verify --wait exited $rc, expected $expected: $(cat "$out")"
}

# differing DIR: the differing chunks of the last verify on the node in DIR, space-separated.
differing() {
  ctl_read "$1" rmr-server/pools/$POOL/verify_progress > "$RUN/progress.json"
  python3 -c 'import json, sys; print(*json.load(open(sys.argv[1]))["differing"])' "$RUN/progress.json"
}

main() {
  local started=$SECONDS run n1 n2 t0 t1 cpu1 cpu2 progress
  check_setup
  [[ $DEPTH =~ ^[1-9][0-9]*$ ]] && [ "$DEPTH" -le 512 ] || die "BENCH_DEPTH: '$DEPTH' is not in 1..512"
  mkdir -p "${BENCH_TMPDIR:-/tmp}"
  WORK=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/brmr-verify-bench.XXXXXX")
  ensure_image
  local settings="${SIZE_MIB} MiB, chunk_size $CHUNK_SIZE, sync queue depth $DEPTH, disks on"
  if [ "$USE_LOOP" = 1 ]; then
    settings+=" loop devices$([ "$LOOP_DIO" != 1 ] || echo " (--direct-io=on)")"
  else
    settings+=" plain files"
  fi
  log "$settings; temp dir $WORK"
  DATA_FILE=$WORK/data.img
  head -c $((SIZE_MIB << 20)) /dev/urandom > "$DATA_FILE"

  run=$WORK/run
  RUN=$run
  NODE_ADDR=() NODE_PID=() NODE_FILE=()
  mkdir -p "$run"
  start_storage "$run" 1 "$DEPTH"
  start_storage "$run" 2 "$DEPTH"
  join_sync "$run" 1
  join_sync "$run" 2
  start_client "$run"
  n1=$run/node1 n2=$run/node2
  fill "$run"
  sync   # the fill's dirty pages go to disk now, not during the timed verify
  wait_state "$n1" rmr-server/pools/$POOL/state "node 1" normal
  wait_state "$n2" rmr-server/pools/$POOL/state "node 2" normal

  log "verify of the whole pool on node 1"
  cpu1=$(cpu_seconds "${NODE_PID[1]}") cpu2=$(cpu_seconds "${NODE_PID[2]}")
  t0=$(now)
  verify_wait "$n1" start 0 "$run/verify-full.out"
  t1=$(now)
  cpu1=$(calc "$(cpu_seconds "${NODE_PID[1]}") - $cpu1") cpu2=$(calc "$(cpu_seconds "${NODE_PID[2]}") - $cpu2")
  progress=$run/verify-full.json
  ctl_read "$n1" rmr-server/pools/$POOL/verify_progress > "$progress"
  echo "    verify_progress: $(cat "$progress")"
  local compared server_mibs server_s wall_s
  compared=$(json_field "$progress" compared)
  server_mibs=$(json_field "$progress" mib_per_s)
  server_s=$(calc "$compared * $CHUNK_SIZE / 1048576 / $server_mibs" .3f)
  wall_s=$(calc "$t1 - $t0" .3f)
  echo "    CPU seconds during the verify: node 1 (verifying) $cpu1, node 2 (peer) $cpu2 ($(nproc) cores)"

  log "a difference behind brmr's back: 4 KiB of chunk K on node 2's disk overwritten"
  local chunks=$(((SECTORS * 512 + CHUNK_SIZE - 1) / CHUNK_SIZE))
  local bad=$((chunks / 3)) from to
  from=$((bad > 50 ? bad - 50 : 0)) to=$((bad + 50 < chunks ? bad + 50 : chunks - 1))
  run_bg "$run/corrupt.out" dd if=/dev/urandom of="${NODE_FILE[2]}" bs=4096 count=1 conv=notrunc oflag=direct \
    seek=$((($(data_offset) + bad * CHUNK_SIZE + 8192) / 4096)) || die "dd into ${NODE_FILE[2]} failed"
  verify_wait "$n1" "start first=$from last=$to" 2 "$run/verify-bad.out"
  [ "$(differing "$n1")" = "$bad" ] || die "expected chunk $bad to differ, got [$(differing "$n1")]"
  log "repair on node 2 (the wrong side), then sync start there"
  verify_wait "$n2" "start first=$from last=$to repair=1" 2 "$run/verify-repair.out"
  ctl "$n2" write rmr-server/pools/$POOL/sync start
  run_bg "$run/sync.out" "$IMAGE/bin/brmrctl" --socket "$n2/control.sock" sync $POOL --wait \
    || die "sync on node 2 failed: $(cat "$run/sync.out")"
  verify_wait "$n1" "start first=$from last=$to" 0 "$run/verify-after.out"

  grep -h 'verify' "$n1"/*.log "$n2"/*.log 2> /dev/null | sed 's/^/    log: /' || true
  stop_processes
  local legs=OK offset len
  offset=$(data_offset) len=$((SECTORS * 512))
  cmp -s -n "$len" -i "$offset:$offset" "${NODE_FILE[1]}" "${NODE_FILE[2]}" || legs=DIFFER
  log "cmp of the data areas of leg 1 and leg 2: $legs"
  if [ -n "${BENCH_RESULTS:-}" ]; then
    mkdir -p "$BENCH_RESULTS"
    cp "$run"/*.out "$run"/*.json "$BENCH_RESULTS/"
    cp "$n1"/*.log "$BENCH_RESULTS/node1.log" 2> /dev/null || true
    cp "$n2"/*.log "$BENCH_RESULTS/node2.log" 2> /dev/null || true
  fi

  echo
  echo "verify-bench $(date -u +%Y-%m-%dT%H:%MZ) on $(machine): $settings"
  echo "  chunks compared  $compared"
  echo "  wall s           $wall_s  ($(calc "$SIZE_MIB / $wall_s" .1f) MiB/s)"
  echo "  server s         $server_s  ($server_mibs MiB/s, mib_per_s of verify_progress)"
  echo "  difference       chunk $bad found, repaired from node 1, verified again: OK"
  echo "  legs after       $legs"
  echo "total time $((SECONDS - started))s"
  [ "$legs" = OK ] || die "the legs differ at the end"
}

main "$@"
