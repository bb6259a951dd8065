#!/usr/bin/env bash
# Flow control through the CLI and tandemd (docs/flow_control.md): a slow
# reader of tandem-stream loses nothing because the daemon pauses the remote
# while the client's queue is half full; a pause by hand stops the remote;
# the numbers are checked in order.
#   cli_flow_test.sh <tandem> <demo.elf>
set -u
TANDEM=$1 DEMO=$2
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh" "$TANDEM" flow

check "start" "running" "${T[@]}" start "$DEMO"
check "a fast reader: all, in order" "20000 of 20000 messages, in order, 0 lost" \
  "${T[@]}" stream -c 20000
check "a slow reader: the daemon pauses the remote, nothing is lost" \
  "3000 of 3000 messages, in order, 0 lost" "${T[@]}" stream -c 3000 -d 200
check "it did pause" "paused the remote [1-9][0-9]* times" "${T[@]}" stream -c 3000 -d 200
check "a pause by hand, then resumed" "paused by hand for 200 ms" \
  "${T[@]}" stream -c 4000 -p 200
check "--json" '"lost": 0' "${T[@]}" --json stream -c 1000 -d 100
check "stop" "stopped" "${T[@]}" stop
exit $fail
