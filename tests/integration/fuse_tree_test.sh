#!/usr/bin/env bash
# tandemd --mount (docs/fuse.md): the real daemon serves Linux's remoteproc
# and rpmsg tree with FUSE; a shell script written for Linux's sysfs and a C
# rpmsg_char client written against <linux/rpmsg.h> run unmodified in a
# mount namespace where that tree is /sys and /dev.
#   fuse_tree_test.sh <tandemd> <demo.elf> <rpmsg_char_client> <remoteproc_sysfs.sh>
# Exit 77 (skipped) only where FUSE or a mount namespace cannot be had.
set -u
TANDEMD=$1 DEMO=$2 CLIENT=$3 SCRIPT=$4
skip() { echo "SKIP: $*"; exit 77; }
[[ -c /dev/fuse ]] || skip "no /dev/fuse"
[[ -r /dev/fuse && -w /dev/fuse ]] || skip "/dev/fuse not usable by $(id -un)"
command -v unshare >/dev/null || skip "no unshare(1)"
unshare -m true 2>/dev/null || skip "unshare -m not permitted here (needs CAP_SYS_ADMIN)"

DIR=$(mktemp -d)
MNT=$DIR/tree
NAME="fuse-$$"
DAEMON_PID=
cleanup() {
  [[ -n $DAEMON_PID ]] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
  mountpoint -q "$MNT" 2>/dev/null && umount -l "$MNT"
  rm -rf "$DIR"
}
trap cleanup EXIT

"$TANDEMD" --runtime-dir "$DIR/run" --remote "$NAME" --on-exit stop --mount "$MNT" \
  --firmware-dir "$(dirname "$DEMO")" >"$DIR/tandemd.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 100); do
  [[ -d $MNT/sys/class/remoteproc/remoteproc0 ]] && break
  sleep 0.05
done
if [[ ! -d $MNT/sys/class/remoteproc/remoteproc0 ]]; then
  echo "FAIL: no tree at $MNT"; cat "$DIR/tandemd.log"; exit 1
fi
[[ $(cat "$MNT/sys/class/remoteproc/remoteproc0/name") == "$NAME" ]] || {
  echo "FAIL: remoteproc0 is not $NAME"; exit 1; }

# The namespace: the tree stands for /sys and /dev; nothing else changes.
# $CLIENT and $SCRIPT are run by path, unmodified.
unshare -m bash -c '
  set -e
  mount --make-rprivate /
  mount --rbind /dev/pts "$1/dev/pts" 2>/dev/null || true
  mount --bind "$1/sys" /sys
  mount --rbind "$1/dev" /dev
  echo "--- $3 (remoteproc sysfs, as on Linux)"
  sh "$3" "$(basename "$4")"
  echo "--- $2 (rpmsg_char, as on Linux)"
  "$2" -n 200
' _ "$MNT" "$CLIENT" "$SCRIPT" "$DEMO"
rc=$?

# SIGTERM: the remote is stopped (--on-exit stop) and the tree unmounted.
kill -TERM "$DAEMON_PID"
for _ in $(seq 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$DAEMON_PID" 2>/dev/null; then
  echo "FAIL: tandemd still runs 5 s after SIGTERM"; rc=1
else
  wait "$DAEMON_PID"; drc=$?
  DAEMON_PID=
  [[ $drc -eq 0 ]] && echo "ok: tandemd exited 0 on SIGTERM" || { echo "FAIL: tandemd exit $drc"; rc=1; }
fi
if mountpoint -q "$MNT"; then echo "FAIL: $MNT still mounted"; rc=1; else echo "ok: unmounted"; fi
if [[ $rc -ne 0 ]]; then echo "--- tandemd.log"; cat "$DIR/tandemd.log"; fi
exit $rc
