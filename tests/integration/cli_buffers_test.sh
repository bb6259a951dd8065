#!/usr/bin/env bash
# RPMsg buffer sizes through the CLI and tandemd (docs/buffers.md): the
# required size is saved per remote (`tandem buffers NAME auto|BYTES`), a
# mismatch fails `tandem start` naming both sizes, and status, channels and
# ping use the negotiated size.
#   cli_buffers_test.sh <tandem> <demo_2k.elf>
set -u
TANDEM=$1 DEMO2K=$2
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh" "$TANDEM" bufs

check "no vdev yet, size as the firmware asks" "no vdev placed; required size auto" \
  "${T[@]}" buffers
check "require 512" "required size 512" "${T[@]}" buffers 512
check_fails "a bad size is refused" "multiple of 8" "${T[@]}" buffers 1020
check "saved in tandemd.json" '"buffer_size": ?512' cat "$DIR/tandemd.json"
check_fails "a firmware asking 2048 is refused at start, naming both" \
  "configured for 512-byte RPMsg buffers, the firmware asks for 2048" "${T[@]}" start "$DEMO2K"
check "back to auto" "required size auto" "${T[@]}" buffers auto
check "start" "running" "${T[@]}" start "$DEMO2K"
check "buffers shows the negotiated size" \
  "512 buffers of 2048 bytes \(mtu 2032\), VIRTIO_RPMSG_F_BUFSZ" "${T[@]}" buffers
check "status shows it" "buffers +512 x 2048 bytes \(mtu 2032\)" "${T[@]}" status
check "status --json" '"mtu": 2032' "${T[@]}" --json status
check "channels show the mtu" "rpmsg-openamp-demo-channel +addr 0x[0-9a-f]+ +mtu 2032" \
  bash -c "sleep 0.3; ${T[*]} channels"
check "ping at the 2 KiB mtu" "20 received, 0 lost" "${T[@]}" ping -c 20 -s 2032
check_fails "one byte more is refused" "larger than the MTU \(2032" "${T[@]}" ping -s 2033
LINE=$(printf 'x%.0s' $(seq 1500))
check "a 1500-byte message through send comes back whole" "^ *1500$" \
  bash -c "${T[*]} send rpmsg-openamp-demo-channel $LINE -w 500 | tr -cd x | wc -c"
check "stop" "stopped" "${T[@]}" stop
exit $fail
