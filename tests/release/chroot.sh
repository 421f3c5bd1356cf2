#!/usr/bin/env bash
# tests/release/chroot.sh DIST FAKES: the static linux/amd64 kubectl-neon of .ci/release, alone in
# an empty root (the binary, a CA file, /etc/hosts, /etc/nsswitch.conf and /tmp; no library, no NSS
# module, no shell),
# runs version, init -f -, validate, render, generate --repo (a new repository and a commit, `git
# fsck` clean from the host), status against a loopback HTTPS server whose CA it is given, and
# hook serve answering /healthz. FAKES is neon_serve_fakes (the fake storage controller).
source "$(dirname "$0")/lib.sh"
dist=$1
fakes=$2
version=$(dist_version "$dist")
tar -xzf "$dist/kubectl-neon_${version}_linux_amd64.tar.gz" -C "$work" kubectl-neon
check "file says statically linked" grep -q "statically linked" <(file -b "$work/kubectl-neon")

root="$work/root"
mkdir -p "$root/tmp" "$root/etc"
chmod 1777 "$root/tmp"
cp "$work/kubectl-neon" "$root/kubectl-neon"
make_tls
cp "$work/tls/ca.pem" "$root/ca.pem"
cp "$work/tls/other-ca.pem" "$root/other-ca.pem"
# glibc >= 2.34's static getaddrinfo reads this file itself (no libnss_files.so exists here):
# storcon.neon.test is known to this file only.
printf '127.0.0.1 localhost\n127.0.0.1 storcon.neon.test\n' >"$root/etc/hosts"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"  # as in every distribution (glibc's default asks DNS first)
check "the root holds no library" test -z "$(find "$root" -name '*.so*')"
run() { env -i HOME=/tmp "$@"; }
neon() { run "$CHROOT" "$root" /kubectl-neon "$@"; }

out=$(neon version -o json)
check "version -o json says static, linux/amd64, $version" python3 -c '
import json, sys
j = json.loads(sys.argv[1])
sys.exit(0 if j["static"] is True and j["target"] == "linux/amd64" and j["version"] == sys.argv[2] else 1)' \
  "$out" "$version"

# Start-up is lazy: `version` initialises neither libcurl nor OpenSSL (which would look for its
# openssl.cnf) nor libgit2; it opens no file at all.
env -i "$STRACE" -f -qq -e trace=execve,open,openat -o "$work/version.strace" "$CHROOT" "$root" /kubectl-neon version >/dev/null
check "version opens no file (no library starts)" \
  test -z "$(awk '/execve\("\/kubectl-neon"/ { on = 1; next } on && /open/' "$work/version.strace")"

neon init -f - >"$root/tmp/neon.yaml"
check "init -f - writes the hook image of $version" \
  grep -q "^    hook: ghcr.io/kubectl-neon/kubectl-neon:$version\$" "$root/tmp/neon.yaml"
check "validate" neon validate -f /tmp/neon.yaml
neon render -f /tmp/neon.yaml >"$work/render.yaml"
check "render prints the objects with the hook image" \
  grep -q "image: ghcr.io/kubectl-neon/kubectl-neon:$version" "$work/render.yaml"

check "generate --repo creates a repository and commits" \
  run GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@localhost "$CHROOT" "$root" /kubectl-neon generate \
  -f /tmp/neon.yaml --repo /tmp/repo
check "git fsck (from the host) is clean" git -C "$root/tmp/repo" fsck --full --strict
check "the commit is there" test "$(git -C "$root/tmp/repo" rev-list --count HEAD)" = 1
check "the tree is committed" test -z "$(git -C "$root/tmp/repo" status --porcelain)"

start_storcon "$fakes"
url="https://storcon.neon.test:$tls_port"
status_code() {  # status_code ENV... : the exit code of `status` in the chroot; its output in $work/status.*
  run "$@" "$CHROOT" "$root" /kubectl-neon status --storage-controller "$url" -o json >"$work/status.out" \
    2>"$work/status.err" && echo 0 || echo $?
}
check "status over HTTPS with SSL_CERT_FILE (a name from /etc/hosts)" test "$(status_code SSL_CERT_FILE=/ca.pem)" = 0
check "status shows the fake's tenant" grep -q 0123456789abcdef0123456789abcdef "$work/status.out"
check "status with no CA anywhere fails verification (exit 3)" test "$(status_code)" = 3
check "the error names TLS" grep -qi "tls\|certificate" "$work/status.err"
check "status trusting another CA fails verification (exit 3)" test "$(status_code SSL_CERT_FILE=/other-ca.pem)" = 3
mkdir -p "$root/etc/ssl/certs"
cp "$work/tls/ca.pem" "$root/etc/ssl/certs/ca-certificates.crt"
check "status finds Debian's bundle path without SSL_CERT_FILE" test "$(status_code)" = 0
rm -rf "$root/etc/ssl"
mkdir -p "$root/etc/pki/ca-trust/extracted/pem"
cp "$work/tls/ca.pem" "$root/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"
check "status finds RHEL's bundle path" test "$(status_code)" = 0
rm -rf "$root/etc/pki"
mkdir -p "$root/etc/ssl"
cp "$work/tls/ca.pem" "$root/etc/ssl/cert.pem"
check "status finds Alpine's bundle path" test "$(status_code)" = 0
rm -rf "$root/etc/ssl"
mkdir -p "$root/certs"
cp "$work/tls/ca.pem" "$root/certs/$(openssl x509 -hash -noout -in "$work/tls/ca.pem").0"
check "status finds a hashed SSL_CERT_DIR" test "$(status_code SSL_CERT_DIR=/certs)" = 0

start_hook "$root" /kubectl-neon
check "hook serve answers /healthz" test "$(healthz "$hook_port")" = ok
finish
