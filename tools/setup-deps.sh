#!/bin/bash
# Installs the Debian 12 packages Pydron needs to build and test, when they are
# missing. Runs as root (apt-get); does nothing when everything is present.
set -euo pipefail

PACKAGES=(
  cmake ninja-build python3 python3-psutil clang-19 llvm-19-dev llvm-19-tools lld-19
  libclang-rt-19-dev libomp-19-dev libjansson-dev libssh2-1-dev
  libcurl4-openssl-dev libssl-dev pkg-config time
  csmith libcsmith-dev valgrind dpkg-dev
  # test/ssh: real OpenSSH servers in network namespaces (hosts.sh)
  openssh-server openssh-client iproute2 procps passwd
  # test/mpi: MPI workers (libmpi is loaded at run time, mpi.h at build time)
  openmpi-bin libopenmpi-dev
  # test/cloud: the fake EC2 endpoint checks SigV4 signatures with botocore
  python3-botocore
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "pydron setup: missing packages: ${missing[*]}" >&2
  echo "pydron setup: run as root, or install them with apt-get" >&2
  exit 1
fi
echo "pydron setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
