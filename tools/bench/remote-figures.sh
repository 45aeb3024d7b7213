#!/bin/bash
# remote-figures.sh - the figures of docs/performance.md "SSH workers" and
# "MPI workers": chunk round trip and throughput over a socketpair (a local
# worker process), over SSH on loopback (a real OpenSSH server started
# here with test/ssh/hosts.sh) and over MPI (2 ranks of mpirun, Open MPI's
# shared-memory transport), and a program's start-up with a cold and a
# warm cache on the host. Needs root (sshd, as the test suite does) and a build
# in ./build (or $PYDRON_BUILD_DIR).
#   bash tools/bench/remote-figures.sh [RUNS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${PYDRON_BUILD_DIR:-$root/build}"
runs=${1:-3}
work=$(mktemp -d /tmp/pydron-figures.XXXXXX)
chmod 755 "$work"
trap 'bash "$root/test/ssh/hosts.sh" down "$work/h" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

bash "$root/test/ssh/hosts.sh" up "$work/h" 1 >/dev/null
bash "$root/test/ssh/hosts.sh" conf "$work/h" --hosts 0 --cores 2 >"$work/ssh.conf"
echo '{"workers": [{"type": "multicore", "cores": 2, "isolation": "process"}]}' >"$work/process.conf"
clang-19 -O2 -I"$root/runtime/include" -I"$root/test/runtime/Inputs" \
  -I"$root/test/workers/Inputs" "$root/test/workers/Inputs/bench_remote.c" \
  -Wl,--undefined=pydron_worker_mode -Wl,--undefined=pydron_remote_configured \
  "$build/lib/libpydron_rt.a" -ljansson -lssh2 -lcrypto -lcurl -lpthread -lm -ldl \
  -o "$work/bench_remote"
"$build/bin/pydron-cc" -O2 "$root/test/workers/Inputs/faults_long.c" -lm \
  -o "$work/small"

# Every chunk on the worker (PYDRON_PROCESS_LOCAL=0), one-iteration chunks.
for transport in process ssh; do
  for ((i = 1; i <= runs; i++)); do
    echo "[$transport] $(env PYDRON_CONF="$work/$transport.conf" PYDRON_PROCESS_LOCAL=0 \
      PYDRON_TINY_CHUNKS=1 "$work/bench_remote" roundtrip 2>&1 | tail -n2 | paste -sd' ')"
    echo "[$transport] $(env PYDRON_CONF="$work/$transport.conf" PYDRON_PROCESS_LOCAL=0 \
      "$work/bench_remote" ship 2>&1 | tail -n1)"
  done
done

# MPI: rank 1 is the worker (one thread: 2 ranks share this machine's
# cores).
if command -v mpirun >/dev/null; then
  mpi=(mpirun --oversubscribe --mca btl self,vader -np 2)
  [ "$(id -u)" = 0 ] && mpi=(mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 2)
  for ((i = 1; i <= runs; i++)); do
    echo "[mpi] $("${mpi[@]}" env PYDRON_PROCESS_LOCAL=0 PYDRON_TINY_CHUNKS=1 \
      "$work/bench_remote" roundtrip 2>&1 | tail -n2 | paste -sd' ')"
    echo "[mpi] $("${mpi[@]}" env PYDRON_PROCESS_LOCAL=0 "$work/bench_remote" ship 2>&1 | tail -n1)"
  done
fi

# Start-up: a run of one small loop, with the host's cache removed (every
# file uploaded) and then present (hashes checked only).
tmp=$(awk -F'"' '/tmp_dir/ {print $4; exit}' "$work/ssh.conf")
for ((i = 1; i <= runs; i++)); do
  rm -rf "$tmp"/pydron-*/cache
  t0=$(date +%s.%N)
  env PYDRON_CONF="$work/ssh.conf" "$work/small" 200 2000 1 >/dev/null
  t1=$(date +%s.%N)
  env PYDRON_CONF="$work/ssh.conf" "$work/small" 200 2000 1 >/dev/null
  t2=$(date +%s.%N)
  printf '[ssh] start-up and one small loop: cold cache %.3f s, warm cache %.3f s\n' \
    "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)"
done
env PYDRON_CONF="$work/process.conf" "$work/small" 200 2000 1 >/dev/null
t0=$(date +%s.%N)
env PYDRON_CONF="$work/process.conf" "$work/small" 200 2000 1 >/dev/null
t1=$(date +%s.%N)
printf '[process] start-up and one small loop: %.3f s\n' "$(echo "$t1 - $t0" | bc)"
