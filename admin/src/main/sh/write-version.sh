#!/usr/bin/env bash
# Writes the resource that --version prints: the Maven project version and the git commit built
# ("-dirty" when tracked files differ from it, "unknown" outside a git checkout).
set -euo pipefail
version=$1 output=$2
here=$(dirname "$0")
commit=$(git -C "$here" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && ! git -C "$here" diff --quiet HEAD -- 2>/dev/null; then
  commit="$commit-dirty"
fi
mkdir -p "$(dirname "$output")"
printf 'version=%s\ncommit=%s\n' "$version" "$commit" > "$output"
