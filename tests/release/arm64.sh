#!/usr/bin/env bash
# tests/release/arm64.sh DIST: the static linux/arm64 kubectl-neon of .ci/release under Debian's
# qemu-user-static, called directly (a container has no binfmt_misc): version, render and
# generate --repo (a new repository and a commit, `git fsck` clean).
source "$(dirname "$0")/lib.sh"
dist=$1
version=$(dist_version "$dist")
tar -xzf "$dist/kubectl-neon_${version}_linux_arm64.tar.gz" -C "$work" kubectl-neon
check "file says ARM aarch64, statically linked" \
  grep -q "ARM aarch64.*statically linked" <(file -b "$work/kubectl-neon")
q() { env -i HOME="$work" GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@localhost "$QEMU" "$work/kubectl-neon" "$@"; }
check "version" test "$(q version)" = "kubectl-neon $version"
check "version -o json says linux/arm64, static" python3 -c '
import json, sys
j = json.loads(sys.argv[1])
sys.exit(0 if j["target"] == "linux/arm64" and j["static"] is True else 1)' "$(q version -o json)"
q init -f "$work/neon.yaml" 2>/dev/null
q render -f "$work/neon.yaml" >"$work/render.yaml"
check "render prints the objects" grep -q "^kind: StatefulSet" "$work/render.yaml"
check "generate --repo" q generate -f "$work/neon.yaml" --repo "$work/repo"
check "git fsck is clean" git -C "$work/repo" fsck --full --strict
check "one commit, nothing left out" test "$(git -C "$work/repo" rev-list --count HEAD)" = 1 -a \
  -z "$(git -C "$work/repo" status --porcelain)"
finish
