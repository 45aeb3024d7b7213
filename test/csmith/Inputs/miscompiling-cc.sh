#!/bin/sh
# A "compiler" for harness.test: pydron-cc, but the program it builds
# prints a different kernel hash (as a miscompile would).
set -e
real=$1; shift
for a in "$@"; do
  case "$a" in
    *.c) sed 's/pydron kernels: %016llx/pydron kernels: X%016llx/' "$a" > "$a.bad.c" ;;
  esac
done
args=""
for a in "$@"; do
  case "$a" in *.c) a="$a.bad.c" ;; esac
  args="$args $a"
done
exec $real $args
