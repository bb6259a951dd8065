#!/usr/bin/env bash
# Messages larger than a buffer through the CLI and tandemd
# (docs/large_messages.md): the demo firmware negotiates Tandem's
# large-message bit; `tandem echo --large -s N` sends N bytes to
# tandem-large-echo and checks them on their way back; `tty --large` sends
# a line whole; demo_2k does not negotiate: the same command is refused
# with "larger than the MTU", never fragmented.
#   cli_large_test.sh <tandem> <demo.elf> <demo_2k.elf>
set -u
TANDEM=$1 DEMO=$2 DEMO2K=$3
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh" "$TANDEM" large

check "start the demo" "running" "${T[@]}" start "$DEMO"
check "600 bytes echoed whole" "600 bytes back, content matches" "${T[@]}" echo --large -s 600
check "4000 bytes echoed whole" "4000 bytes to tandem-large-echo \(mtu 496, large messages\): 4000 bytes back, content matches" \
  "${T[@]}" echo --large -s 4000
check "the service's maximum, 16 KiB" "16384 bytes back, content matches" \
  "${T[@]}" echo --large -s 16384
check "--json" '"match": true' "${T[@]}" --json echo --large -s 5000
check_fails "without --large the MTU still holds" "larger than the MTU \(496" \
  "${T[@]}" echo -s 600
LINE=$(printf 'y%.0s' $(seq 3000))
check "tty --large sends a 3000-byte line whole" "^ *3000$" \
  bash -c "echo $LINE | ${T[*]} tty tandem-large-echo --large | head -n 1 | tr -cd y | wc -c"
check "stop" "stopped" "${T[@]}" stop
check "start demo_2k (no large-message bit)" "running" "${T[@]}" start "$DEMO2K"
check_fails "a non-negotiating link refuses, naming the MTU" \
  "larger than the MTU \(2032 bytes\): the link did not negotiate large messages" \
  "${T[@]}" echo --large -s 4000
check "up to its MTU it is a plain echo" "2032 bytes back, content matches" \
  "${T[@]}" echo --large -s 2032
check "stop" "stopped" "${T[@]}" stop
exit $fail
