#!/usr/bin/env bash
# The main job on its embedded default: builds the image, then brings up a whole local pool --
# two storage nodes on file-backed disks under ./local-data, with sync sessions between them, and
# one compute client -- the way the runbook does (join_pool, create_store or add_store, sync pool,
# add_sess, enable, map_device), and prints the NBD address to use. Runs until Ctrl-C, then stops every daemon it started.
# Environment: BRMR_ONCE=1 stops after printing; BRMR_SKIP_BUILD=1 reuses the built image;
# BRMR_PORT_BASE (default 7471) sets the storage ports, BRMR_NBD (default 127.0.0.1:10809) the export.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh
if [ "${BRMR_SKIP_BUILD:-0}" != 1 ]; then
  echo "building (mvn package)..."
  mvn -B -ntp -q package -DskipTests
fi
image=$PWD/packaging/target/brmr
data=$PWD/local-data
pool=p1
mapped_size=409600
port_base=${BRMR_PORT_BASE:-7471}
nbd=${BRMR_NBD:-127.0.0.1:10809}
mkdir -p "$data"

pids=()
stop_all() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  [ ${#pids[@]} -eq 0 ] || echo "stopped ${#pids[@]} daemons (pids ${pids[*]})"
}
trap stop_all EXIT

# start_daemon NAME LAUNCHER ARGS...: starts a daemon under local-data/NAME and waits for its ready line
start_daemon() {
  local name=$1 launcher=$2 dir=$data/$1
  shift 2
  mkdir -p "$dir"
  # this script types the runbook itself, so the daemons do not re-apply their journals
  "$image/bin/$launcher" --state-dir "$dir" --socket "$dir/control.sock" --restore no "$@" > "$dir/stdout" 2> "$dir/stderr" &
  pids+=($!)
  for _ in $(seq 1 600); do
    grep -q "^$launcher ready" "$dir/stdout" 2>/dev/null && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "$name did not start:" >&2; cat "$dir/stderr" >&2; exit 1; }
    sleep 0.1
  done
  echo "$name did not get ready within 60 s" >&2
  exit 1
}

ctl() { local name=$1; shift; "$image/bin/brmrctl" --socket "$data/$name/control.sock" "$@"; }

mode=create
for member in 1 2; do
  node=node$member
  disk=$data/$node-disk.img
  [ -f "$disk" ] || truncate -s 256M "$disk"
  start_daemon "$node" brmr-server --listen "127.0.0.1:$((port_base + member - 1))"
  ctl "$node" write /sys/devices/virtual/rmr-server/ctl/join_pool "poolname=$pool member_id=$member"
  if ctl "$node" examine "$disk" > /dev/null; then
    ctl "$node" write /sys/devices/virtual/brmr-server/ctl/add_store "device=$disk pool=$pool"
    ctl "$node" examine --json "$disk" | grep -q '"mapped":true' && mode=assemble
  else
    ctl "$node" write /sys/devices/virtual/brmr-server/ctl/create_store "device=$disk pool=$pool mapped_size=$mapped_size"
  fi
done

# sync sessions between the storage nodes, for replace and resync
for member in 1 2; do
  peer=$((3 - member))
  ctl node$member write /sys/devices/virtual/rmr-client/ctl/join_pool "poolname=$pool chunk_size=131072 sync=y"
  ctl node$member write /sys/class/rmr-client/pools/$pool/add_sess "sessname=stg-rmr$member@stg-rmr$peer path=ip:127.0.0.1:$((port_base + peer - 1))"
  ctl node$member write /sys/class/rmr-server/pools/$pool/add_clt "$pool"
done

start_daemon client brmr-client --nbd "$nbd"
ctl client write /sys/devices/virtual/rmr-client/ctl/join_pool "poolname=$pool chunk_size=131072"
for member in 1 2; do
  ctl client write /sys/class/rmr-client/pools/$pool/add_sess \
    "sessname=psrv0@stg-rmr$member path=ip:127.0.0.1:$((port_base + member - 1)) mode=$mode"
done
for member in 1 2; do
  ctl client write /sys/class/rmr-client/pools/$pool/sessions/psrv0@stg-rmr$member/enable 1
done
# new disks are files of zeroes, identical on both nodes: no initial sync (ignored when re-mapping)
ctl client write /sys/devices/virtual/brmr-client/ctl/map_device "pool=$pool size=$mapped_size assume_clean=1"

for member in 1 2; do
  echo "== storage node $member"
  ctl node$member status
done
echo "== compute client"
ctl client status
echo
echo "NBD export: $(ctl client read brmr-client/ctl/devices/brmr0/nbd) (also under the pool name, /$pool)"
echo "  e.g. qemu-io -f raw -c 'write -P 0xab 0 1M' -c 'read -P 0xab 0 1M' $(ctl client read brmr-client/ctl/devices/brmr0/nbd)"
echo "  admin: $image/bin/brmrctl --socket $data/client/control.sock   (storage nodes: $data/node1/control.sock, $data/node2/control.sock)"
if [ "${BRMR_ONCE:-0}" = 1 ]; then
  exit 0
fi
echo "Ctrl-C stops the pool."
wait
