#!/usr/bin/env bash
# boot_instance.sh - the machine room of the fake EC2 (fake_ec2.py): each
# instance is a real OpenSSH server in a network namespace of its own,
# reached from this side over a veth pair on a private /30.
#
# Usage (as root; IDIR is the instance's directory, DIR/instances/ID of the
# fake; fake_ec2.py calls these, and they can be run by hand):
#   boot_instance.sh boot ID IDIR [TMP_DIR]
#       IDIR must hold ssh_host_ed25519_key (the host key) and
#       authorized_keys; LOGIN_USER (environment) is only logged. Picks a
#       free 10.A.B.C/30 (under the lock that test/ssh/hosts.sh takes too),
#       creates namespace pydron-ec2-ID (eth0 inside, 10.A.B.C+2) and veth
#       peID (10.A.B.C+1 on this side), writes IDIR/sshd_config and starts
#       sshd on port 22 of the instance address under `timeout`
#       (BOOT_TIMEOUT seconds, default 900). With TMP_DIR, the instance
#       sees IDIR/tmp at TMP_DIR (a bind mount private to the instance), so
#       every instance has a disk of its own. Writes IDIR/net.env, prints
#       the instance address; status 0 once sshd listens.
#   boot_instance.sh kill ID IDIR
#       kills every process of the instance (sshd, its sessions and what
#       they started: `ip netns pids`), deletes the veth and the namespace.
#       Idempotent; status 0 when nothing is left.
#   boot_instance.sh crash ID IDIR
#       the instance dies: every process in it is killed and its link goes
#       down (connections time out, as to a machine that crashed); the
#       namespace and veth stay until `kill`.
#   boot_instance.sh cut ID IDIR | heal ID IDIR
#       takes the instance's link down (packets dropped silently) / up.
#   boot_instance.sh gc
#       cleans up after fakes that died without cleaning up (registry
#       entries in /run/pydron-hosts whose OWNER/REAPER process is gone).
#
# Registry: /run/pydron-hosts/ec2-ID (the format of test/ssh/hosts.sh, so
# that its stale-namespace collector cleans these up too): DIR=IDIR,
# REAPER=the owner's pid (PYDRON_EC2_OWNER, the fake; default: the parent),
# NS=..., VETH=...
set -uo pipefail

SSHD=${SSHD:-/usr/sbin/sshd}
TIMEOUT_S=${BOOT_TIMEOUT:-900}
die() {
  printf 'boot_instance.sh: %s\n' "$*" >&2
  exit 1
}

# shellcheck source=../ssh/lib/hostprocs.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../ssh/lib/hostprocs.sh"

# names ID: NS and VETH for an instance id (i-0123456789abcdef0).
names() {
  local id=$1 hex
  hex=${id#i-}
  NS="pydron-ec2-$id"
  # veth names: at most 15 characters.
  VETH="pe${hex: -12}"
}

# alloc_link ID IDIR: under the lock, a free 10.A.B.C/30, the namespace and
# the veth; prints "A B C".
alloc_link() {
  local id=$1 idir=$2 s a b c
  s=$(alloc_subnet) || return 1
  read -r a b c <<<"$s"
  mkdir -p "$REGISTRY"
  printf 'DIR=%s\nREAPER=%s\nNS=%s\nVETH=%s\n' "$idir" "${PYDRON_EC2_OWNER:-$PPID}" \
    "$NS" "$VETH" >"$REGISTRY/ec2-$id"
  ip netns add "$NS" || return 1
  ip link add "$VETH" type veth peer name eth0 netns "$NS" || return 1
  ip addr add "10.$a.$b.$((c + 1))/30" dev "$VETH" || return 1
  echo "$a $b $c"
}

cmd_boot() {
  local id=${1:-} idir=${2:-} tmpdir=${3:-}
  [ -n "$id" ] && [ -n "$idir" ] || die "usage: boot ID IDIR [TMP_DIR]"
  [ "$(id -u)" = 0 ] || die "must run as root"
  idir=$(readlink -m "$idir")
  [ -f "$idir/ssh_host_ed25519_key" ] || die "no $idir/ssh_host_ed25519_key"
  [ -f "$idir/authorized_keys" ] || die "no $idir/authorized_keys"
  names "$id"
  mkdir -p /run/sshd
  local sub a b c
  sub=$(with_lock alloc_link "$id" "$idir") || {
    cmd_kill "$id" "$idir"
    die "$id: cannot create namespace $NS / veth $VETH"
  }
  read -r a b c <<<"$sub"
  local host="10.$a.$b.$((c + 1))" addr="10.$a.$b.$((c + 2))"
  printf 'NS=%q\nVETH=%q\nHOST_ADDR=%q\nADDR=%q\n' "$NS" "$VETH" "$host" "$addr" >"$idir/net.env"
  if ! { ip -n "$NS" link set lo up &&
    ip -n "$NS" addr add "$addr/30" dev eth0 &&
    ip -n "$NS" link set eth0 up &&
    ip -n "$NS" route add default via "$host" &&
    ip link set "$VETH" up; }; then
    cmd_kill "$id" "$idir"
    die "$id: cannot configure $NS"
  fi
  # Permanent neighbour entries on both ends: a cut link then drops
  # packets silently instead of failing ARP (as test/ssh/hosts.sh does).
  local mac_r mac_n
  mac_r=$(cat "/sys/class/net/$VETH/address")
  mac_n=$(ip netns exec "$NS" cat /sys/class/net/eth0/address)
  ip neigh replace "$addr" lladdr "$mac_n" dev "$VETH" nud permanent
  ip -n "$NS" neigh replace "$host" lladdr "$mac_r" dev eth0 nud permanent

  cat >"$idir/sshd_config" <<EOF
# sshd of fake EC2 instance $id (written by boot_instance.sh)
Port 22
ListenAddress $addr
AddressFamily inet
HostKey $idir/ssh_host_ed25519_key
PidFile $idir/sshd.pid
AuthorizedKeysFile $idir/authorized_keys
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
EOF
  cat "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../ssh/lib/sshd_common.conf" >>"$idir/sshd_config"
  local log="$idir/sshd.log" pid i
  : >"$log"
  rm -f "$idir/sshd.pid"
  local -a cmd=(timeout -k 5 "$TIMEOUT_S" "$SSHD" -D -f "$idir/sshd_config" -E "$log")
  if [ -n "$tmpdir" ]; then
    # `ip netns exec` runs its command in a mount namespace of its own
    # (slave to ours): a bind mount made there is the instance's alone.
    mkdir -p "$idir/tmp" "$tmpdir"
    chmod 1777 "$idir/tmp"
    setsid ip netns exec "$NS" sh -c 'mount --bind "$1" "$2" || exit 1; shift 2; exec "$@"' \
      sh "$idir/tmp" "$tmpdir" "${cmd[@]}" </dev/null >>"$log" 2>&1 &
  else
    setsid ip netns exec "$NS" "${cmd[@]}" </dev/null >>"$log" 2>&1 &
  fi
  pid=$!
  echo "$pid" >"$idir/timeout.pid"
  for ((i = 0; i < 400; i++)); do
    if grep -q 'Server listening on' "$log"; then
      echo "$addr"
      return 0
    fi
    if ! alive "$pid"; then
      wait "$pid" 2>/dev/null
      printf 'boot_instance.sh: %s: sshd did not start:\n' "$id" >&2
      sed 's/^/    | /' "$log" >&2
      cmd_kill "$id" "$idir"
      exit 1
    fi
    sleep 0.025
  done
  printf 'boot_instance.sh: %s: sshd is not listening after 10 s:\n' "$id" >&2
  sed 's/^/    | /' "$log" >&2
  cmd_kill "$id" "$idir"
  exit 1
}

# kill_procs NS [PID...]: every process of the namespace (and the given
# ones, with their descendants) killed.
kill_procs() {
  local ns=$1 p
  shift
  local -a pids=()
  for p in "$@"; do alive "$p" && pids+=("$p"); done
  if [ -e "/run/netns/$ns" ]; then
    for p in $(ip netns pids "$ns" 2>/dev/null); do pids+=("$p"); done
  fi
  if [ ${#pids[@]} -gt 0 ]; then
    mapfile -t pids < <(descendants "${pids[@]}")
    kill_wait "${pids[@]}"
  fi
}

# kill_ns NS VETH [PID...]: kill_procs, then the veth and the namespace
# deleted.
kill_ns() {
  local ns=$1 veth=$2
  shift 2
  kill_procs "$ns" "$@"
  ip link del "$veth" 2>/dev/null
  if [ -e "/run/netns/$ns" ]; then
    ip netns del "$ns" 2>/dev/null
  fi
  ! [ -e "/run/netns/$ns" ] || {
    printf 'boot_instance.sh: namespace %s still there\n' "$ns" >&2
    return 1
  }
  ! ip link show "$veth" >/dev/null 2>&1 || {
    printf 'boot_instance.sh: veth %s still there\n' "$veth" >&2
    return 1
  }
}

# instance_pids IDIR: the instance's timeout and sshd, as far as known.
instance_pids() { cat "$1/timeout.pid" "$1/sshd.pid" 2>/dev/null; }

cmd_kill() {
  local id=${1:-} idir=${2:-}
  [ -n "$id" ] && [ -n "$idir" ] || die "usage: kill ID IDIR"
  names "$id"
  # shellcheck disable=SC2046
  kill_ns "$NS" "$VETH" $(instance_pids "$idir") || return 1
  rm -f "$REGISTRY/ec2-$id" "$idir/timeout.pid" "$idir/sshd.pid"
  return 0
}

cmd_crash() {
  local id=${1:-} idir=${2:-}
  [ -n "$id" ] && [ -n "$idir" ] || die "usage: crash ID IDIR"
  names "$id"
  # shellcheck disable=SC2046
  kill_procs "$NS" $(instance_pids "$idir")
  cmd_link down "$id" "$idir"
}

cmd_link() { # up|down ID IDIR
  local how=$1 id=${2:-} idir=${3:-}
  [ -n "$id" ] && [ -n "$idir" ] || die "usage: cut|heal ID IDIR"
  names "$id"
  ip -n "$NS" link set dev eth0 "$how" || die "cannot set $NS eth0 $how"
  if [ "$how" = up ]; then
    local host
    host=$(sed -n 's/^HOST_ADDR=//p' "$idir/net.env")
    ip -n "$NS" route replace default via "$host" 2>/dev/null
  fi
  return 0
}

cmd_gc() {
  local f
  [ -d "$REGISTRY" ] || return 0
  for f in "$REGISTRY"/ec2-*; do
    [ -f "$f" ] || continue
    local owner ns veth
    owner=$(sed -n 's/^REAPER=//p' "$f")
    alive "$owner" && continue
    ns=$(sed -n 's/^NS=//p' "$f")
    veth=$(sed -n 's/^VETH=//p' "$f")
    kill_ns "$ns" "$veth" && rm -f "$f"
  done
  return 0
}

[ $# -ge 1 ] || die "usage: boot_instance.sh boot|kill|crash|cut|heal|gc ..."
what=$1
shift
case "$what" in
boot) cmd_boot "$@" ;;
kill) cmd_kill "$@" ;;
crash) cmd_crash "$@" ;;
cut) cmd_link down "$@" ;;
heal) cmd_link up "$@" ;;
gc) with_lock cmd_gc ;;
*) die "unknown command $what" ;;
esac
