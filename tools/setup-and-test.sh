#!/bin/bash
# The README's test command: installs what is missing, builds everything and
# runs every lit suite. The last line is "N passed, N failed".
# PYDRON_TEST_MODE=long runs the long variants of the slow suites.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PYDRON_BUILD_DIR:-$root/build}"
bash "$root/tools/setup-deps.sh" || exit 1
bash "$root/tools/build.sh" || exit 1

log="$build/lit-output.txt"
# Debian's python3 (with python3-psutil, which lit's --timeout needs), not
# whatever python3 comes first on PATH.
/usr/bin/python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv --timeout 900 \
  "$build/test" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

count() { # sums lit's summary lines for the given labels
  local total=0 n
  for label in "$@"; do
    n=$(grep -E "^ *$label *: *[0-9]+" "$log" | sed -E 's/.*: *([0-9]+).*/\1/' | head -1)
    total=$((total + ${n:-0}))
  done
  echo $total
}
passed=$(count "Passed" "Expectedly Failed")
failed=$(count "Failed" "Unexpectedly Passed" "Unresolved" "Timed Out")
skipped=$(count "Unsupported")
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
