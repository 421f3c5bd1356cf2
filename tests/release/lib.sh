# Shared by the release tests (sourced). Each test gets a scratch folder ($work) removed on exit,
# with every background process it started ended by its own id.
set -euo pipefail
# Absolute paths: the programs under test run with an empty environment (env -i).
CHROOT=$(command -v chroot)
STRACE=$(command -v strace || true)
QEMU=$(command -v qemu-aarch64-static || true)
work=$(mktemp -d "${TMPDIR:-/tmp}/neon-release-test.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
fails=0
passes=0
ok() { passes=$((passes + 1)); echo "ok - $*"; }
not_ok() { fails=$((fails + 1)); echo "not ok - $*"; }
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}
finish() {
  echo "$passes passed, $fails failed"
  [ "$fails" -eq 0 ]
}

# The version .ci/release wrote into dist/neon.yaml.
dist_version() { sed -n 's/^  version: //p' "$1/neon.yaml"; }

# A CA and a server certificate for DNS:storcon.neon.test (a name the chroot's /etc/hosts alone
# resolves), in $work/tls; a second, unrelated CA in $work/tls/other-ca.pem.
make_tls() {
  local d="$work/tls"
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=neon-test-ca \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=other-ca \
    -keyout "$d/other-ca.key" -out "$d/other-ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=storcon.neon.test \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:storcon.neon.test\n' >"$d/ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
    -extfile "$d/ext" -out "$d/server.pem" 2>/dev/null
}

# Starts the fake storage controller (neon_serve_fakes) behind a TLS proxy; sets $storcon_port
# (plain HTTP) and $tls_port.
start_storcon() {
  local fakes=$1
  mkfifo "$work/fakes.in"
  "$fakes" <"$work/fakes.in" >"$work/fakes.out" &
  pids+=($!)
  exec 7>"$work/fakes.in"  # held open: the fake serves until it closes
  for _ in $(seq 100); do [ -s "$work/fakes.out" ] && break; sleep 0.1; done
  storcon_port=$(sed -n 's|^http://127.0.0.1:||p' "$work/fakes.out")
  python3 "$(dirname "${BASH_SOURCE[0]}")/tls_proxy.py" "$work/tls/server.pem" "$work/tls/server.key" \
    "$storcon_port" >"$work/proxy.out" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$work/proxy.out" ] && break; sleep 0.1; done
  tls_port=$(cat "$work/proxy.out")
}

# GET http://127.0.0.1:PORT/healthz within a few seconds; prints the body.
healthz() {
  python3 - "$1" <<'PY'
import sys, time, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
for _ in range(100):
    try:
        print(opener.open(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=2).read().decode(), end="")
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

# Starts `kubectl-neon hook serve` in the chroot ROOT (binary at EXE inside it, as USER:GROUP) on a
# free port, with a fresh Ed25519 signing key; sets $hook_port and adds the process to $pids.
start_hook() {  # start_hook ROOT EXE [USER:GROUP]
  local root=$1 exe=$2 user=${3:-0:0}
  mkdir -p "$root/hook"
  openssl genpkey -algorithm ed25519 -out "$root/hook/signing.pem" 2>/dev/null
  printf '{"computes":[]}\n' >"$root/hook/computes.json"
  printf 'release-test-compute-token-key\n' >"$root/hook/compute-token-key"
  printf 'release-test-control-plane-token\n' >"$root/hook/control-plane"
  chown -R "$user" "$root/hook"
  hook_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  env -i NEON_HOOK_SIGNING_KEY_FILE=/hook/signing.pem NEON_HOOK_COMPUTE_TOKEN_KEY_FILE=/hook/compute-token-key \
    NEON_HOOK_EXPECTED_TOKEN_FILE=/hook/control-plane "$CHROOT" --userspec="$user" "$root" "$exe" hook serve \
    --computes /hook/computes.json --listen "127.0.0.1:$hook_port" 2>"$work/hook.err" &
  pids+=($!)
}
