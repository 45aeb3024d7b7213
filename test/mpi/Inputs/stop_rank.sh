#!/bin/bash
# stop_rank.sh RANK DIR "MPIRUN..." PROGRAM ARGS... - starts the program
# under mpirun, SIGSTOPs the given rank 1.5 s after it appears, for 3 s
# (longer than the 1 s lease the test configures), then SIGCONTs it. The
# job must end by itself within 60 s; DIR/out and DIR/err get its output,
# and the status is the job's.
set -u
# shellcheck source=rank_pid.sh
. "$(dirname "$0")/rank_pid.sh"
rank=$1 dir=$2 launch=$3
shift 3
prog=$1
# shellcheck disable=SC2086
timeout -k 5 60 $launch "$@" >"$dir/out" 2>"$dir/err" &
job=$!
pid=
for _ in $(seq 100); do
  pid=$(rank_pid "$prog" "$rank")
  [ -n "$pid" ] && break
  sleep 0.1
done
[ -n "$pid" ] || { echo "stop_rank: rank $rank of $prog not found within 10 s" >&2; kill $job; exit 1; }
sleep 1.5
kill -STOP "$pid"
sleep 3
kill -CONT "$pid"
wait $job
st=$?
[ $st -ne 124 ] || echo "stop_rank: the job still ran after 60 s (hung)" >&2
exit $st
