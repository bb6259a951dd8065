#!/usr/bin/env bash
# The tandem CLI across host processes: every command below is a new host
# process; the remote keeps running between them (detach/attach).
#   cli_lifecycle_test.sh <tandem> <demo.elf> <faulty.elf>
set -u
TANDEM=$1 DEMO=$2 FAULTY=$3
DIR=$(mktemp -d)
NAME="cli-$$"
T=("$TANDEM" -n "$NAME" --runtime-dir "$DIR")
fail=0
cleanup() { "${T[@]}" stop >/dev/null 2>&1; rm -rf "$DIR"; }
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

# Argument handling (docs/cli.md): usage errors exit 2 and say what is wrong.
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
check_exit "an unknown command is named, exit 2" 2 "unknown command 'frobnicate'" "$TANDEM" frobnicate
check_exit "a bad option value exits 2" 2 "-w" "$TANDEM" send rpmsg-tty hi -w -5
check_exit "a missing argument exits 2" 2 "firmware" "$TANDEM" start
check_exit "--version" 0 "^tandem [0-9]+\\.[0-9]+\\.[0-9]+" "$TANDEM" --version
check "info shows the resource table" "vdev +id 7 \(rpmsg\)" "$TANDEM" info "$DEMO"
check_fails "info refuses a file that is not an ELF" "ELF" "$TANDEM" info /etc/hostname
check_fails "a bad instance name is refused" "name" "$TANDEM" -n "bad/name" status
check_fails "a payload larger than the MTU is refused" "size" "$TANDEM" ping -s 497
check "status before start" "offline" "${T[@]}" status
check_fails "stop without a remote" "no remote is running" "${T[@]}" stop
check "start leaves the remote running" "running" "${T[@]}" start "$DEMO"
check "status sees it" "running \(core pid [0-9]+" "${T[@]}" status
check "echo from a new host" "^hello tandem$" "${T[@]}" echo hello tandem
# One host process at a time (platform/linux instance_lock.h): a second start
# of a running name must not boot a second core and orphan the first, and a
# command while another host process drives the remote is refused, naming it.
check_fails "a second start of a running name is refused" "already running" "${T[@]}" start "$DEMO"
mkfifo "$DIR/tty-in"
"${T[@]}" tty <"$DIR/tty-in" >/dev/null 2>&1 &
holder=$!
exec 3>"$DIR/tty-in"  # the tty runs until this closes
for _ in $(seq 100); do  # until it holds the instance (10 s at most)
  [[ "$(cat "$DIR/$NAME.lock" 2>/dev/null)" == "$holder" ]] && break
  sleep 0.1
done
check_fails "echo while another host drives it is refused" "driven by process $holder" "${T[@]}" echo busy
check_fails "stop while another host drives it refuses, kills nothing" "driven by process" "${T[@]}" stop
exec 3>&-  # end of input: the tty detaches and exits
wait "$holder"
check "echo once that host is gone" "^after the other host$" "${T[@]}" echo after the other host
check "ping" "5 received, 0 lost" "${T[@]}" ping -c 5
check "client sample" "incoming msg 10 \(src: 0x[0-9a-f]+\).*goodbye!" "${T[@]}" sample -c 10
check "client sample runs 100 messages by default" "incoming msg 100 \(src: 0x[0-9a-f]+\).*goodbye!" "${T[@]}" sample
check "tty channel" "TTY 0x[0-9a-f]{4}: Hello Zephyr" "${T[@]}" send rpmsg-tty "Hello Zephyr" -w 500
check "tty lines from stdin" "TTY 0x[0-9a-f]{4}: line two" bash -c "printf 'line one\nline two\n' | ${T[*]} tty"
check "trace shows the remote's log" "." "${T[@]}" trace
check "coredump" "wrote" "${T[@]}" coredump "$DIR/core"
if [[ "$(head -c 4 "$DIR/core" | od -An -c | tr -d ' ')" != '177ELF' ]]; then echo "FAIL: core is not an ELF"; fail=1; fi
check "stop with the shutdown handshake" "shutdown acknowledged" "${T[@]}" stop
check "status after stop" "offline" "${T[@]}" status
check_fails "a start of a bad firmware fails clearly" "ELF" "${T[@]}" start /etc/hostname
out=$("${T[@]}" start /etc/hostname 2>&1)
if [[ "$out" =~ (^|$'\n')"tandem start: "($'\n'|$) ]]; then echo "FAIL: an empty detail line before the error"; fail=1; else echo "ok: no empty detail line"; fi
check "status after a failed start" "offline" "${T[@]}" status

# Text the remote writes is shown, never executed by the terminal: an escape
# sequence in the trace comes out as visible \x1b, and no raw ESC byte.
check "start the faulty firmware" "running" "${T[@]}" start "$FAULTY"
check "a hostile remote logs an escape sequence" "ok log" "${T[@]}" send tandem-fault $'log \e[2J\e]0;pwned\a' -w 2000
out=$("${T[@]}" trace 2>&1)
if [[ $out == *$'\e'* || $out == *$'\a'* || $out != *'\x1b[2J\x1b]0;pwned\x07'* ]]; then
  echo "FAIL: trace passes the remote's escape sequences to the terminal"; echo "$out" | tail -n 3 | od -c | head; fail=1
else
  echo "ok: trace shows the remote's escape sequences as text"
fi
check "stop the faulty firmware" "offline|shutdown" "${T[@]}" stop

# Stopping always ends the core (issue #10 item 5): with the loaded resource
# table corrupted after boot, every attach fails to parse it; `stop` must
# still end the core (by its state file), remove the state file, say that it
# forced the stop and why, and exit with 3.
check "start for the corruption test" "running" "${T[@]}" start "$DEMO"
STATE="$DIR/$NAME.state"
pid=$(awk '$1 == "pid" {print $2}' "$STATE")
rsc_da=$(awk '$1 == "rsc_table" {print $2}' "$STATE")
# The region holding the table, and the table's offset in it.
fd="" off=""
while read -r _ rfd rda rsize _; do
  if (( rsc_da >= rda && rsc_da < rda + rsize )); then fd=$rfd off=$((rsc_da - rda)); fi
done < <(grep '^region ' "$STATE")
if [[ -z "$pid" || -z "$fd" || -z "$off" ]]; then
  echo "FAIL: cannot find the loaded table in the state file"; cat "$STATE"; fail=1
else
  # Version 0xffffffff: no parser accepts it.
  printf '\xff\xff\xff\xff' | dd of="/proc/$pid/fd/$fd" bs=1 seek="$off" conv=notrunc status=none
  out=$("${T[@]}" stop 2>&1); rc=$?
  forced_re="stopped \(forced: core pid $pid killed"
  if [[ $rc -ne 3 || ! $out =~ $forced_re || ! $out =~ "cannot stop $NAME gracefully" ]]; then
    echo "FAIL: stop of a remote with a corrupt table (rc=$rc)"; echo "$out" | sed 's/^/    /'; fail=1
  else
    echo "ok: stop forces a remote with a corrupt resource table (rc=3)"
  fi
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then echo "FAIL: core pid $pid still running after stop"; fail=1; kill -9 "$pid"
  else echo "ok: the core is gone"; fi
  if [[ -e "$STATE" ]]; then echo "FAIL: state file left behind"; fail=1; else echo "ok: state file removed"; fi
  check "status after a forced stop" "offline" "${T[@]}" status
fi

if [[ $fail -ne 0 ]]; then echo "cli_lifecycle: FAILED"; exit 1; fi
echo "cli_lifecycle: all passed"
