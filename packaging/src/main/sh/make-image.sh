#!/usr/bin/env bash
# Links the minimal runtime image: our modules, their dependencies and only the JDK modules they require.
set -euo pipefail
java_home=$1 modules=$2 output=$3
rm -rf "$output"
"$java_home/bin/jlink" \
  --module-path "$modules" \
  --add-modules brmr.admin,org.tinylog.impl \
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
launcher brmrctl brmr.admin/brmr.admin.console.Brmrctl
echo "brmr image: $output ($(du -sh "$output" | cut -f1)), modules: $("$output/bin/java" --list-modules | tr '\n' ' ')"
