#!/usr/bin/env bash
# Installs everything Tandem needs on Debian 12 (bookworm). Idempotent: when
# every package is already installed it does nothing (no apt-get update), so
# the other scripts call it every time.
#
#   TANDEM_SKIP_APT=1 scripts/setup.sh   # skip the apt step entirely
#
# Runs as root, or through sudo when not root and sudo exists.
set -euo pipefail

PACKAGES=(
  # host toolchain and build
  build-essential cmake ninja-build g++ python3
  # clang for the fuzz preset (libFuzzer and sanitizer runtimes), formatting, lint
  clang clang-format clang-tidy libclang-rt-14-dev lld llvm
  # test, benchmark and CLI libraries
  libgtest-dev libgmock-dev googletest libbenchmark-dev libcli11-dev
  # Linux uapi headers (virtio_ring.h, rpmsg.h) used by the platform and tests
  linux-libc-dev
  # Cortex-M cross build of the core
  gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib binutils-arm-none-eabi
)

if [[ "${TANDEM_SKIP_APT:-0}" == "1" ]]; then
  echo "setup: TANDEM_SKIP_APT=1, not installing packages"
  exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: this script needs Debian's apt/dpkg (Debian 12); install these yourself:" >&2
  echo "  ${PACKAGES[*]}" >&2
  exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "setup: not root and no sudo; run as root or install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update
"${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
echo "setup: done"
