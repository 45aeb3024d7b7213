# shellcheck shell=bash
# hostprocs.sh - sourced by test/ssh/hosts.sh and test/cloud/boot_instance.sh,
# which both make hosts out of network namespaces on this machine: the
# registry and lock they share, processes (alive, descendants, kill and
# wait), random numbers and a free /30 for a veth pair. The sourcing script
# defines die MESSAGE (prints and exits 1).

# Every namespace either tool makes is registered here (a file each), so
# that a later run removes what a dead test left; allocations take LOCK.
REGISTRY=/run/pydron-hosts
LOCK=/run/lock/pydron-hosts.lock

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

rand() { # rand LO HI
  local lo=$1 hi=$2 r
  r=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
  echo $((lo + r % (hi - lo + 1)))
}

# with_lock CMD...: runs CMD holding the lock (address allocation, the
# password user).
with_lock() {
  mkdir -p "$(dirname "$LOCK")"
  (
    flock -w 60 9 || die "cannot take $LOCK"
    "$@"
  ) 9>"$LOCK"
}

# descendants PID...: the PIDs and all their descendants.
descendants() {
  local all
  all=$(ps -eo pid=,ppid=)
  local -a todo=("$@") out=()
  while [ ${#todo[@]} -gt 0 ]; do
    local p=${todo[0]}
    todo=("${todo[@]:1}")
    [ -n "$p" ] || continue
    out+=("$p")
    while read -r c pp; do
      [ "$pp" = "$p" ] && todo+=("$c")
    done <<<"$all"
  done
  printf '%s\n' "${out[@]}"
}

# kill_wait PID...: SIGKILLs them and waits (5 s at most) until each is
# gone or a zombie.
kill_wait() {
  [ $# -gt 0 ] || return 0
  kill -9 "$@" 2>/dev/null
  local i p
  for ((i = 0; i < 200; i++)); do
    local left=0
    for p in "$@"; do
      if alive "$p" && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; then
        left=1
        break
      fi
    done
    [ $left = 0 ] && break
    sleep 0.025
  done
}

# alloc_subnet: prints "A B C" such that 10.A.B.C/30 is unused.
alloc_subnet() {
  local a b c i
  for ((i = 0; i < 500; i++)); do
    a=$(rand 100 250)
    b=$(rand 0 255)
    c=$(($(rand 0 63) * 4))
    if ! ip -o -4 addr show | grep -q " 10\.$a\.$b\." &&
      ! ip -4 route show | grep -q "^10\.$a\.$b\."; then
      echo "$a $b $c"
      return 0
    fi
  done
  die "no free 10.x.y.z/30 found"
}
