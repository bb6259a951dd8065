#!/usr/bin/env bash
# Installs what Tandem needs on Debian 12 (bookworm), by group. Idempotent:
# when every package is already installed it does nothing (no apt-get
# update), so the other scripts call it every time.
#
#   scripts/setup.sh                # "base": what the demo and the test command need
#   scripts/setup.sh clang cortex-m # base plus the named groups
#   scripts/setup.sh all            # every group (.ci/run)
#   TANDEM_SKIP_APT=1 scripts/setup.sh   # skip the apt step entirely
#
# Groups:
#   base      compilers, CMake, Ninja, GoogleTest, Google Benchmark, CLI11, uapi headers
#   clang     clang, its sanitizer and libFuzzer runtimes, clang-format, clang-tidy
#             (the tsan, fuzz and format stages)
#   cortex-m  the arm-none-eabi cross toolchain and QEMU (the cortex-m4 preset and its
#             images run on an emulated MPS2 board)
#   docs      Doxygen (the API reference, target api_docs)
#
# The demo and the test command install only "base": the cross toolchain and
# LLVM are most of the download and neither uses them.
#
# Runs as root, or through sudo when not root and sudo exists.
set -euo pipefail

BASE=(
  build-essential cmake ninja-build g++ python3
  libgtest-dev libgmock-dev googletest libbenchmark-dev libcli11-dev nlohmann-json3-dev
  # tandemd: FUSE file interface (libfuse3) and the fusermount3 helper
  libfuse3-dev fuse3 pkg-config
  # Linux uapi headers (virtio_ring.h, rpmsg.h) used by the platform and tests
  linux-libc-dev
  # tandem bench --plot: latency and scaling pictures
  gnuplot-nox
)
CLANG=(clang clang-format clang-tidy libclang-rt-14-dev lld llvm)
CORTEX_M=(gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib binutils-arm-none-eabi qemu-system-arm)
DOCS=(doxygen)

PACKAGES=("${BASE[@]}")
for group in "$@"; do
  case "$group" in
    base) ;;
    clang) PACKAGES+=("${CLANG[@]}") ;;
    cortex-m) PACKAGES+=("${CORTEX_M[@]}") ;;
    docs) PACKAGES+=("${DOCS[@]}") ;;
    all) PACKAGES+=("${CLANG[@]}" "${CORTEX_M[@]}" "${DOCS[@]}") ;;
    *)
      echo "setup: unknown group '$group' (base, clang, cortex-m, docs, all)" >&2
      exit 2
      ;;
  esac
done

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
