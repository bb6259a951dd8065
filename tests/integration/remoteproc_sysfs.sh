#!/bin/sh
# A script for Linux's remoteproc sysfs, nothing of tandem in it: sets the
# firmware (a name under the firmware directory), starts remoteproc0, checks
# Linux's errors, stops and starts it again, crashes it through debugfs and
# waits for the recovery, then waits for the rpmsg channels. tandem's test
# runs it in a mount namespace over tandemd's FUSE tree (docs/fuse.md).
#   remoteproc_sysfs.sh FIRMWARE-NAME
FW=${1:-demo.elf}
R=/sys/class/remoteproc/remoteproc0
D=/sys/kernel/debug/remoteproc/remoteproc0
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }
expect() {  # expect <file> <value>
  v=$(cat "$1"); [ "$v" = "$2" ] && ok "$1 is $2" || bad "$1 is '$v', not '$2'"
}
refused() {  # refused <word> <file> <errno text>; coreutils echo names the errno
  err=$( (env echo "$1" > "$2") 2>&1 ) && bad "echo $1 > $2 was accepted" ||
    case $err in *"$3"*) ok "echo $1 > $2: $3" ;; *) bad "echo $1 > $2: $err" ;; esac
}
wait_for() {  # wait_for <file> <value>: up to 10 s
  i=0
  while [ "$(cat "$1")" != "$2" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  expect "$1" "$2"
}

[ -d $R ] || { echo "FAIL: no $R"; exit 1; }
[ "$(cat $R/state)" = offline ] || echo stop > $R/state
expect $R/state offline
echo "$FW" > $R/firmware && ok "echo $FW > firmware"
expect $R/firmware "$FW"
refused no-such-firmware.elf $R/firmware "No such file"
echo start > $R/state && ok "echo start > state"
expect $R/state running
refused start $R/state "busy"
refused "$FW" $R/firmware "busy"
refused bogus $R/state "Invalid argument"
refused bogus $R/recovery "Invalid argument"
refused bogus $R/coredump "Invalid argument"
expect $R/recovery enabled
echo disabled > $R/recovery && expect $R/recovery disabled
echo enabled > $R/recovery && expect $R/recovery enabled
echo disabled > $R/coredump && expect $R/coredump disabled
echo enabled > $R/coredump && expect $R/coredump enabled
refused x $R/name "denied"
echo stop > $R/state && ok "echo stop > state"
expect $R/state offline
refused stop $R/state "Invalid argument"
refused detach $R/state "Invalid argument"
echo start > $R/state && ok "echo start > state (again)"
expect $R/state running
grep -q "booted" $D/trace0 && ok "debugfs trace0 holds the firmware's trace" || bad "trace0"
refused bogus $D/crash "Invalid argument"
echo watchdog > $D/crash && ok "echo watchdog > debugfs crash"
sleep 0.5
wait_for $R/state running
# The channels the firmware announces, named as Linux names rpmsg devices.
i=0
while ! ls /sys/bus/rpmsg/devices | grep -q '^virtio0\.rpmsg-openamp-demo-channel\.-1\.[0-9]*$' &&
  [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
for c in rpmsg-openamp-demo-channel rpmsg-tty rpmsg-client-sample; do
  d=$(ls -d /sys/bus/rpmsg/devices/virtio0.$c.-1.* 2>/dev/null | head -n 1)
  [ -n "$d" ] && [ "$(cat "$d/name")" = $c ] && ok "$d" || bad "no rpmsg device for $c"
done
exit $fail
