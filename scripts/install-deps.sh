#!/usr/bin/env bash
# Installs what Lachan needs to build and test on Debian 12 (bookworm), skipping what is there.
# Usage: scripts/install-deps.sh [--fuzz] [--browser]
#   --browser: Debian's chromium too, for the console's browser tests (tests/browser/); never a
#              browser downloaded by a test tool.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config git
  libsimdjson-dev libvectorscan-dev libre2-dev libyaml-cpp-dev libevtx-dev
  libzstd-dev zlib1g-dev libcli11-dev libfmt-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libsqlite3-dev libssl-dev
  libargon2-dev libtomlplusplus-dev libyara-dev libvmime-dev libarchive-dev curl
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-aiosmtpd python3-cryptography openssl gzip zstd
)
for arg in "$@"; do
  case "$arg" in
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    --browser) packages+=(chromium) ;;
    *) echo "install-deps: unknown option $arg (--fuzz, --browser)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: everything is installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
