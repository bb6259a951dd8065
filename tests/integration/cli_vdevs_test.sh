#!/usr/bin/env bash
# Several RPMsg vdevs through the CLI and tandemd (docs/vdevs.md): the
# two-vdev image announces the same echo channel on both buses and
# tandem-vdev1-id on bus 1 only; --vdev picks the bus for send and rings,
# channels lists each channel with its bus.
#   cli_vdevs_test.sh <tandem> <two_vdevs.elf>
set -u
TANDEM=$1 IMAGE=$2
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh" "$TANDEM" vdevs

ECHO=rpmsg-openamp-demo-channel
check "start" "running" "${T[@]}" start "$IMAGE"
check "channels: the echo on both buses, the id on bus 1" \
  "$ECHO +addr 0x400 +mtu 496.*$ECHO +addr 0x400 +mtu 496 +vdev 1.*tandem-vdev1-id +addr 0x401 +mtu 496 +vdev 1" \
  bash -c "sleep 0.3; ${T[*]} channels | tr '\n' ' '"
check "status counts two vdevs" '"vdevs": 2' "${T[@]}" --json status
check "echo on bus 0" "hello-0" "${T[@]}" send $ECHO hello-0 -w 500
check "echo on bus 1" "hello-1" "${T[@]}" send $ECHO hello-1 -w 500 --vdev 1
check "bus 1's own service answers there" "vdev1" "${T[@]}" --vdev 1 send tandem-vdev1-id x -w 500
check_fails "bus 0 has no such channel" "no channel tandem-vdev1-id" \
  "${T[@]}" send tandem-vdev1-id x -w 200
check "rings --vdev 1: bus 1's rings, notifyids 2 and 3" \
  "vdev1: running, link up.*notifyid 2.*notifyid 3" \
  bash -c "${T[*]} rings --vdev 1 | tr '\n' ' '"
check_fails "a vdev the firmware lacks" "no rpmsg vdev|vdev" "${T[@]}" rings --vdev 2
check_exit "a vdev beyond the maximum is a usage error" 2 "not in range" \
  "${T[@]}" send $ECHO x --vdev 4
check "stop" "stopped" "${T[@]}" stop
exit $fail
