# shellcheck shell=bash
# rank_pid.sh - sourced by kill_rank.sh and stop_rank.sh.
#   rank_pid PROGRAM RANK   prints the pid of that rank of PROGRAM (started
#                           under mpirun), or nothing when there is none
rank_pid() {
  local p
  for p in $(pgrep -f "^$1( |$)"); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then
      echo "$p"
      return 0
    fi
  done
}
