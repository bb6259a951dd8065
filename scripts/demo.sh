#!/usr/bin/env bash
# The demo command: installs what is missing, builds the CLI, the daemon and
# the demo firmware with the default preset, and runs `tandem demo`: the
# Linux <-> Zephyr client-sample scenario end to end through tandemd (boot,
# the 100-message exchange, a chat on rpmsg-tty, the remote's trace, stop).
# It uses a runtime directory of its own, so it never touches your remotes,
# and stops the daemon it started. Arguments go to `tandem demo` (a firmware).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh
cmake --preset default
cmake --build --preset default -j 2 --target tandem tandemd fw_demo tandem-core
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/tandem-demo-XXXXXX")
tandem=build/default/tools/tandem/tandem
cleanup() {
  "$tandem" --runtime-dir "$run_dir" daemon stop >/dev/null 2>&1 || true
  rm -rf "$run_dir"
}
trap cleanup EXIT
"$tandem" --runtime-dir "$run_dir" -n rproc0 demo "$@"
