#!/usr/bin/env bash
# Fetches Debian's clickhouse-server (bookworm: 18.16.1) into a per-user directory WITHOUT root:
# downloads clickhouse-server, clickhouse-common and every recursive dependency that is not already
# installed, unpacks them with `dpkg -x`, and checks with ldd that the server binary resolves all its
# libraries from the system plus the unpacked tree.
#
# Usage: fetch-clickhouse.sh <cache-dir>
# Result: <cache-dir>/usr/sbin/clickhouse-server, run with
#   LD_LIBRARY_PATH=<cache-dir>/usr/lib/x86_64-linux-gnu:<cache-dir>/lib/x86_64-linux-gnu
# Idempotent: a marker file <cache-dir>/.fetched records a complete fetch.
set -euo pipefail

fail() { echo "fetch-clickhouse: $*" >&2; exit 1; }

[[ $# -eq 1 ]] || fail "usage: $0 <cache-dir>"
cache_dir=$1
marker="$cache_dir/.fetched"
server="$cache_dir/usr/sbin/clickhouse-server"

if [[ -f "$marker" && -x "$server" ]]; then
  echo "fetch-clickhouse: already fetched into $cache_dir"
  exit 0
fi

for tool in apt-get apt-cache dpkg dpkg-query ldd; do
  command -v "$tool" >/dev/null 2>&1 \
    || fail "'$tool' not found; this script needs a Debian/Ubuntu system (or install clickhouse-server yourself and put it on PATH)"
done

arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo "x86_64-linux-gnu")

apt-cache show clickhouse-server >/dev/null 2>&1 \
  || fail "apt does not know the package clickhouse-server; run 'apt-get update' (needs a Debian bookworm or newer package list)"

mkdir -p "$cache_dir"
download_dir=$(mktemp -d "$cache_dir/.download.XXXXXX")
trap 'rm -rf "$download_dir"' EXIT

# Recursive hard dependencies. apt-cache prints virtual packages as <name>; those are provided by real
# packages that appear in the same list, so they are skipped.
mapfile -t candidates < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances clickhouse-server clickhouse-common \
  | grep -v '^ ' | grep -v '^<' | sort -u)

is_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == "installed" ]]
}

to_fetch=()
for pkg in "${candidates[@]}"; do
  if [[ "$pkg" == clickhouse-server || "$pkg" == clickhouse-common ]] || ! is_installed "$pkg"; then
    to_fetch+=("$pkg")
  fi
done

echo "fetch-clickhouse: downloading ${#to_fetch[@]} packages into $cache_dir: ${to_fetch[*]}"
# apt-get download writes into the current directory and needs no root.
# As root, apt would try to drop to the _apt user, who cannot write into a private cache dir.
apt_opts=(-q)
[[ $EUID -eq 0 ]] && apt_opts+=(-o APT::Sandbox::User=root)
(cd "$download_dir" && apt-get download "${apt_opts[@]}" "${to_fetch[@]}") \
  || fail "apt-get download failed (is the Debian mirror reachable? try 'apt-get update')"

shopt -s nullglob
debs=("$download_dir"/*.deb)
[[ ${#debs[@]} -gt 0 ]] || fail "apt-get download produced no .deb files"
for deb in "${debs[@]}"; do
  dpkg -x "$deb" "$cache_dir" || fail "dpkg -x failed for $(basename "$deb")"
done

[[ -x "$server" ]] || fail "$server missing after unpacking (package layout changed?)"

lib_path="$cache_dir/usr/lib/$multiarch:$cache_dir/lib/$multiarch"
missing=$(LD_LIBRARY_PATH="$lib_path" ldd "$server" | grep 'not found' || true)
if [[ -n "$missing" ]]; then
  fail "libraries still missing for $server (LD_LIBRARY_PATH=$lib_path):
$missing"
fi

# 18.16's server has no --version; the package version is what matters.
version=$(dpkg-deb -f "$download_dir"/clickhouse-server_*.deb Version)
printf 'arch=%s\nversion=%s\npackages=%s\n' "$arch" "$version" "${to_fetch[*]}" > "$marker"
echo "fetch-clickhouse: ready: $server ($version)"
