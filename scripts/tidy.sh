#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy) over the project's sources in the default
# build's compilation database. Not a CI gate yet (README, Development).
#   scripts/tidy.sh              every source file
#   scripts/tidy.sh src/virtio   only files under the given paths
# Exits non-zero if clang-tidy reports anything.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CLANG_TIDY=${CLANG_TIDY:-clang-tidy}
DB=build/default/compile_commands.json
if [[ ! -f $DB ]]; then
  cmake --preset default >/dev/null
fi

# Sources of ours from the compilation database (generated files and
# third-party code are not in these directories).
mapfile -d '' files < <(python3 - "$DB" "$PWD" "$@" <<'PY'
import json, os, sys
db, root, prefixes = sys.argv[1], sys.argv[2], sys.argv[3:]
ours = ("include/", "src/", "platform/", "firmware/", "tools/", "tests/", "bench/", "examples/")
seen = set()
for entry in json.load(open(db)):
    path = os.path.relpath(os.path.join(entry["directory"], entry["file"]), root)
    if path in seen or not path.startswith(ours) or not os.path.exists(path):
        continue
    if prefixes and not any(path.startswith(p.rstrip("/")) for p in prefixes):
        continue
    seen.add(path)
    sys.stdout.write(path + "\0")
PY
)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "tidy: no files"
  exit 0
fi
echo "tidy: ${#files[@]} files"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
printf '%s\0' "${files[@]}" | xargs -0 -P 2 -n 4 "$CLANG_TIDY" -p build/default --quiet >"$log" 2>/dev/null || true
if grep -q "warning:\|error:" "$log"; then
  cat "$log"
  echo "tidy: $(grep -c 'warning:\|error:' "$log") findings" >&2
  exit 1
fi
echo "tidy: clean"
