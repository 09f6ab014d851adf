#!/usr/bin/env bash
# Installs the real NBD and disk tools the tests drive; without root it only says what is missing.
# fio (with its built-in nbd engine) drives DiskFailureIT and FrozenPeerIT; mount brings losetup and the
# tmpfs mount/umount of DiskFailureIT; procps brings the kill that freezes a node in FrozenPeerIT; prometheus
# brings promtool, which checks the daemons' /metrics in MetricsIT; openssl makes the throwaway certificates of
# the TLS tests (scripts/test-certs.sh); systemd brings systemd-analyze, which SystemdUnitsIT verifies the units with.
set -euo pipefail
packages=(libnbd-bin qemu-utils nbdkit fio util-linux mount procps prometheus openssl systemd)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
else
  echo "not root: tests that need ${missing[*]} will skip (install them with apt-get)"
fi
