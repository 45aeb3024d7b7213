#!/usr/bin/env bash
# e2e.sh - end-to-end check of one program: the Pydron build must print
# exactly what the sequential build prints.
#
# Usage:  e2e.sh SOURCE.c [extra compiler flags...]
#   lit:  // RUN: %e2e %s                   (%e2e = bash <src>/test/e2e/lib/e2e.sh)
#         // RUN: %e2e %s | FileCheck %s    (also check the plugin's verdicts)
#
# What it does:
#   1. Builds the sequential reference with plain clang
#        $CLANG -O2 -I<include> SOURCE.c -lm FLAGS -o seq
#      and the Pydron program with
#        $PYDRON_CC -O2 -I<include> SOURCE.c -lm -Rpass=pydron \
#          -Rpass-missed=pydron FLAGS -o par
#      saving the Pydron compiler's stderr (the remarks) to remarks.txt. FLAGS
#      are the `// E2E-FLAGS:` lines of the source followed by the extra
#      flags given on the command line; both builds get them, and both get
#      -fno-crash-diagnostics (no reproducer files). A failed build or a
#      compiler crash fails the test and shows the compiler's messages.
#   2. Runs the reference once, then the Pydron program once for each
#      PYDRON_WORKERS value in $E2E_WORKERS (default "1 2 4"). Every run is
#      `timeout 120`, has stdin from /dev/null, runs in the (empty) work
#      directory so that no ./pydron.conf is found, and has PYDRON_CONF,
#      PYDRON_DISABLE, PYDRON_REPORT and PYDRON_TRACE removed from its
#      environment; the reference also has PYDRON_WORKERS removed.
#   3. Compares stdout and the exit status of every Pydron run with the
#      reference's, byte for byte (cmp). On a mismatch it names the worker
#      count, prints the first lines of a diff and of the run's stderr, and
#      exits 1 (after trying the other worker counts). A reference that
#      times out or dies from a signal fails the test too (it proves
#      nothing); other exit statuses are just compared. stderr is not
#      compared.
#   4. Fails if the remarks give one loop location more than one verdict
#      ("remark: loop parallelized" / "remark: loop not parallelized").
#   5. Prints the remarks file to stdout, and nothing else, so that
#      `| FileCheck %s` can check verdicts. Every diagnostic is printed with
#      its continuation lines (source snippet, caret, notes) exactly as clang
#      printed it, but the diagnostics are stably sorted by file, line and
#      column: CHECK lines in the program can follow the source order whatever
#      order the plugin visits loops in. All other messages go to stderr.
#
# Source directives (whole line comments, anywhere in the file):
#   // E2E-ARGS: a b c     arguments of the program (split at white space, no
#                          quoting, no globbing); several lines concatenate.
#                          The environment variable E2E_ARGS, when set (even
#                          empty), replaces them.
#   // E2E-FLAGS: -ffast-math   extra flags for both builds; several lines
#                          concatenate.
#
# Environment:
#   CLANG       the plain compiler (default clang-19); may hold arguments.
#   PYDRON_CC   the Pydron compiler driver (default <repo>/build/bin/pydron-cc;
#               test/e2e/lit.local.cfg points it into the build tree lit
#               runs for). PYDRON_CC=clang-19 checks the harness without the
#               plugin: both builds are then the same.
#   TMPDIR      where the work directory is made (mktemp -d); it is removed
#               at exit unless E2E_KEEP=1, which keeps it and prints its path.
#   E2E_WORKERS worker counts to run (default "1 2 4").
#   E2E_LAUNCH  a command that starts the Pydron program, e.g.
#               "mpirun --oversubscribe -np 3" (split at spaces); the
#               sequential reference always runs by itself.
#   E2E_ARGS    see above.
#
# Exit status: 0 when every run matched, 1 otherwise, 2 on a usage error.
set -u -o pipefail

msg() { printf 'e2e: %s\n' "$*" >&2; }

if [ $# -lt 1 ]; then
  msg "usage: e2e.sh SOURCE.c [extra compiler flags...]"
  exit 2
fi
src=$1
shift
extra_flags=("$@")
if [ ! -f "$src" ]; then
  msg "FAIL: no such source file: $src"
  exit 2
fi
name=$(basename "$src")

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$script_dir/../../.." && pwd)
include="$root/runtime/include"

read -r -a clang_cmd <<<"${CLANG:-clang-19}"
read -r -a pcc_cmd <<<"${PYDRON_CC:-$root/build/bin/pydron-cc}"
if [ ${#clang_cmd[@]} -eq 0 ] || ! command -v "${clang_cmd[0]}" >/dev/null 2>&1; then
  msg "FAIL: clang not found: '${CLANG:-clang-19}' (set CLANG)"
  exit 1
fi
if [ ${#pcc_cmd[@]} -eq 0 ] || ! command -v "${pcc_cmd[0]}" >/dev/null 2>&1; then
  msg "FAIL: pydron-cc not found: '${PYDRON_CC:-$root/build/bin/pydron-cc}'"
  msg "      build the project (tools/build.sh) or set PYDRON_CC"
  exit 1
fi

# Directives from the source: the text after the marker, all lines joined.
directive() {
  sed -n "s|^[[:space:]]*//[[:space:]]*$1:\(.*\)\$|\1|p" "$src" | tr '\n' ' '
}
set -f # no globbing of the words below
read -r -a src_flags <<<"$(directive E2E-FLAGS)"
if [ -n "${E2E_ARGS+set}" ]; then
  read -r -a prog_args <<<"$E2E_ARGS"
else
  read -r -a prog_args <<<"$(directive E2E-ARGS)"
fi
set +f
read -r -a workers <<<"${E2E_WORKERS:-1 2 4}"

work=$(mktemp -d "${TMPDIR:-/tmp}/e2e.${name%.c}.XXXXXX") || {
  msg "FAIL: cannot make a work directory under ${TMPDIR:-/tmp}"
  exit 1
}
work=$(cd "$work" && pwd)
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  if [ "${E2E_KEEP:-0}" = 1 ]; then
    msg "work directory kept: $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# show FILE [MAX]: the file on stderr, indented, at most MAX lines.
show() {
  local max=${2:-60} n
  n=$(wc -l <"$1")
  sed -n "1,${max}p" "$1" | sed 's/^/    | /' >&2
  if [ "$n" -gt "$max" ]; then msg "    ... ($((n - max)) more lines)"; fi
}

# build WHAT LOG OUT CMD...: compiles; on failure shows LOG and exits 1.
build() {
  local what=$1 log=$2 out=$3 rc
  shift 3
  timeout -k 10 600 "$@" -o "$out" >"$log.stdout" 2>"$log"
  rc=$?
  if [ $rc -ne 0 ] || [ ! -x "$out" ]; then
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
      msg "FAIL: $name: the $what build timed out (600 s)"
    elif [ $rc -gt 128 ] || grep -q 'PLEASE submit a bug report\|Stack dump:\|frontend command failed' "$log"; then
      msg "FAIL: $name: the compiler crashed in the $what build (status $rc)"
    else
      msg "FAIL: $name: the $what build failed (status $rc)"
    fi
    msg "  command: $*"
    cat "$log.stdout" >>"$log"
    show "$log" 200
    exit 1
  fi
}

build sequential "$work/seq.log" "$work/seq" \
  "${clang_cmd[@]}" -O2 -I"$include" "$src" -lm "${src_flags[@]}" \
  "${extra_flags[@]}" -fno-crash-diagnostics
build Pydron "$work/remarks.txt" "$work/par" \
  "${pcc_cmd[@]}" -O2 -I"$include" "$src" -lm -Rpass=pydron \
  -Rpass-missed=pydron "${src_flags[@]}" "${extra_flags[@]}" \
  -fno-crash-diagnostics

# run TAG BINARY [VAR=VALUE...]: runs it in $work; leaves TAG.out, TAG.err
# and TAG.status ("exit status N").
run_launch=()
run() {
  local tag=$1 bin=$2 rc
  shift 2
  (cd "$work" && env -u PYDRON_WORKERS -u PYDRON_CONF -u PYDRON_DISABLE \
    -u PYDRON_REPORT -u PYDRON_TRACE "$@" \
    timeout -k 10 120 "${run_launch[@]}" "$bin" "${prog_args[@]}" \
    <'/dev/null' >"$work/$tag.out" 2>"$work/$tag.err")
  rc=$?
  echo "exit status $rc" >"$work/$tag.status"
  return $rc
}

run seq "$work/seq"
seq_rc=$?
if [ $seq_rc -eq 124 ] || [ $seq_rc -eq 137 ]; then
  msg "FAIL: $name: the sequential reference timed out (120 s)"
  show "$work/seq.err" 20
  exit 1
elif [ $seq_rc -gt 124 ]; then
  msg "FAIL: $name: the sequential reference died (status $seq_rc)"
  show "$work/seq.err" 20
  exit 1
fi

failed=0
[ -n "${E2E_LAUNCH:-}" ] && read -r -a run_launch <<<"$E2E_LAUNCH"
for w in "${workers[@]}"; do
  tag="par$w"
  run "$tag" "$work/par" PYDRON_WORKERS="$w"
  rc=$?
  bad=0
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    msg "FAIL: $name: PYDRON_WORKERS=$w: the Pydron program timed out (120 s)"
    bad=1
  fi
  if ! cmp -s "$work/seq.out" "$work/$tag.out"; then
    msg "FAIL: $name: PYDRON_WORKERS=$w: stdout differs from the sequential run"
    diff -a -u --label sequential --label "pydron-workers-$w" \
      "$work/seq.out" "$work/$tag.out" >"$work/$tag.diff"
    show "$work/$tag.diff" 40
    bad=1
  fi
  if ! cmp -s "$work/seq.status" "$work/$tag.status"; then
    msg "FAIL: $name: PYDRON_WORKERS=$w: exit status differs:" \
      "sequential $seq_rc, Pydron $rc"
    bad=1
  fi
  if [ $bad -ne 0 ]; then
    failed=1
    if [ -s "$work/$tag.err" ]; then
      msg "  stderr of the Pydron run (PYDRON_WORKERS=$w):"
      show "$work/$tag.err" 20
    fi
  fi
done

# Exactly one verdict per source loop: no location may have two.
dups=$(sed -n 's/^\(.*:[0-9][0-9]*:[0-9][0-9]*\): remark: loop \(not \)\{0,1\}parallelized.*/\1/p' \
  "$work/remarks.txt" | sort | uniq -d)
if [ -n "$dups" ]; then
  msg "FAIL: $name: more than one verdict for the loop(s) at:"
  printf '%s\n' "$dups" | sed 's/^/    | /' >&2
  failed=1
fi

if [ $failed -ne 0 ]; then
  if [ -s "$work/remarks.txt" ]; then
    msg "  remarks of the Pydron build:"
    show "$work/remarks.txt" 40
  fi
  exit 1
fi

# The remarks on stdout, diagnostics stably sorted by (file, line, column);
# a line that does not start a diagnostic (snippet, caret, note, summary)
# stays with the diagnostic before it. Records are joined with \001 so that
# sort sees one line each.
awk '
  function flush() {
    if (rec != "") printf "%s\t%d\t%d\t%d\t%s\n", rfile, rline, rcol, nrec, rec
    rec = ""
  }
  {
    start = 0
    if (match($0, /:[0-9]+:[0-9]+: (remark|warning|error|fatal error): /)) {
      start = 1
      file = substr($0, 1, RSTART - 1)
      loc = substr($0, RSTART + 1, RLENGTH)
      split(loc, part, ":")
      line = part[1] + 0
      col = part[2] + 0
    } else if ($0 ~ /^[^ ]*: (remark|warning|error|fatal error): / || rec == "") {
      start = 1
      file = ""; line = 0; col = 0
    }
    if (start) {
      flush()
      nrec++
      rfile = file; rline = line; rcol = col
      rec = $0
    } else {
      rec = rec "\001" $0
    }
  }
  END { flush() }
' "$work/remarks.txt" | LC_ALL=C sort -s -t "$(printf '\t')" -k1,1 -k2,2n -k3,3n -k4,4n |
  cut -f5- | tr '\001' '\n'

msg "PASS: $name (PYDRON_WORKERS=${workers[*]})"
exit 0
