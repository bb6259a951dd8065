#!/usr/bin/env bash
# install_test.sh <build dir> <consumer source dir> <c++ compiler> [<c consumer dir> <c compiler>]
# Installs the build into a temporary prefix and checks what a user gets:
#  1. find_package(Tandem) + Tandem::rpmsg / Tandem::host: the consumer
#     builds, boots the installed demo image with the installed launcher and
#     echoes a message;
#  2. pkg-config tandem: the same program built with one compiler line;
#  3. the installed CLI (prefix/bin/tandem) finds its launcher next to
#     itself: start, ping, stop;
#  4. a C program (c_consumer) over the installed C API (tandem/c/host.h),
#     built with find_package(Tandem) + Tandem::c in a C-only project and
#     with pkg-config tandem-c, boots the installed demo image and echoes.
set -euo pipefail
build=$1 consumer=$2 cxx=$3 c_consumer=${4:-} cc=${5:-cc}
work=$(mktemp -d)
trap 'TANDEM_RUNTIME_DIR="$work/run3" "$work/prefix/bin/tandem" -n install-cli stop >/dev/null 2>&1 || true
      TANDEM_RUNTIME_DIR="$work/run3" "$work/prefix/bin/tandem" daemon stop >/dev/null 2>&1 || true
      rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >"$work/install.log"
for f in include/tandem/rpmsg/wire.h include/tandem/host/session.h lib/libtandem_core.a \
         include/tandem/c/rpmsg.h include/tandem/c/openamp.h include/tandem/c/rpmsg_service.h \
         include/tandem/c/host.h lib/pkgconfig/tandem-c.pc \
         lib/cmake/Tandem/TandemConfig.cmake lib/pkgconfig/tandem.pc bin/tandem bin/tandemd \
         include/tandem/client/client.h lib/libtandem_client.a lib/systemd/user/tandemd.service \
         libexec/tandem/tandem-core share/tandem/firmware/demo.elf; do
  [[ -e "$prefix/$f" ]] || { echo "install: $f missing" >&2; exit 1; }
done

echo "--- find_package(Tandem)"
cmake -S "$consumer" -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_CXX_COMPILER="$cxx" >"$work/configure.log"
cmake --build "$work/consumer" >"$work/build.log" || { cat "$work/build.log"; exit 1; }
"$work/consumer/tandem_consumer" "$prefix/libexec/tandem/tandem-core" \
    "$prefix/share/tandem/firmware/demo.elf" "$work/run1"

echo "--- pkg-config tandem"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
# shellcheck disable=SC2046
"$cxx" -o "$work/pc_consumer" "$consumer/main.cc" $(pkg-config --cflags --libs tandem)
launcher=$(pkg-config --variable=launcher tandem)
firmware=$(pkg-config --variable=firmwaredir tandem)/demo.elf
"$work/pc_consumer" "$launcher" "$firmware" "$work/run2"

if [[ -n "$c_consumer" ]]; then
  echo "--- find_package(Tandem) + Tandem::c (C only)"
  cmake -S "$c_consumer" -B "$work/c_consumer" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_C_COMPILER="$cc" >"$work/c_configure.log" || { cat "$work/c_configure.log"; exit 1; }
  cmake --build "$work/c_consumer" >"$work/c_build.log" || { cat "$work/c_build.log"; exit 1; }
  "$work/c_consumer/tandem_c_consumer" "$launcher" "$firmware" "$work/run4"

  echo "--- pkg-config tandem-c"
  # shellcheck disable=SC2046
  "$cc" -std=c99 -Wall -Wextra -Werror -o "$work/pc_c_consumer" "$c_consumer/main.c" \
        $(pkg-config --cflags --libs tandem-c)
  "$work/pc_c_consumer" "$(pkg-config --variable=launcher tandem-c)" \
      "$(pkg-config --variable=firmwaredir tandem-c)/demo.elf" "$work/run5"
fi

echo "--- installed CLI"
export TANDEM_RUNTIME_DIR=$work/run3
cli=$prefix/bin/tandem
# On failure: what the remote printed and what the CLI knows of it.
diagnose() {
  echo "--- console" >&2; cat "$TANDEM_RUNTIME_DIR/install-cli.console" >&2 || true
  echo "--- tandemd" >&2; cat "$TANDEM_RUNTIME_DIR/tandemd.log" >&2 || true
  "$cli" -n install-cli status >&2 || true
  exit 1
}
"$cli" -n install-cli start "$prefix/share/tandem/firmware/demo.elf" ||
  diagnose
"$cli" -n install-cli ping -c 3 || diagnose
"$cli" -n install-cli stop || diagnose
echo "install_consumer: ok"
