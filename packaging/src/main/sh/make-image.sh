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
launcher brmr-server brmr.admin/brmr.admin.server.StorageDaemon
launcher brmr-client brmr.admin/brmr.admin.client.ClientDaemon
launcher brmrctl brmr.admin/brmr.admin.console.Brmrctl
echo "brmr image: $output ($(du -sh "$output" | cut -f1)), modules: $("$output/bin/java" --list-modules | tr '\n' ' ')"
