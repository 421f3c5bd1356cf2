#!/usr/bin/env bash
# tests/release/image.sh DIST: the image archive of .ci/release, read by Debian's skopeo and umoci.
# A multi-arch index of linux/amd64 and linux/arm64; each config runs as 65532, has the
# entrypoint kubectl-neon and the org.opencontainers.image labels; `skopeo copy` takes it whole;
# the amd64 root, unpacked by umoci, holds no shell and runs `kubectl-neon version` and `hook
# serve` (as 65532) in a chroot.
source "$(dirname "$0")/lib.sh"
dist=$1
version=$(dist_version "$dist")
img="oci-archive:$dist/kubectl-neon_${version}_image.tar:$version"
revision=$(git -C "$(dirname "$0")/../.." rev-parse HEAD)

skopeo inspect --raw "$img" >"$work/index.json"
check "the index lists linux/amd64 and linux/arm64" python3 -c '
import json, sys
i = json.load(open(sys.argv[1]))
plats = sorted((m["platform"]["os"], m["platform"]["architecture"]) for m in i["manifests"])
sys.exit(0 if i["mediaType"] == "application/vnd.oci.image.index.v1+json" and plats == [("linux", "amd64"), ("linux", "arm64")] else 1)' \
  "$work/index.json"
for arch in amd64 arm64; do
  skopeo inspect --override-arch "$arch" --config "$img" >"$work/config-$arch.json"
  check "$arch: user 65532, entrypoint kubectl-neon, labels, architecture" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
cfg, labels = c["config"], c["config"]["Labels"]
want = {"org.opencontainers.image.source": "https://github.com/kubectl-neon/kubectl-neon",
        "org.opencontainers.image.version": sys.argv[3], "org.opencontainers.image.revision": sys.argv[4],
        "org.opencontainers.image.licenses": "MIT"}
ok = (cfg["User"] == "65532:65532" and cfg["Entrypoint"] == ["/usr/local/bin/kubectl-neon"]
      and all(labels.get(k) == v for k, v in want.items()) and c["architecture"] == sys.argv[2] and c["os"] == "linux")
sys.exit(0 if ok else 1)' "$work/config-$arch.json" "$arch" "$version" "$revision"
done
check "skopeo copy --all takes both platforms" \
  skopeo copy -q --all "$img" "oci:$work/all:$version"
skopeo copy -q --override-arch amd64 "$img" "oci:$work/layout:amd64"
umoci unpack --image "$work/layout:amd64" "$work/bundle" >/dev/null
rootfs="$work/bundle/rootfs"
check "umoci's runtime config runs kubectl-neon as 65532" python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))["process"]
sys.exit(0 if p["user"]["uid"] == 65532 and p["user"]["gid"] == 65532 and p["args"] == ["/usr/local/bin/kubectl-neon"] else 1)' \
  "$work/bundle/config.json"
files=$(cd "$rootfs" && find . -type f | sort | tr '\n' ' ')
check "the root holds the binary, a CA bundle, passwd, group, nsswitch.conf and the license, nothing else" \
  test "$files" = "./etc/group ./etc/nsswitch.conf ./etc/passwd ./etc/ssl/certs/ca-certificates.crt ./usr/local/bin/kubectl-neon ./usr/share/doc/kubectl-neon/LICENSE "
check "no shell" test ! -e "$rootfs/bin/sh"
check "nonroot is 65532 in passwd and group" grep -q '^nonroot:x:65532:65532:' "$rootfs/etc/passwd"
check "the static binary says static" grep -q "statically linked" <(file -b "$rootfs/usr/local/bin/kubectl-neon")
out=$(env -i "$CHROOT" --userspec=65532:65532 "$rootfs" /usr/local/bin/kubectl-neon version)
check "kubectl-neon version in the image root (as 65532)" test "$out" = "kubectl-neon $version"
start_hook "$rootfs" /usr/local/bin/kubectl-neon 65532:65532
check "hook serve in the image root answers /healthz" test "$(healthz "$hook_port")" = ok
finish
