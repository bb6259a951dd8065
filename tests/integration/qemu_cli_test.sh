#!/usr/bin/env bash
# The user does not have to know (issue #12): `tandem start` of a Cortex-M
# ELF runs it on QEMU, of an x86-64 ELF on the simulated core, through the
# one daemon; the CLI says which.
#   qemu_cli_test.sh <tandem> <x86-64 demo.elf> <Cortex-M3 demo.elf>
# Skips (exit 77) without qemu-system-arm or the image, unless
# TANDEM_QEMU_REQUIRED=1 (.ci/run stage g).
set -u
TANDEM=$1 DEMO=$2 M3=${TANDEM_QEMU_M3_IMAGE:-$3}
if ! command -v qemu-system-arm >/dev/null || [[ ! -r $M3 ]]; then
  if [[ ${TANDEM_QEMU_REQUIRED:-0} == 1 ]]; then echo "FAIL: no qemu-system-arm or no $M3"; exit 1; fi
  echo "SKIP: no qemu-system-arm or no Cortex-M3 image at $M3"; exit 77
fi
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh" "$TANDEM" qcli

check "start an ARM ELF: QEMU, and it says so" "on QEMU mps2-an385 \(Cortex-M3\)" "${T[@]}" start "$M3"
check "status names the core" "core +QEMU mps2-an385" "${T[@]}" status
check "echoes through the daemon to the emulated M3" "100 received" "${T[@]}" ping -c 100
check "the client sample against the M3" "100" "${T[@]}" sample
check "a priority event to the M3 and back" "answered 0x000042" "${T[@]}" event 0x42
check "the firmware's trace" "demo: booted" "${T[@]}" trace
check_fails "detach is refused: QEMU ends with its host" "stop it instead" "${T[@]}" state detach
check "a crash on the M3 is recovered" "running" "${T[@]}" crash
check "stop: graceful" "shutdown acknowledged" "${T[@]}" stop
check "log says which core" "now up, on QEMU mps2-an385" "${T[@]}" log
check "start an x86-64 ELF: the simulated core" "on the simulated core \(core pid [0-9]+" "${T[@]}" start "$DEMO"
check "echoes on the simulated core" "100 received" "${T[@]}" ping -c 100
check "stop" "stopped" "${T[@]}" stop
exit $fail
