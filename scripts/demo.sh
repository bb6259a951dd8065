#!/usr/bin/env bash
# The demo command: installs what is missing, builds tandem_demo with the
# default preset and runs it. Arguments are passed to the demo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh
cmake --preset default
# tandem_demo comes from examples/CMakeLists.txt; say so plainly if this tree
# does not have it yet instead of failing with a generic ninja error.
if ! ninja -C build/default -t query tandem_demo >/dev/null 2>&1; then
  echo "demo: this tree has no tandem_demo target yet (examples/CMakeLists.txt does not define it)." >&2
  exit 1
fi
cmake --build --preset default -j 2 --target tandem_demo
exec build/default/examples/tandem_demo "$@"
