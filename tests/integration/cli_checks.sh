# Sourced by the CLI test scripts (cli_lifecycle, cli_buffers, qemu_cli):
# a private runtime directory DIR, the command array T (tandem -n NAME
# --runtime-dir DIR), cleanup on exit (stop the remote, stop the daemon),
# and the check helpers, which set fail=1 on a failure.
#   source cli_checks.sh <tandem> <name prefix>
DIR=$(mktemp -d)
NAME="$2-$$"
T=("$1" -n "$NAME" --runtime-dir "$DIR")
fail=0
cleanup() {
  "${T[@]}" stop >/dev/null 2>&1
  "${T[@]}" daemon stop >/dev/null 2>&1
  [[ -f "$DIR/tandemd.pid" ]] && kill "$(cat "$DIR/tandemd.pid")" 2>/dev/null
  rm -rf "$DIR"
}
trap cleanup EXIT

check() {  # check <description> <expected regex> <command...>
  local what=$1 want=$2; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [[ $rc -ne 0 || ! $out =~ $want ]]; then
    echo "FAIL: $what (rc=$rc)"; echo "$out" | sed 's/^/    /'; fail=1
  else
    echo "ok: $what"
  fi
}
check_fails() {  # check_fails <description> <expected regex in stderr> <command...>
  local what=$1 want=$2; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [[ $rc -eq 0 || ! $out =~ $want ]]; then
    echo "FAIL: $what should fail (rc=$rc)"; echo "$out" | sed 's/^/    /'; fail=1
  else
    echo "ok: $what"
  fi
}
check_exit() {  # check_exit <description> <expected rc> <expected regex> <command...>
  local what=$1 want_rc=$2 want=$3; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [[ $rc -ne $want_rc || ! $out =~ $want ]]; then
    echo "FAIL: $what (rc=$rc, want $want_rc)"; echo "$out" | sed 's/^/    /'; fail=1
  else
    echo "ok: $what"
  fi
}
