#!/bin/bash
# faults.sh MODE BIN REF DIR - one fault scenario for faults.test.
# BIN is faults_long built with pydron-cc, REF the sequential build's
# output for ARGS below; DIR a scratch directory holding pydron.conf (a
# process worker, "lease_seconds": 1). Every scenario that completes must
# print exactly REF; stderr goes to DIR/MODE.err for FileCheck.
#   kill         SIGKILL the worker mid-loop
#   stop         SIGSTOP the worker for longer than the lease, then SIGCONT
#   master-kill  SIGKILL the master mid-loop: no worker left after 5 s
#   master-stop  SIGSTOP the master for longer than the lease, then SIGCONT
#   repeat       100 short runs in a row: no process left behind
set -u
mode=$1 bin=$2 ref=$3 dir=$4
args="2000 20000 16"
export PYDRON_CONF="$dir/pydron.conf" PYDRON_REPORT=1
err="$dir/$mode.err"

# The worker of master $1 (its child), once it exists.
worker_of() {
  for _ in $(seq 100); do
    w=$(pgrep -P "$1" | head -n1)
    [ -n "$w" ] && { echo "$w"; return 0; }
    sleep 0.05
  done
  echo "no worker appeared for master $1" >&2
  return 1
}

# Fails unless the program's output is the sequential one.
same() {
  cmp -s "$dir/$mode.out" "$ref" || { echo "$mode: output differs" >&2; diff "$dir/$mode.out" "$ref" >&2; exit 1; }
}

case $mode in
kill)
  "$bin" $args > "$dir/$mode.out" 2> "$err" & m=$!
  w=$(worker_of $m) || exit 1
  sleep 1
  kill -KILL "$w"
  wait $m || { echo "kill: the master failed" >&2; exit 1; }
  same ;;
stop)
  "$bin" $args > "$dir/$mode.out" 2> "$err" & m=$!
  w=$(worker_of $m) || exit 1
  sleep 0.7
  kill -STOP "$w"
  sleep 2.5
  kill -CONT "$w"
  wait $m || { echo "stop: the master failed" >&2; exit 1; }
  same ;;
master-kill)
  "$bin" $args > "$dir/$mode.out" 2> "$err" & m=$!
  w=$(worker_of $m) || exit 1
  sleep 1
  kill -KILL $m
  wait $m 2>/dev/null
  for _ in $(seq 50); do
    kill -0 "$w" 2>/dev/null || { echo "master-kill: worker gone"; exit 0; }
    sleep 0.1
  done
  echo "master-kill: worker $w still runs 5 s after its master died" >&2
  kill -KILL "$w"
  exit 1 ;;
master-stop)
  "$bin" $args > "$dir/$mode.out" 2> "$err" & m=$!
  worker_of $m > /dev/null || exit 1
  sleep 1
  kill -STOP $m
  sleep 3
  kill -CONT $m
  wait $m || { echo "master-stop: the master failed" >&2; exit 1; }
  same ;;
repeat)
  "$bin" 200 2000 2 > "$dir/small.ref" 2>/dev/null
  for i in $(seq 100); do
    "$bin" 200 2000 2 > "$dir/$mode.out" 2>> "$err" || { echo "repeat: run $i failed" >&2; exit 1; }
    cmp -s "$dir/$mode.out" "$dir/small.ref" || { echo "repeat: run $i differs" >&2; exit 1; }
  done
  sleep 0.5
  left=$(pgrep -f "^$bin( |$)" || true)
  [ -z "$left" ] || { echo "repeat: processes left: $left" >&2; ps -fp $left >&2; exit 1; }
  echo "repeat: 100 runs, nothing left" ;;
*)
  echo "faults.sh: unknown mode $mode" >&2; exit 2 ;;
esac
