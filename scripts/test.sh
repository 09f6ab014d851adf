#!/usr/bin/env bash
# Runs every test: installs the Debian packages the tests use (when root), then builds and verifies all modules.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-packages.sh
source scripts/jdk.sh
exec mvn -B -ntp verify "$@"
