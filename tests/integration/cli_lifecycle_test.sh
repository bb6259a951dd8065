#!/usr/bin/env bash
# The tandem CLI and tandemd: every command below is a new client process of
# the one daemon that owns the remote (started by the first command); the
# remote keeps running between commands.
#   cli_lifecycle_test.sh <tandem> <demo.elf> <faulty.elf>
set -u
TANDEM=$1 DEMO=$2 FAULTY=$3
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh" "$TANDEM" cli

# Argument handling (docs/cli.md): usage errors exit 2 and say what is wrong.
check_exit "an unknown command is named, exit 2" 2 "unknown command 'frobnicate'" "$TANDEM" frobnicate
check_exit "a bad option value exits 2" 2 "-w" "$TANDEM" send rpmsg-tty hi -w -5
check_exit "a missing argument exits 2" 2 "channel" "$TANDEM" send
check_exit "--version" 0 "^tandem [0-9]+\\.[0-9]+\\.[0-9]+" "$TANDEM" --version
check "info shows the resource table" "vdev +id 7 \(rpmsg\)" "$TANDEM" info "$DEMO"
check_fails "info refuses a file that is not an ELF" "ELF" "$TANDEM" info /etc/hostname
check_fails "a bad instance name is refused" "name" "$TANDEM" -n "bad/name" status
check_exit "a payload beyond any buffer size exits 2" 2 "size" "$TANDEM" ping -s 65521
check "status before start" "offline" "${T[@]}" status
check_fails "stop without a remote" "is not running" "${T[@]}" stop
check "start leaves the remote running" "running" "${T[@]}" start "$DEMO"
check "status sees it" "running \(core pid [0-9]+" "${T[@]}" status
check "a priority event comes back from the demo" "answered 0x00abcd" "${T[@]}" event 0xabcd
check "event round trips are timed" "200 events sent, 200 answered; rtt" "${T[@]}" event 7 -c 200
check "an event without waiting" "sent 1 time" "${T[@]}" event 1 -w 0
check_exit "an event value above 24 bits exits 2" 2 "not in range" "${T[@]}" event 0x1000000
# The limit is the channel's MTU (docs/buffers.md): 496 with the demo's 512-byte buffers.
check_fails "a payload larger than the MTU is refused" "larger than the MTU \(496" "${T[@]}" ping -s 497
check "a payload of exactly the MTU" "1 received, 0 lost" "${T[@]}" ping -c 1 -s 496
check "echo from a new host" "^hello tandem$" "${T[@]}" echo hello tandem
# One owner, many clients: a second start of a running name is refused; a
# tty session and other commands run side by side without harm.
check_fails "a second start of a running name is refused" "running, not offline" "${T[@]}" start "$DEMO"
mkfifo "$DIR/tty-in"
"${T[@]}" tty <"$DIR/tty-in" >"$DIR/tty-out" 2>&1 &
tty_pid=$!
exec 3>"$DIR/tty-in"  # the tty runs until this closes
echo "first line" >&3
check "echo while a tty session is open" "^beside the tty$" "${T[@]}" echo beside the tty
"${T[@]}" ping -c 300 >"$DIR/ping1" 2>&1 & p1=$!
"${T[@]}" ping -c 200 -s 100 >"$DIR/ping2" 2>&1 & p2=$!
for i in $(seq 10); do "${T[@]}" echo "concurrent $i" >"$DIR/echo$i" 2>&1 & done
wait $p1; r1=$?; wait $p2; r2=$?
if [[ $r1 -ne 0 || $r2 -ne 0 ]] || ! grep -q "300 received, 0 lost" "$DIR/ping1" || ! grep -q "200 received, 0 lost" "$DIR/ping2"; then
  echo "FAIL: two pings at once lost replies"; cat "$DIR/ping1" "$DIR/ping2" | tail -5; fail=1
else echo "ok: two pings at once, nothing lost"; fi
wait_all_ok=1
for i in $(seq 10); do
  for _ in $(seq 50); do [[ -s "$DIR/echo$i" ]] && break; sleep 0.1; done
  [[ "$(cat "$DIR/echo$i")" == "concurrent $i" ]] || { wait_all_ok=0; echo "echo $i got: $(cat "$DIR/echo$i")"; }
done
if [[ $wait_all_ok -eq 1 ]]; then echo "ok: ten concurrent echoes each got their own reply"; else echo "FAIL: concurrent echoes mixed up"; fail=1; fi
echo "second line" >&3
exec 3>&-  # end of input: the tty exits
wait "$tty_pid"
if grep -q "TTY 0x[0-9a-f]*: first line" "$DIR/tty-out" && grep -q "TTY 0x[0-9a-f]*: second line" "$DIR/tty-out"; then
  echo "ok: the tty session kept working beside the others"
else
  echo "FAIL: tty session"; cat "$DIR/tty-out"; fail=1
fi
check "echo after them" "^after the others$" "${T[@]}" echo after the others
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
# table corrupted after boot, `stop` must still end the core and remove its
# state file.
check "start for the corruption test" "running" "${T[@]}" start "$DEMO"
STATE="$DIR/$NAME.state"
pid=$(awk '$1 == "pid" {print $2}' "$STATE")
rsc_da=$(awk '$1 == "rsc_table" {print $2}' "$STATE")
fd="" off=""
while read -r _ rfd rda rsize _; do
  if (( rsc_da >= rda && rsc_da < rda + rsize )); then fd=$rfd off=$((rsc_da - rda)); fi
done < <(grep '^region ' "$STATE")
if [[ -z "$pid" || -z "$fd" || -z "$off" ]]; then
  echo "FAIL: cannot find the loaded table in the state file"; cat "$STATE"; fail=1
else
  printf '\xff\xff\xff\xff' | dd of="/proc/$pid/fd/$fd" bs=1 seek="$off" conv=notrunc status=none
  check "stop a remote whose table was corrupted" "stopped" "${T[@]}" stop
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then echo "FAIL: core pid $pid still running after stop"; fail=1; kill -9 "$pid"
  else echo "ok: the core is gone"; fi
  if [[ -e "$STATE" ]]; then echo "FAIL: state file left behind"; fail=1; else echo "ok: state file removed"; fi
  check "status after the stop" "offline" "${T[@]}" status
fi

# The daemon: lists, channels, log, crash and recovery with the post-mortem
# kept, restart with re-attach.
check "list" "$NAME +offline" "${T[@]}" list
check "start again" "running" "${T[@]}" start "$DEMO"
check "channels" "rpmsg-tty +addr 0x[0-9a-f]+" bash -c "sleep 0.3; ${T[*]} channels"
check "list --json" '"state": "running"' "${T[@]}" --json list
check "state NAME shows the state" "running" "${T[@]}" state "$NAME"
check "firmware NAME shows the file" "demo.elf" "${T[@]}" firmware "$NAME"
check "recovery NAME" "^enabled$" "${T[@]}" recovery "$NAME"
check "crash NAME: injected, recovered" "running" bash -c "${T[*]} crash $NAME && sleep 1 && ${T[*]} status"
check "status names the crash" "crashes +1, last: fault: crash injected" "${T[@]}" status
check "log has the crash and the recovery" "crash detected in $NAME.*recovered" bash -c "${T[*]} log | tr '\n' ' '"
check "postmortem after the crash" "crash 1 at .*: fault: crash injected.*core file +kept" bash -c "${T[*]} postmortem | tr '\n' ' '"
check "coredump --postmortem" "the core kept at the last crash" "${T[@]}" coredump --postmortem "$NAME" "$DIR/pm.core"
if [[ "$(head -c 5 "$DIR/pm.core" | od -An -tx1 | tr -d ' ')" != '7f454c4602' ]]; then echo "FAIL: the post-mortem core is not an ELF64 core"; fail=1; else echo "ok: the post-mortem core is ELF64"; fi
check "rsc shows the table as loaded" "vdev \(type 3.*vring1: da 0x[0-9a-f]+ align 4096 num 256" bash -c "${T[*]} rsc | tr '\n' ' '"
check "rings shows the live vrings" "vring0 remote->host.*host: +avail idx" bash -c "${T[*]} rings | tr '\n' ' '"
check "rings --json" '"vrings"' "${T[@]}" --json rings
check "postmortem NAME disabled" "coredump disabled" "${T[@]}" postmortem "$NAME" disabled
check "postmortem NAME enabled" "coredump enabled" "${T[@]}" postmortem "$NAME" enabled
check "echo after the recovery" "^still here$" "${T[@]}" echo still here
check "daemon stop detaches: the remote keeps running" "stopped" "${T[@]}" daemon stop
check "a new daemon re-attaches" "attached \(core pid" "${T[@]}" status
check "echo through the new daemon" "^again$" "${T[@]}" echo again
check "state NAME stop" "stopped" "${T[@]}" state "$NAME" stop
check "daemon status" "tandemd: running \(pid [0-9]+" "${T[@]}" daemon status
check "status --json" '"state": "offline"' "${T[@]}" --json status
# Recovery disabled: a crash leaves the remote crashed, with its memory still
# readable; `recovery recover` brings it back.
check "start for the no-recovery test" "running" "${T[@]}" start "$DEMO"
check "recovery NAME disabled" "^disabled$" "${T[@]}" recovery "$NAME" disabled
check "a crash with recovery disabled leaves it crashed" "crashed" bash -c "${T[*]} crash && sleep 0.5 && ${T[*]} status"
check "trace of the crashed remote" "." "${T[@]}" trace
check "coredump of the crashed remote" "wrote" "${T[@]}" coredump "$NAME" "$DIR/crashed.core"
check "recovery NAME recover" "running" "${T[@]}" recovery "$NAME" recover
check "echo after recover" "^recovered$" "${T[@]}" echo recovered
check "recovery NAME enabled" "^enabled$" "${T[@]}" recovery "$NAME" enabled
# trace -f and log -f follow until Ctrl-C.
"${T[@]}" trace -f >"$DIR/trace-f" 2>&1 & tf=$!
"${T[@]}" log -f >"$DIR/log-f" 2>&1 & lf=$!
sleep 0.5
"${T[@]}" sample -c 3 >/dev/null 2>&1; sleep 0.6
"${T[@]}" crash >/dev/null 2>&1
sleep 1
kill -INT $tf $lf; wait $tf; rt=$?; wait $lf; rl=$?
if [[ $rt -eq 0 ]] && grep -q "incoming msg 3: hello world" "$DIR/trace-f"; then echo "ok: trace -f shows what is added"
else echo "FAIL: trace -f (rc=$rt)"; tail -3 "$DIR/trace-f"; fail=1; fi
if [[ $rl -eq 0 ]] && grep -q "crash detected in $NAME" "$DIR/log-f"; then echo "ok: log -f shows the crash as it happens"
else echo "FAIL: log -f (rc=$rl)"; tail -3 "$DIR/log-f"; fail=1; fi
check "state NAME detach leaves it running" "detached" bash -c "${T[*]} state $NAME detach && ${T[*]} status"
check "stop after detach" "offline" bash -c "${T[*]} daemon stop >/dev/null; ${T[*]} stop; ${T[*]} status"
# run: supervises until Ctrl-C, then stops.
( sleep 2; pkill -INT -f "^$TANDEM -n run-$$ " ) &
check "run supervises until Ctrl-C and stops" "is now up.*stopped \(shutdown acknowledged\)" bash -c "${T[*]/$NAME/run-$$} run $DEMO | tr '\n' ' '"
check "demo" "goodbye!.*TTY 0x[0-9a-f]+: Goodbye.*stopped \(shutdown acknowledged\)" bash -c "${T[*]/$NAME/demo-$$} demo $DEMO | tr '\n' ' '"
check "bench (a short run; its own remote, no daemon)" "echo 16 B blocking \([0-9.]+x futex\) +[0-9.]+ +[0-9.]+" "${T[@]}" bench "$DEMO" -c 200 -m blocking --no-streaming
check_fails "unknown name characters are refused" "bad remote name" "${T[@]}" status "bad/name"
check_fails "a channel that is not announced" "no channel nosuch" "${T[@]}" send nosuch hi -w 0

if [[ $fail -ne 0 ]]; then echo "cli_lifecycle: FAILED"; exit 1; fi
echo "cli_lifecycle: all passed"
