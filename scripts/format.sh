#!/usr/bin/env bash
# Formats every C++ file of the project with clang-format (.clang-format).
#   scripts/format.sh           rewrite files in place
#   scripts/format.sh --check   change nothing; exit non-zero if any file
#                               is not formatted (CI)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode=fix
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  *) echo "usage: scripts/format.sh [--check]" >&2; exit 2 ;;
esac

CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
DIRS=(core host client daemon remote platform firmware testing tools tests bench examples)
# Kept byte for byte: the Zephyr snippet of the reference, compiled as is.
EXCLUDE_RE='^core/capi/zephyr_snippet\.c$'

# Tracked and new (not ignored) files, so build trees and fuzz artifacts are
# never touched; plain find outside a git checkout.
list_files() {
  local existing=()
  for d in "${DIRS[@]}"; do [[ -d "$d" ]] && existing+=("$d"); done
  [[ ${#existing[@]} -eq 0 ]] && return 0
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard -- "${existing[@]}" |
      grep -zE '\.(h|hh|hpp|c|cc|cpp|cxx|inc)$' || true
  else
    find "${existing[@]}" -type f \( -name '*.h' -o -name '*.hh' -o -name '*.hpp' -o -name '*.c' \
      -o -name '*.cc' -o -name '*.cpp' -o -name '*.cxx' -o -name '*.inc' \) -print0
  fi
}

mapfile -d '' files < <(list_files)
# Files deleted in the work tree but still in the index.
existing_files=()
for f in "${files[@]}"; do
  [[ -f "$f" ]] && ! [[ "$f" =~ $EXCLUDE_RE ]] && existing_files+=("$f")
done
if [[ ${#existing_files[@]} -eq 0 ]]; then
  echo "format: no C++ files found"
  exit 0
fi

if [[ $mode == check ]]; then
  unformatted=()
  for f in "${existing_files[@]}"; do
    "$CLANG_FORMAT" --dry-run --Werror "$f" >/dev/null 2>&1 || unformatted+=("$f")
  done
  if [[ ${#unformatted[@]} -eq 0 ]]; then
    echo "format: ${#existing_files[@]} files are formatted"
    exit 0
  fi
  echo "format: ${#unformatted[@]} of ${#existing_files[@]} files need formatting (run scripts/format.sh):" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  # The first violations, so a CI log shows what is wrong.
  "$CLANG_FORMAT" --dry-run --Werror "${unformatted[@]}" 2>&1 | head -n 40 >&2 || true
  exit 1
else
  printf '%s\0' "${existing_files[@]}" | xargs -0 "$CLANG_FORMAT" -i
  echo "format: formatted ${#existing_files[@]} files"
fi
