#!/usr/bin/env bash
# tests/release/release.sh VERSION OUT: runs .ci/release VERSION twice (dist in OUT/dist and
# OUT/dist-again; the build trees are .ci/release's own, build-release/, so a developer's release
# build is reused) and checks the two SHA256SUMS are identical, and what the archives hold. The
# other release tests read OUT/dist.
source "$(dirname "$0")/lib.sh"
version=$1
out=$2
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
start=$(date +%s)
NEON_DIST_DIR="$out/dist" "$repo/.ci/release" "$version"
echo "first .ci/release: $(($(date +%s) - start))s"
start=$(date +%s)
NEON_DIST_DIR="$out/dist-again" "$repo/.ci/release" "$version"
echo "second .ci/release: $(($(date +%s) - start))s"
check "two runs give identical SHA256SUMS" cmp "$out/dist/SHA256SUMS" "$out/dist-again/SHA256SUMS"
check "SHA256SUMS matches the files" bash -c "cd '$out/dist' && sha256sum --quiet -c SHA256SUMS"
check "SHA256SUMS names both archives, the image and neon.yaml" test "$(cut -d' ' -f3 "$out/dist/SHA256SUMS" | tr '\n' ' ')" = \
  "kubectl-neon_${version}_linux_amd64.tar.gz kubectl-neon_${version}_linux_arm64.tar.gz kubectl-neon_${version}_image.tar neon.yaml "
for arch in amd64 arm64; do
  listing=$(tar -tvzf "$out/dist/kubectl-neon_${version}_linux_${arch}.tar.gz" | awk '{print $1, $2, $6}' | tr '\n' ';')
  check "$arch archive: kubectl-neon, kubectl_complete-neon, LICENSE, owned by 0/0, executables +x" test "$listing" = \
    "-rwxr-xr-x 0/0 kubectl-neon;-rwxr-xr-x 0/0 kubectl_complete-neon;-rw-r--r-- 0/0 LICENSE;"
done
check "neon.yaml has no placeholder left" bash -c "! grep -q KUBECTL_NEON_ '$out/dist/neon.yaml'"
finish
