#!/bin/bash
# kill_rank.sh RANK DIR "MPIRUN..." PROGRAM ARGS... - starts the program
# under mpirun, SIGKILLs the given rank after 2 s, and checks that the job
# ends within 30 s with a non-zero status; DIR/out and DIR/err get its
# output.
set -u
# shellcheck source=rank_pid.sh
. "$(dirname "$0")/rank_pid.sh"
rank=$1 dir=$2 launch=$3
shift 3
prog=$1
# shellcheck disable=SC2086
$launch "$@" >"$dir/out" 2>"$dir/err" &
job=$!
sleep 2
pid=$(rank_pid "$prog" "$rank")
[ -n "$pid" ] || { echo "kill_rank: rank $rank of $prog not found" >&2; kill $job; exit 1; }
t0=$SECONDS
kill -KILL "$pid"
for _ in $(seq 300); do
  kill -0 $job 2>/dev/null || break
  sleep 0.1
done
if kill -0 $job 2>/dev/null; then
  echo "kill_rank: the job still runs 30 s after rank $rank died" >&2
  kill -KILL $job
  exit 1
fi
wait $job
st=$?
[ $st -ne 0 ] || { echo "kill_rank: the job ended with status 0" >&2; exit 1; }
echo "kill_rank: the job ended $((SECONDS - t0)) s after rank $rank died, status $st"
left=$(pgrep -f "^$prog( |$)" || true)
[ -z "$left" ] || { echo "kill_rank: processes left: $left" >&2; exit 1; }
