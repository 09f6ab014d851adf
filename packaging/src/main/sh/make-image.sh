#!/usr/bin/env bash
# Links the minimal runtime image: our modules, their dependencies and only the JDK modules they require
# (plus BRMR_EXTRA_MODULES, comma-separated, e.g. jdk.jfr for a profiling image of the benchmarks).
set -euo pipefail
java_home=$1 modules=$2 output=$3
rm -rf "$output"
"$java_home/bin/jlink" \
  --module-path "$modules" \
  --add-modules "brmr.admin,org.tinylog.impl${BRMR_EXTRA_MODULES:+,$BRMR_EXTRA_MODULES}" \
  --strip-debug --no-header-files --no-man-pages --compress zip-9 \
  --add-options="--enable-native-access=brmr.device" \
  --output "$output"

# Our own launchers rather than jlink's: they exec java, so the launcher's PID is the daemon's PID.
launcher() {
  cat > "$output/bin/$1" <<LAUNCHER
#!/bin/sh
exec "\$(dirname "\$(readlink -f "\$0")")/java" -m $2 "\$@"
LAUNCHER
  chmod 755 "$output/bin/$1"
}

# A daemon's launcher turns --max-memory SIZE (default 1g) into the heap cap; the daemon sees the option too,
# checks it the same way and lists it in --help. Direct memory (socket buffers) gets its own small cap.
daemon_launcher() {
  cat > "$output/bin/$1" <<LAUNCHER
#!/bin/sh
max_memory=1g
previous=
for arg in "\$@"; do
  case \$previous in --max-memory) max_memory=\$arg ;; esac
  case \$arg in --max-memory=*) max_memory=\${arg#--max-memory=} ;; esac
  previous=\$arg
done
if ! expr "x\$max_memory" : 'x[1-9][0-9]*[kKmMgG]\$' >/dev/null; then
  echo "$1: --max-memory: '\$max_memory' is not a size such as 512m or 2g" >&2
  exit 2
fi
exec "\$(dirname "\$(readlink -f "\$0")")/java" -Xmx"\$max_memory" -XX:MaxDirectMemorySize=256m -m $2 "\$@"
LAUNCHER
  chmod 755 "$output/bin/$1"
}
daemon_launcher brmr-server brmr.admin/brmr.admin.server.StorageDaemon
daemon_launcher brmr-client brmr.admin/brmr.admin.client.ClientDaemon

# brmrctl is a short-lived JVM per runbook line: the serial GC and the C1 compiler only, and the AOT
# cache made below (classes loaded and linked ahead of time). A missing or stale cache is skipped
# silently: -Xlog keeps the JVM's AOT messages out of brmrctl's output.
cat > "$output/bin/brmrctl" <<'LAUNCHER'
#!/bin/sh
bin=$(dirname "$(readlink -f "$0")")
aot=$bin/../lib/brmrctl.aot
[ -r "$aot" ] || aot=
exec "$bin/java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 ${aot:+"-XX:AOTCache=$aot"} -Xlog:aot*=off,cds*=off \
  -m brmr.admin/brmr.admin.console.Brmrctl "$@"
LAUNCHER
chmod 755 "$output/bin/brmrctl"

# systemd template units (brmr-server@.service, brmr-client@.service) for an image installed at /opt/brmr
mkdir -p "$output/lib/systemd"
cp "$(dirname "$(readlink -f "$0")")/../systemd/"*.service "$output/lib/systemd/"

# The training run of the AOT cache: brmrctl's commands against a storage daemon of this image (on a
# free port of 127.0.0.1, in a temp dir, stopped by its PID). Without a cache brmrctl works, slower.
train_brmrctl() {
  local work pid ready=""
  work=$(mktemp -d)
  "$output/bin/brmr-server" --state-dir "$work/node" --listen 127.0.0.1:0 > "$work/stdout" 2> "$work/stderr" &
  pid=$!
  for _ in $(seq 600); do
    grep -q '^brmr-server ready:' "$work/stdout" && { ready=1; break; }
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  if [ -n "$ready" ]; then
    local ctl=("$output/bin/brmrctl" --socket "$work/node/control.sock")
    "${ctl[@]}" write rmr-server/ctl/join_pool 'poolname=p1 member_id=1' > /dev/null || true
    printf '%s\n' 'read rmr-server/pools/p1/state' 'status' 'ls rmr-server' 'read rmr-server/pools/p1/map_summary' \
      'write rmr-server/pools/p1/sync start' 'read no/such/file' \
      | JDK_JAVA_OPTIONS="-XX:AOTCacheOutput=$output/lib/brmrctl.aot" "${ctl[@]}" > "$work/train.log" 2>&1 || true
  fi
  kill "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  [ -f "$output/lib/brmrctl.aot" ] || echo "brmr image: no AOT cache for brmrctl (it starts slower): $(cat "$work"/*.log "$work/stderr" 2> /dev/null | tail -3)" >&2
  rm -rf "$work"
}
train_brmrctl
echo "brmr image: $output ($(du -sh "$output" | cut -f1); AOT cache: $(du -h "$output/lib/brmrctl.aot" 2> /dev/null | cut -f1 || echo none)), modules: $("$output/bin/java" --list-modules | tr '\n' ' ')"
