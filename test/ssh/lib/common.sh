# common.sh - sourced by the tests of test/ssh. Each test is a bash script
# that lit runs as `bash %s %t` (its "# RUN:" line); lit.local.cfg puts
# PYDRON_CC, CLANG, PYDRON_SRC_ROOT and PYDRON_OBJ_ROOT in the environment
# and FileCheck on PATH. CHECK lines for FileCheck live in the test file
# itself (`check PREFIX FILE` runs FileCheck on it).
#
#   T                the test's directory (%t), made empty at the start
#   H                where hosts.sh keeps the hosts ($T/hosts)
#   hosts_up N [..]  starts N hosts (hosts.sh up), loads hosts.env, and
#                    brings them down when the script exits, however it
#                    exits (SSHTEST_KEEP=1 keeps them, for debugging)
#   conf FILE [..]   writes a pydron.conf (hosts.sh conf ... -o FILE, 600)
#   build OUT SRC..  the Pydron build (pydron-cc -O2 ... -lm)
#   build_ref OUT SRC..  the sequential reference (plain clang, same flags)
#   same REF OUT     fails unless the two files are byte for byte equal
#   check PREFIX FILE [FileCheck options]
#   gone [SECS] [hostK]  fails unless no process runs from the hosts' tmp
#                    dirs within SECS seconds (default 10)
#   wait_until SECS CMD...  polls CMD every 0.1 s; fails after SECS
#   start_bg OUT ERR CMD...  starts CMD in the background (stdin /dev/null), PID
#                    in $BG; killed at exit if still running
#   line_has FILE WORD...  fails unless one line of FILE holds every WORD
#   not_in SECRET FILE...  fails if SECRET occurs in any of the files
#   fail MSG..       prints "FAIL: MSG" and exits 1
set -euo pipefail

[ $# -ge 1 ] || {
  echo "usage: bash TEST %t" >&2
  exit 2
}
T=$1
TEST_FILE=$0
SRC=${PYDRON_SRC_ROOT:?not run by lit: PYDRON_SRC_ROOT is not set}
HOSTS_SH="$SRC/test/ssh/hosts.sh"
INC="$SRC/runtime/include"
INPUTS="$SRC/test/ssh/Inputs"
E2E="$SRC/test/e2e/lib/e2e.sh"
PYDRON_CC=${PYDRON_CC:?}
CLANG=${CLANG:-clang-19}
H="$T/hosts"
BG_PIDS=()

rm -rf "$T"
mkdir -p "$T/run"
cd "$T/run"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
say() { echo "-- $*" >&2; }

hosts() { bash "$HOSTS_SH" "$@"; }

on_exit() {
  local rc=$?
  set +e
  local p
  for p in "${BG_PIDS[@]}"; do
    kill -CONT "$p" 2>/dev/null
    kill -9 "$p" 2>/dev/null
  done
  if [ $rc -ne 0 ] && [ -f "$H/hosts.env" ]; then
    echo "== test failed (status $rc); processes from the hosts' tmp dirs:" >&2
    hosts procs "$H" >&2
    local f
    for f in "$H"/sshd-*.log; do
      [ -f "$f" ] || continue
      echo "== last lines of $f:" >&2
      tail -n 15 "$f" | sed 's/^/    | /' >&2
    done
  fi
  if [ "${SSHTEST_KEEP:-0}" = 1 ]; then
    echo "== SSHTEST_KEEP=1: hosts left up; hosts.sh down $H" >&2
  else
    hosts down "$H"
  fi
  exit $rc
}

hosts_up() {
  trap on_exit EXIT
  hosts up "$H" "$@" || fail "hosts.sh up failed"
  # shellcheck disable=SC1091
  . "$H/hosts.env"
}

conf() {
  local out=$1
  shift
  hosts conf "$H" -o "$out" "$@" || fail "hosts.sh conf failed"
}

build() {
  local out=$1
  shift
  "$PYDRON_CC" -O2 -I"$INC" "$@" -lm -o "$out" || fail "build of $* failed"
}

build_ref() {
  local out=$1
  shift
  read -r -a clang_cmd <<<"$CLANG"
  "${clang_cmd[@]}" -O2 -I"$INC" "$@" -lm -o "$out" || fail "reference build of $* failed"
}

same() {
  if ! cmp -s "$1" "$2"; then
    echo "FAIL: $2 differs from the sequential output $1:" >&2
    diff -a -u "$1" "$2" | head -40 >&2
    exit 1
  fi
}

check() {
  local prefix=$1 file=$2
  shift 2
  FileCheck "$TEST_FILE" --check-prefix="$prefix" --input-file="$file" "$@" ||
    fail "FileCheck $prefix on $file (above)"
}

gone() {
  local secs=${1:-10}
  hosts wait-gone "$H" "$secs" "${2:-}" || fail "processes left on the hosts after $secs s"
}

wait_until() {
  local secs=$1
  shift
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || fail "timed out after $secs s waiting for: $*"
    sleep 0.1
  done
}

start_bg() {
  local out=$1 err=$2
  shift 2
  "$@" </dev/null >"$out" 2>"$err" &
  BG=$!
  BG_PIDS+=("$BG")
}

# has_procs [hostK]: true when a process runs from the hosts' tmp dirs.
has_procs() { [ -n "$(hosts pids "$H" "${1:-}")" ]; }

# worker_procs [hostK]: the "PID USER ARGS" lines of the Pydron workers
# among them (started through the shipped loader: "--argv0"), not the
# commands of a run starting up (nor the shell that is about to exec the
# worker, whose command line names it too).
worker_procs() {
  hosts procs "$H" "${1:-}" | awk '/ --argv0 / && $3 !~ /(^|\/)(ba|da)?sh$/'
}

# worker_pids [hostK]: their PIDs.
worker_pids() { worker_procs "${1:-}" | awk '{print $1}'; }

# has_worker [hostK]: true when a Pydron worker runs there.
has_worker() { [ -n "$(worker_pids "${1:-}")" ]; }

# not_in SECRET FILE...: fails if SECRET occurs in any of the files.
not_in() {
  local secret=$1 f
  shift
  for f in "$@"; do
    if grep -a -q -F -- "$secret" "$f"; then
      fail "the secret appears in $f: $(grep -a -n -F -- "$secret" "$f" | head -3)"
    fi
  done
}

# line_has FILE WORD...: some line of FILE holds every WORD (fixed strings).
line_has() {
  local f=$1
  shift
  python3 - "$f" "$@" <<'PY' || fail "no line of $f holds all of: $* -- $f is:
$(cat "$f")"
import sys
words = sys.argv[2:]
sys.exit(0 if any(all(w in l for w in words) for l in open(sys.argv[1], errors="replace")) else 1)
PY
}
