#!/usr/bin/env bash
# resync-bench.sh -- how long a full resync of a replaced disk takes, against a plain dd copy.
#
# What it measures: a two-leg brmr pool of BENCH_SIZE_MIB (default 1 GiB) is filled with random
# data through NBD. Then the disk of node 2 is "replaced": remove_store, then add_store of a new
# empty disk with mode=replace, as DiskReplacementIT does it. Once the client's session to node 2
# is `normal` again, the script times `write rmr-server/pools/p1/sync start` until
# `brmrctl sync p1 --wait` returns. That is the full resync: node 2 fetches every chunk from node 1
# over its sync session and writes it to the new disk. The baseline is a plain copy of the same
# size on the same machine, with O_DIRECT on both sides:
#   dd if=A of=B bs=1M count=N iflag=direct oflag=direct
# A holds the same random data and B is a new empty disk; neither is a brmr disk. dd runs right
# after each resync. For each sync queue depth (BENCH_DEPTHS) the script prints one row: both
# times, MiB/s and the ratio resync time / dd time.
#   resync s  wall time seen by the operator, including the start-up of the two brmrctl JVMs and
#             the 200 ms poll of --wait
#   server s  the sync thread's own time: chunks * chunk_size / mib_per_s of sync_progress
# After each resync it compares the data areas of both legs with cmp, and leg 2's data area with
# the random data that was written, and prints OK or DIFFER (the script exits 1 on DIFFER). It
# also prints the CPU seconds each daemon used during the resync and how busy all CPUs were.
# At the end it times one more dd with bs=chunk_size, the IO size of the resync, for reference.
#
# Disks: as root (with losetup) every disk is a loop device over a sparse file under
# BENCH_TMPDIR. Otherwise the disks are plain files. The storage daemons run with --direct-io on,
# and dd uses iflag=direct oflag=direct, so both sides bypass the page cache of the device they
# open. The loop devices are attached with --direct-io=on (BENCH_LOOP_DIO=1, the default), so
# dd and the resync reach the backing file's disk; with BENCH_LOOP_DIO=0 a loop device reads and
# writes its backing file through the page cache. All daemons talk over 127.0.0.1.
#
# How to run (from anywhere; needs dd, cmp, python3, and nbdcopy or qemu-io; losetup for loop
# devices; the image packaging/target/brmr is built with mvn if it is missing):
#   bench/resync-bench.sh                                   # 1 GiB, sync queue depth 32
#   BENCH_SIZE_MIB=256 bench/resync-bench.sh                # a quick run
#   BENCH_DEPTHS="8 32 128" bench/resync-bench.sh           # one row per --sync-queue-depth
# Environment:
#   BENCH_SIZE_MIB     size of the pool (mapped_size) and of the dd copy in MiB (default 1024)
#   BENCH_DEPTHS       space-separated --sync-queue-depth values, one pool and row each (default 32)
#   BENCH_CHUNK_SIZE   brmr chunk_size in bytes (default 131072)
#   BENCH_LOOP         auto (loop devices when root, the default), 1 (require them) or 0 (files)
#   BENCH_LOOP_DIO     1 (the default): attach the loop devices with --direct-io=on (no page cache
#                      under them); 0: through the page cache of the backing files
#   BENCH_TMPDIR       where the temp dir goes (default /tmp). It needs 4 x BENCH_SIZE_MIB free
#                      (the random data and three brmr disks) plus the 44 MiB image copy
#   BENCH_JAVA_OPTIONS JVM options for the daemons (passed as JDK_JAVA_OPTIONS), e.g.
#                      -Djdk.virtualThreadScheduler.parallelism=16
#   BENCH_RESULTS      if set, a directory that receives the daemon logs, sync_progress JSON
#                      and the table
#   BRMR_IMAGE         the brmr image to run (default packaging/target/brmr of this checkout).
#                      The script copies the image into the temp dir first, so that a concurrent
#                      `mvn package` cannot replace it during the run.
# Everything it starts (daemons, loop devices, temp files) is stopped or removed on exit, including
# on Ctrl-C and on failure.
set -euo pipefail

BENCH_NAME=resync-bench
: "${BENCH_LOOP_DIO:=1}"
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
DEPTHS=${BENCH_DEPTHS:-32}

# check_depths: BENCH_DEPTHS is a list of sync queue depths in 1..512.
check_depths() {
  [ -n "${DEPTHS// /}" ] || die "BENCH_DEPTHS is empty"
  local depth
  for depth in $DEPTHS; do
    [[ $depth =~ ^[1-9][0-9]*$ ]] && [ "$depth" -le 512 ] || die "BENCH_DEPTHS: '$depth' is not in 1..512"
  done
}

# ---------------------------------------------------------------- one resync ------------------
# resync_round DEPTH: a fresh pool with --sync-queue-depth DEPTH, filled, node 2's disk replaced and
# resynced (timed), both legs compared, then the dd baseline; appends a row to ROWS.
resync_round() {
  local depth=$1 run=$WORK/qd$1 n1 n2 c t0 t1 wait_out progress cpu1 cpu2 cpuc busy0 total0 busy1 total1
  NODE_ADDR=() NODE_PID=() NODE_FILE=()
  RUN=$run
  mkdir -p "$run"
  log "--- sync queue depth $depth: bringing up a two-leg pool of ${SIZE_MIB} MiB in $run"
  start_storage "$run" 1 "$depth"
  start_storage "$run" 2 "$depth"
  join_sync "$run" 1
  join_sync "$run" 2
  start_client "$run"
  n1=$run/node1 n2=$run/node2 c=$run/client
  fill "$run"

  log "replacing the disk of node 2 (remove_store, add_store mode=replace)"
  ctl "$n2" write brmr-server/stores/$POOL/remove_store 1
  wait_state "$c" rmr-client/pools/$POOL/sessions/s2/state "client session s2 after remove_store" "failed|reconnecting"
  make_disk "$run/disk2-new.img" "$(store_bytes)"
  local new_file=$run/disk2-new.img
  ctl "$n2" write brmr-server/ctl/add_store "device=$DISK pool=$POOL mapped_size=$SECTORS mode=replace"
  [ "$(ctl_read "$n2" brmr-server/stores/$POOL/state | tr '\n' ' ')" = "open mapped " ] \
    || die "the new store on node 2 is not open and mapped: $(ctl_read "$n2" brmr-server/stores/$POOL/state)"
  wait_state "$c" rmr-client/pools/$POOL/sessions/s2/state "client session s2 after add_store" normal
  log "node 1 map: $(ctl_read "$n1" rmr-server/pools/$POOL/map_summary | tr '\n' ';' | cut -c1-120)"
  sync   # the fill's dirty pages go to disk now, not during the timed resync

  log "resync: sync start ... sync --wait"
  cpu1=$(cpu_seconds "${NODE_PID[1]}") cpu2=$(cpu_seconds "${NODE_PID[2]}") cpuc=$(cpu_seconds "$CLIENT_PID")
  read -r busy0 total0 < <(cpu_busy)
  t0=$(now)
  ctl "$n2" write rmr-server/pools/$POOL/sync start
  if ! run_bg "$run/sync-wait.out" "$IMAGE/bin/brmrctl" --socket "$n2/control.sock" sync $POOL --wait; then
    cat "$run/sync-wait.out" >&2
    die "the resync did not finish"
  fi
  t1=$(now)
  read -r busy1 total1 < <(cpu_busy)
  cpu1=$(calc "$(cpu_seconds "${NODE_PID[1]}") - $cpu1") cpu2=$(calc "$(cpu_seconds "${NODE_PID[2]}") - $cpu2")
  cpuc=$(calc "$(cpu_seconds "$CLIENT_PID") - $cpuc")
  wait_out=$(tail -n 1 "$run/sync-wait.out")
  echo "    $wait_out"
  progress=$run/sync_progress.json
  ctl_read "$n2" rmr-server/pools/$POOL/sync_progress > "$progress"
  echo "    sync_progress: $(cat "$progress")"
  [ "$(json_field "$progress" state)" = done ] || die "sync_progress is not done: $(cat "$progress")"
  local synced mibs elapsed resync_s server_s
  synced=$(json_field "$progress" synced)
  mibs=$(json_field "$progress" mib_per_s)
  elapsed=$(json_field "$progress" elapsed_seconds)
  resync_s=$(calc "$t1 - $t0" .3f)
  server_s=$(calc "$synced * $CHUNK_SIZE / 1048576 / $mibs" .3f)
  echo "    CPU seconds during the resync: node 1 (source) $cpu1, node 2 (target) $cpu2, client $cpuc" \
    "(wall ${resync_s}s, $(nproc) cores, all CPUs $((100 * (busy1 - busy0) / (total1 - total0)))% busy)"
  grep -h 'sync started\|sync done\|sync stopped' "$n2"/*.log 2> /dev/null | sed 's/^/    log: /' || true
  if [ -n "$(grep -ihE 'warn|error|exception' "$n1"/*.log "$n2"/*.log 2> /dev/null | head -1)" ]; then
    echo "    warnings/errors in the server logs:"
    grep -ihE 'warn|error|exception' "$n1"/*.log "$n2"/*.log | head -5 | sed 's/^/      /'
  fi

  stop_processes   # idle JVMs out of the way; the disks stay for the comparison and dd
  local verify=OK offset len
  offset=$(data_offset) len=$((SECTORS * 512))
  cmp -s -n "$len" -i "$offset:$offset" "${NODE_FILE[1]}" "$new_file" || verify=DIFFER
  local versus_data=OK
  if [ "$FILL_TOOL" = nbdcopy ]; then
    cmp -s -n "$len" -i "$offset:0" "$new_file" "$DATA_FILE" || versus_data=DIFFER
  fi
  log "verify: data areas of leg 1 and leg 2 (offset $offset, $len bytes): $verify;" \
    "leg 2 against the written data: $versus_data"
  [ "$versus_data" = OK ] || verify=DIFFER

  detach_loops
  rm -f "${NODE_FILE[1]}" "${NODE_FILE[2]}" "$new_file"
  dd_copy "$run"
  ROWS+=("$depth $synced $resync_s $server_s $elapsed $DD_S $verify")
  if [ -n "${BENCH_RESULTS:-}" ]; then
    mkdir -p "$BENCH_RESULTS/qd$depth"
    cp "$progress" "$run/sync-wait.out" "$BENCH_RESULTS/qd$depth/"
    cp "$n1"/*.log "$BENCH_RESULTS/qd$depth/node1.log" 2> /dev/null || true
    cp "$n2"/*.log "$BENCH_RESULTS/qd$depth/node2.log" 2> /dev/null || true
  fi
  rm -rf "$run"
  RUN=""
}

# dd_copy RUNDIR [BLOCK_BYTES]: the baseline, dd with O_DIRECT from the random data to a new empty
# disk of the same kind (loop device or file), in blocks of 1 MiB unless BLOCK_BYTES is given;
# sets DD_S.
dd_copy() {
  local src dst t0 t1 block=${2:-1048576} bs count
  attach "$DATA_FILE"
  src=$DISK
  make_disk "$1/dd.img" $((SIZE_MIB << 20))
  dst=$DISK
  if [ "$block" = 1048576 ]; then
    bs=1M count=$SIZE_MIB
  else
    bs=$((block / 1024))K count=$(((SIZE_MIB << 20) / block))
  fi
  sync
  t0=$(now)
  run_bg "$1/dd.out" dd if="$src" of="$dst" bs="$bs" count="$count" iflag=direct oflag=direct \
    || { cat "$1/dd.out" >&2; die "dd failed"; }
  t1=$(now)
  DD_S=$(calc "$t1 - $t0" .3f)
  log "dd if=$src of=$dst bs=$bs count=$count iflag=direct oflag=direct: ${DD_S}s ($(tail -n 1 "$1/dd.out"))"
  detach_loops
  rm -f "$1/dd.img"
}

# ---------------------------------------------------------------- report ----------------------
report() {
  python3 - "$SIZE_MIB" "$CHUNK_SIZE" "${ROWS[@]}" <<'PY'
import sys

size, chunk, rows = int(sys.argv[1]), int(sys.argv[2]), [r.split() for r in sys.argv[3:]]
header = ["depth", "chunks", "resync s", "MiB/s", "server s", "MiB/s", "dd s", "MiB/s", "ratio", "ratio(srv)",
          "verify"]
table = [header]
for depth, synced, resync, server, elapsed, dd, verify in rows:
    resync, server, dd = float(resync), float(server), float(dd)
    moved = int(synced) * chunk / 2**20
    table.append([depth, synced, f"{resync:.2f}", f"{moved / resync:.1f}", f"{server:.2f}", f"{moved / server:.1f}",
                  f"{dd:.2f}", f"{size / dd:.1f}", f"{resync / dd:.2f}", f"{server / dd:.2f}", verify])
widths = [max(len(r[i]) for r in table) for i in range(len(header))]
for n, r in enumerate(table):
    print("  ".join(c.rjust(w) for c, w in zip(r, widths)))
    if n == 0:
        print("  ".join("-" * w for w in widths))
print("resync s: sync start until `brmrctl sync --wait` returned (wall); server s: chunks * chunk_size / "
      "mib_per_s of sync_progress;")
print("ratio: resync s / dd s; ratio(srv): server s / dd s; verify: cmp of both legs' data areas and of leg 2 "
      "with the written data")
PY
}

# ---------------------------------------------------------------- main ------------------------
main() {
  local started=$SECONDS load_before settings
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  check_setup
  check_depths
  mkdir -p "${BENCH_TMPDIR:-/tmp}"
  WORK=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/brmr-resync-bench.XXXXXX")
  ensure_image
  ROWS=()
  settings="${SIZE_MIB} MiB, chunk_size $CHUNK_SIZE, disks on"
  if [ "$USE_LOOP" = 1 ]; then
    settings+=" loop devices$([ "$LOOP_DIO" != 1 ] || echo " (--direct-io=on)")"
  else
    settings+=" plain files"
  fi
  [ -z "$JAVA_OPTIONS" ] || settings+=", daemon JVM options '$JAVA_OPTIONS'"
  log "$settings; sync queue depths: $DEPTHS; temp dir $WORK"

  DATA_FILE=$WORK/data.img
  log "writing ${SIZE_MIB} MiB of random data to $DATA_FILE"
  head -c $((SIZE_MIB << 20)) /dev/urandom > "$DATA_FILE"

  local depth
  for depth in $DEPTHS; do
    resync_round "$depth"
  done
  # For reference: the same copy in chunk-sized blocks, the IO size the resync writes.
  mkdir -p "$WORK/dd-chunk"
  dd_copy "$WORK/dd-chunk" "$CHUNK_SIZE"
  local dd_chunk_s=$DD_S

  echo
  echo "resync-bench $(date -u +%Y-%m-%dT%H:%MZ) on $(machine): $settings"
  echo
  report | tee "$WORK/table.txt"
  echo "for reference, dd as above but bs=$((CHUNK_SIZE / 1024))K (the chunk size, one block at a time):" \
    "${dd_chunk_s}s, $(calc "$SIZE_MIB / $dd_chunk_s" .1f) MiB/s" | tee -a "$WORK/table.txt"
  echo
  echo "total time $((SECONDS - started))s; load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ -n "${BENCH_RESULTS:-}" ]; then
    mkdir -p "$BENCH_RESULTS"
    cp "$WORK/table.txt" "$BENCH_RESULTS/"
    echo "logs, sync_progress JSON and table copied to $BENCH_RESULTS"
  fi
  local row
  for row in "${ROWS[@]}"; do
    [ "${row##* }" = OK ] || die "the legs differ after the resync (row: $row)"
  done
}

main "$@"
