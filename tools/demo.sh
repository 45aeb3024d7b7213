#!/bin/bash
# The Pydron demo: builds docs/examples/calibration.c twice, with plain
# clang-19 (sequential) and with pydron-cc (parallel, remarks shown), runs
# both, and prints the times, the speedup and whether the outputs are
# identical. Exits non-zero when a build or a run fails or the outputs differ.
#
#   bash tools/demo.sh [rows [width]]      (default 2000 x 4000)
#
# Environment: PYDRON_WORKERS=N threads (default: every core of this machine),
# DEMO_RUNS=N runs of each build, the fastest counts (default 3),
# PYDRON_BUILD_DIR (default ./build), CLANG (default clang-19).
# The binaries stay in <build>/demo.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PYDRON_BUILD_DIR:-$root/build}"
clang="${CLANG:-clang-19}"
pydron_cc="$build/bin/pydron-cc"
src="$root/docs/examples/calibration.c"
runs="${DEMO_RUNS:-3}"
dir="$build/demo"

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'demo: %s\n' "$*" >&2; exit 1; }

[ -x "$pydron_cc" ] || fail "$pydron_cc not found; build first: bash tools/build.sh"
command -v "$clang" >/dev/null || fail "$clang not found; install it: bash tools/setup-deps.sh"
case "$runs" in ''|*[!0-9]*|0) fail "DEMO_RUNS=$runs: expected a positive number" ;; esac
mkdir -p "$dir"
cd "$dir"
cp "$src" calibration.c

say "Building the sequential reference with plain $clang"
echo "\$ $clang -O2 -I runtime/include calibration.c -o calibration-seq -lm"
"$clang" -O2 -I"$root/runtime/include" calibration.c -o calibration-seq -lm \
  || fail "the sequential build failed"

say "Building with Pydron; each loop of a PYDRON_SCHEDULE function gets one verdict"
echo "\$ pydron-cc -O2 calibration.c -o calibration -lm -Rpass=pydron -Rpass-missed=pydron"
if ! "$pydron_cc" -O2 calibration.c -o calibration -lm -Rpass=pydron \
    -Rpass-missed=pydron 2>remarks.txt; then
  cat remarks.txt >&2
  fail "the Pydron build failed"
fi
cat remarks.txt

# Wall-clock milliseconds of the fastest of $runs runs of "$@"; the output
# of the last run goes to the file named by $out.
best_ms() {
  local best="" t0 t1 ms i
  for ((i = 0; i < runs; i++)); do
    t0=$(date +%s%N)
    "$@" >"$out" || fail "$* exited with status $?"
    t1=$(date +%s%N)
    ms=$(((t1 - t0) / 1000000))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}

if [ -n "${PYDRON_WORKERS:-}" ]; then
  threads="$PYDRON_WORKERS (PYDRON_WORKERS)"
else
  threads="$(nproc) (every core of this machine; set PYDRON_WORKERS=N to change)"
fi
unset PYDRON_DISABLE PYDRON_REPORT PYDRON_TRACE

say "Running both, fastest of $runs runs each; Pydron threads: $threads"
out=seq.out
seq_ms=$(best_ms ./calibration-seq "$@")
out=pydron.out
par_ms=$(best_ms ./calibration "$@")

echo "Output of the Pydron build:"
sed 's/^/  /' pydron.out
echo
printf 'sequential:  %6d ms\n' "$seq_ms"
printf 'pydron:      %6d ms\n' "$par_ms"
awk -v s="$seq_ms" -v p="$par_ms" \
  'BEGIN { if (p > 0) printf "speedup:     %6.2fx\n", s / p }'
if cmp -s seq.out pydron.out; then
  echo "outputs:     identical (cmp: every bit of the checksum, count and peak)"
else
  echo "outputs:     DIFFERENT"
  diff seq.out pydron.out || true
  exit 1
fi

say "Per-loop report of one more run (PYDRON_REPORT=1 ./calibration)"
# Informational only: the demo's verdict is the comparison above.
PYDRON_REPORT=1 ./calibration "$@" >/dev/null 2>report.txt || true
if grep -q '^pydron: ' report.txt; then
  cat report.txt
else
  echo "(no report: this runtime does not write one yet)"
fi

say "More"
echo "The binaries are in $dir:"
echo "  PYDRON_WORKERS=1 ./calibration           one thread (PYDRON_DISABLE=1: every loop sequential)"
echo "  PYDRON_REPORT=1 ./calibration            the per-loop summary above, on stderr at exit"
echo "  PYDRON_TRACE=trace.json ./calibration    a Chrome/Perfetto trace, one slice per chunk"
echo "                                           (open it in https://ui.perfetto.dev)"
echo "docs/examples/README.md explains the program."
