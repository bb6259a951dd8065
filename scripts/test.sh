#!/usr/bin/env bash
# The test command: installs what is missing, builds the default preset and
# runs every test except those labelled `long` (CI runs those separately).
# Extra arguments go to ctest, e.g. `scripts/test.sh -R shm`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh
cmake --preset default
cmake --build --preset default -j 2
ctest --preset default -LE long --output-on-failure -j 2 "$@"
