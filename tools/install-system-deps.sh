#!/usr/bin/env bash
# Installs the Debian packages that the build and the tests use, only those
# missing, so `make test` works on a fresh machine and costs nothing on a
# prepared one. Needs root (CI runs as root); otherwise prints what is missing.
set -euo pipefail
# package -> a file it provides, to tell whether it is there without dpkg locks
declare -A probe=(
  [libpcap-dev]=/usr/include/pcap/pcap.h
  [redis-server]=/usr/bin/redis-server
  [redis-tools]=/usr/bin/redis-cli
  [tshark]=/usr/bin/tshark
  [nfdump]=/usr/bin/nfdump
  [libndpi-bin]=/usr/bin/ndpiReader
  [python3-redis]=/usr/lib/python3/dist-packages/redis/__init__.py
  [tcpreplay]=/usr/bin/tcpreplay
  [openssl]=/usr/bin/openssl
  [bind9-dnsutils]=/usr/bin/dig
  [freeradius-utils]=/usr/bin/radclient
)
missing=()
for pkg in "${!probe[@]}"; do
  [ -e "${probe[$pkg]}" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages (install as root): ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "installing system packages: ${missing[*]}"
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
