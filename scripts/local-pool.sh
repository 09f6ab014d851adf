#!/usr/bin/env bash
# The main job on its embedded default: builds the image, then brings up a storage node on a
# file-backed disk under ./local-data, joins pool p1, creates its store (re-adds it on later runs)
# and prints the node's status through brmrctl. Runs until Ctrl-C, then stops the node.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh
if [ "${BRMR_SKIP_BUILD:-0}" != 1 ]; then
  echo "building (mvn package)..."
  mvn -B -ntp -q package -DskipTests
fi
image=$PWD/packaging/target/brmr
data=$PWD/local-data
mkdir -p "$data"
disk=$data/node1-disk.img
[ -f "$disk" ] || truncate -s 256M "$disk"

node=$data/node1
mkdir -p "$node"
"$image/bin/brmr-server" --state-dir "$node" --socket "$node/control.sock" > "$node/stdout" 2> "$node/stderr" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; echo "stopped brmr-server (pid $pid)"' EXIT
for _ in $(seq 1 300); do
  grep -q "^brmr-server ready" "$node/stdout" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$node/stderr" >&2; exit 1; }
  sleep 0.1
done
grep -q "^brmr-server ready" "$node/stdout" || { echo "brmr-server did not get ready" >&2; exit 1; }

ctl() { "$image/bin/brmrctl" --socket "$node/control.sock" "$@"; }
ctl write /sys/devices/virtual/rmr-server/ctl/join_pool "poolname=p1 member_id=1"
if ctl examine "$disk" > /dev/null; then
  ctl write /sys/devices/virtual/brmr-server/ctl/add_store "device=$disk pool=p1"
else
  ctl write /sys/devices/virtual/brmr-server/ctl/create_store "device=$disk pool=p1 mapped_size=409600"
fi
echo
ctl status
echo
ctl examine "$disk"
echo
echo "brmr-server (pid $pid) is running; try: $image/bin/brmrctl --socket $node/control.sock"
if [ "${BRMR_ONCE:-0}" = 1 ]; then
  exit 0
fi
echo "Ctrl-C stops it."
wait "$pid"
