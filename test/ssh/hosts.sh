#!/usr/bin/env bash
# hosts.sh - SSH hosts for the test/ssh lit suite: real OpenSSH servers, one
# on loopback and the others each in a network namespace of its own, with
# keys, known_hosts files and pydron.conf files to match.
#
# Usage (DIR is a test's own directory, e.g. lit's %t; run as root):
#   hosts.sh up DIR [N] [--pam|--kbdint-only]   start N hosts (default 2): host 0 on 127.0.0.1
#                          at a free port in 20000-60000, hosts 1..N-1 on
#                          port 22 of 10.A.B.C+2 in namespace pydron-ID-hK,
#                          reached over a veth pair (10.A.B.C+1 on this
#                          side, a /30 unique among running tests). Writes
#                          DIR/hosts.env. --pam: sshd with UsePAM yes (for
#                          keyboard-interactive; default UsePAM no, where
#                          sshd offers keyboard-interactive but no device
#                          answers it). --kbdint-only: UsePAM yes and
#                          PasswordAuthentication no (the password user
#                          gets in by keyboard-interactive only).
#   hosts.sh down DIR      stop the servers and everything they started,
#                          delete the namespaces and veths, remove the
#                          per-host tmp dirs when they live outside DIR.
#   hosts.sh conf DIR [options]   print a pydron.conf (see conf_usage below)
#   hosts.sh cut DIR hostK        take host K's link down: packets to and from
#                          it are dropped silently (a cut cable)
#   hosts.sh heal DIR hostK       bring it back up
#   hosts.sh procs DIR [hostK]    list processes ("PID USER ARGS") that run
#                          from the hosts' tmp dirs: executable, working
#                          directory or command line there (workers, the
#                          shipped loader, shells whose command names
#                          them), any user; nothing when none
#   hosts.sh pids DIR [hostK]     the same, PIDs only
#   hosts.sh wait-gone DIR SECONDS [hostK]  wait until procs is empty; on
#                          timeout list what is left and exit 1
#   hosts.sh ssh DIR hostK [CMD...]  the system ssh client to host K as root
#                          with the ed25519 key and DIR/known_hosts (strict)
#   hosts.sh free-port     print a loopback TCP port nobody listens on
#   hosts.sh user          create/refresh the password test user (idempotent)
#
# DIR/hosts.env (shell syntax, `. DIR/hosts.env`):
#   HOSTS_N, HOSTS_ID, HOSTS_DIR, HOSTS_TMPBASE
#   HOSTk_ADDR HOSTk_PORT HOSTk_NS (empty for host 0) HOSTk_VETH HOSTk_TMP
#     (the host's tmp_dir) HOSTk_FP (SHA256:... of its host key)
#     HOSTk_HOSTKEY (the host key's public half) HOSTk_LOG (sshd's log)
#     HOSTk_KH (the known_hosts name: [127.0.0.1]:PORT, or ADDR for port 22)
#   KEY (ed25519, no passphrase), KEY_PASS + PASSPHRASE, KEY_ECDSA, KEY_RSA
#   KNOWN_HOSTS (every host), KNOWN_HOSTS_EMPTY, KNOWN_HOSTS_WRONG (every
#     host with another key, WRONG_FP), USER (root), PW_USER (the password
#     user) and PASSWORD (its password)
#
# Everything started runs under `timeout` (HOSTS_TIMEOUT, default 900 s),
# and a reaper process runs `down` when that time is up, so a test that dies
# leaves nothing behind for long; `up` also cleans up after earlier runs
# whose reaper is gone (the registry in /run/pydron-hosts).
set -uo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
SSHD=${SSHD:-/usr/sbin/sshd}
TIMEOUT_S=${HOSTS_TIMEOUT:-900}
# shellcheck source=lib/hostprocs.sh
. "$(dirname "$SELF")/lib/hostprocs.sh"
PW_USER=pydrontest
PASSWORD='Pydron-test-pw-5183'
PASSPHRASE='pydron passphrase 2291'

die() {
  printf 'hosts.sh: %s\n' "$*" >&2
  exit 1
}
note() { printf 'hosts.sh: %s\n' "$*" >&2; }

need_dir() {
  [ $# -ge 1 ] && [ -n "$1" ] || die "missing DIR"
  DIR=$(readlink -m "$1")
}

load_env() {
  [ -f "$DIR/hosts.env" ] || die "no $DIR/hosts.env (run: hosts.sh up $DIR)"
  # shellcheck disable=SC1091
  . "$DIR/hosts.env"
}

# ---- the password user ---------------------------------------------------
make_user() {
  command -v useradd >/dev/null && command -v chpasswd >/dev/null ||
    die "useradd/chpasswd missing (package passwd)"
  if ! id "$PW_USER" >/dev/null 2>&1; then
    useradd -m -s /bin/bash -c "Pydron SSH tests" "$PW_USER" ||
      die "cannot create user $PW_USER"
  fi
  # The known password, every time (cheap; somebody may have changed it).
  echo "$PW_USER:$PASSWORD" | chpasswd || die "cannot set $PW_USER's password"
  usermod -U "$PW_USER" 2>/dev/null || true
}

# ---- processes -------------------------------------------------------------
# list_procs DIR [hostK]: processes whose executable or command line lies in
# a host's tmp dir.
list_procs() {
  local which=${1:-} pat=() k
  if [ -n "$which" ]; then
    k=${which#host}
    local v="HOST${k}_TMP"
    [ -n "${!v:-}" ] || die "no such host: $which"
    pat=("${!v}/")
  else
    for ((k = 0; k < HOSTS_N; k++)); do
      local v="HOST${k}_TMP"
      [ -n "${!v:-}" ] && pat+=("${!v}/")
    done
    [ ${#pat[@]} -gt 0 ] || return 0
  fi
  python3 - "$$" "${pat[@]}" <<'PY'
import os, pwd, sys
me = {int(sys.argv[1]), os.getpid(), os.getppid()}
pats = sys.argv[2:]
for d in os.listdir("/proc"):
    if not d.isdigit() or int(d) in me:
        continue
    try:
        raw = open("/proc/%s/cmdline" % d, "rb").read()
        st = os.stat("/proc/" + d)
    except OSError:
        continue
    try:
        exe = os.readlink("/proc/%s/exe" % d)
    except OSError:
        exe = ""
    try:
        cwd = os.readlink("/proc/%s/cwd" % d) + "/"
    except OSError:
        cwd = ""
    args = raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()
    if not args and not exe:
        continue
    if any(exe.startswith(p) or cwd.startswith(p) or p in args for p in pats):
        try:
            user = pwd.getpwuid(st.st_uid).pw_name
        except KeyError:
            user = str(st.st_uid)
        print(d, user, args)
PY
}

# ---- up ----------------------------------------------------------------------
# free_port: a loopback port nobody listens on now (for "connection
# refused" hosts; sshd itself retries on a failed bind instead).
free_port() {
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$(rand 20000 60000)
    if ! ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then
      echo "$p"
      return 0
    fi
  done
  die "no free port found"
}

# make_link NS VETH ID: (under the lock) picks a free /30, creates the
# namespace and the veth pair, puts the address on this side; prints "A B C".
make_link() {
  local ns=$1 veth=$2 id=$3 s a b c
  s=$(alloc_subnet) || return 1
  read -r a b c <<<"$s"
  ip netns add "$ns" || return 1
  printf 'NS=%s\nVETH=%s\n' "$ns" "$veth" >>"$REGISTRY/$id"
  ip link add "$veth" type veth peer name "${veth}n" netns "$ns" || return 1
  ip addr add "10.$a.$b.$((c + 1))/30" dev "$veth" || return 1
  echo "$s"
}

write_sshd_config() { # K ADDR PORT
  local k=$1 addr=$2 port=$3 pam=no pw=yes
  [ "$USE_PAM" = 1 ] && pam=yes
  [ "$KBDINT_ONLY" = 1 ] && pw=no
  cat >"$DIR/sshd-$k.conf" <<EOF
# sshd for test host $k (written by hosts.sh)
Port $port
ListenAddress $addr
AddressFamily inet
HostKey $DIR/keys/host${k}_ed25519
PidFile $DIR/sshd-$k.pid
AuthorizedKeysFile $DIR/authorized_keys
UsePAM $pam
PubkeyAuthentication yes
PasswordAuthentication $pw
KbdInteractiveAuthentication yes
PermitEmptyPasswords no
PermitRootLogin yes
EOF
  cat "$(dirname "$SELF")/lib/sshd_common.conf" >>"$DIR/sshd-$k.conf"
}

# start_sshd K NS: starts host K's sshd (in namespace NS unless empty);
# returns 0 once it listens, 2 when its port was taken, 1 otherwise.
start_sshd() {
  local k=$1 ns=$2 log="$DIR/sshd-$k.log" pid i
  : >"$log"
  rm -f "$DIR/sshd-$k.pid"
  local -a cmd=(timeout -k 5 "$TIMEOUT_S" "$SSHD" -D -f "$DIR/sshd-$k.conf" -E "$log")
  if [ -n "$ns" ]; then
    setsid ip netns exec "$ns" "${cmd[@]}" </dev/null >>"$log" 2>&1 &
  else
    setsid "${cmd[@]}" </dev/null >>"$log" 2>&1 &
  fi
  pid=$!
  echo "$pid" >"$DIR/timeout-$k.pid"
  for ((i = 0; i < 200; i++)); do
    if grep -q 'Server listening on' "$log"; then
      return 0
    fi
    if ! alive "$pid"; then
      wait "$pid" 2>/dev/null
      if grep -qi 'bind to port.*failed\|cannot bind any address\|address already in use' "$log"; then
        return 2
      fi
      note "sshd for host $k did not start:"
      sed 's/^/    | /' "$log" >&2
      return 1
    fi
    sleep 0.05
  done
  note "sshd for host $k is not listening after 10 s:"
  sed 's/^/    | /' "$log" >&2
  return 1
}

gc_stale() { # namespaces of earlier runs whose reaper is gone
  local f
  [ -d "$REGISTRY" ] || return 0
  for f in "$REGISTRY"/*; do
    [ -f "$f" ] || continue
    local reaper
    reaper=$(sed -n 's/^REAPER=//p' "$f")
    if ! alive "$reaper"; then
      local ns veth
      for ns in $(sed -n 's/^NS=//p' "$f"); do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
      done
      for veth in $(sed -n 's/^VETH=//p' "$f"); do
        ip link del "$veth" 2>/dev/null
      done
      rm -f "$f"
    fi
  done
}

# every ancestor of $1 searchable by others (the password user's workers
# must reach their tmp_dir)?
world_searchable() {
  local d=$1
  while [ "$d" != / ]; do
    [ "$(($(stat -c '0%a' "$d") & 1))" = 1 ] || return 1
    d=$(dirname "$d")
  done
}

cmd_up() {
  need_dir "${1:-}"
  shift
  local n=2
  USE_PAM=0 KBDINT_ONLY=0
  while [ $# -gt 0 ]; do
    case "$1" in
    --pam) USE_PAM=1 ;;
    --kbdint-only) USE_PAM=1 KBDINT_ONLY=1 ;;
    [0-9]*) n=$1 ;;
    *) die "up: unknown argument $1" ;;
    esac
    shift
  done
  [ "$(id -u)" = 0 ] || die "must run as root"
  [ -x "$SSHD" ] || die "no $SSHD (apt-get install openssh-server)"
  [ "$n" -ge 1 ] && [ "$n" -le 20 ] || die "up: 1 to 20 hosts"
  if [ -f "$DIR/hosts.env" ]; then
    DIR_SAVED=$DIR
    (cmd_down "$DIR") || true
    DIR=$DIR_SAVED
  fi
  rm -rf "$DIR/keys" # an earlier `up` of the same DIR: fresh keys
  mkdir -p "$DIR/keys" "$REGISTRY" /run/sshd || die "cannot create $DIR"
  chmod 755 "$DIR"
  chmod 700 "$DIR/keys"
  with_lock gc_stale
  with_lock make_user || exit 1

  local id
  id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
  local tmpbase="$DIR"
  if ! world_searchable "$DIR"; then
    tmpbase=/tmp/pydron-hosts.$id
    mkdir -p -m 755 "$tmpbase"
  fi

  # Keys: the users' and the hosts'.
  local kg=(ssh-keygen -q -C pydron-test)
  "${kg[@]}" -t ed25519 -N '' -f "$DIR/keys/id_ed25519" || die "ssh-keygen failed"
  "${kg[@]}" -t ed25519 -N "$PASSPHRASE" -f "$DIR/keys/id_ed25519_pass"
  "${kg[@]}" -t ecdsa -b 256 -N '' -f "$DIR/keys/id_ecdsa"
  "${kg[@]}" -t rsa -b 2048 -N '' -f "$DIR/keys/id_rsa"
  "${kg[@]}" -t ed25519 -N '' -f "$DIR/keys/wrong_host_ed25519"
  cat "$DIR"/keys/id_{ed25519,ed25519_pass,ecdsa,rsa}.pub >"$DIR/authorized_keys"
  chmod 644 "$DIR/authorized_keys"
  : >"$DIR/known_hosts"
  : >"$DIR/known_hosts.empty"
  : >"$DIR/known_hosts.wrong"
  local wrong_pub wrong_fp
  wrong_pub=$(cut -d' ' -f1,2 "$DIR/keys/wrong_host_ed25519.pub")
  wrong_fp=$(ssh-keygen -l -E sha256 -f "$DIR/keys/wrong_host_ed25519.pub" | awk '{print $2}')

  {
    printf 'HOSTS_N=%q\nHOSTS_ID=%q\nHOSTS_DIR=%q\nHOSTS_TMPBASE=%q\n' "$n" "$id" "$DIR" "$tmpbase"
    printf 'KEY=%q\nKEY_PASS=%q\nPASSPHRASE=%q\nKEY_ECDSA=%q\nKEY_RSA=%q\n' \
      "$DIR/keys/id_ed25519" "$DIR/keys/id_ed25519_pass" "$PASSPHRASE" \
      "$DIR/keys/id_ecdsa" "$DIR/keys/id_rsa"
    printf 'KNOWN_HOSTS=%q\nKNOWN_HOSTS_EMPTY=%q\nKNOWN_HOSTS_WRONG=%q\nWRONG_FP=%q\n' \
      "$DIR/known_hosts" "$DIR/known_hosts.empty" "$DIR/known_hosts.wrong" "$wrong_fp"
    printf 'USER=root\nPW_USER=%q\nPASSWORD=%q\n' "$PW_USER" "$PASSWORD"
  } >"$DIR/hosts.env"

  # The reaper: `down` when the time is up, whatever happened to the test.
  setsid bash -c "sleep $((TIMEOUT_S + 5)); exec bash '$SELF' down '$DIR'" \
    </dev/null >/dev/null 2>&1 &
  local reaper=$!
  echo "$reaper" >"$DIR/reaper.pid"
  printf 'DIR=%s\nREAPER=%s\n' "$DIR" "$reaper" >"$REGISTRY/$id"
  [ "$tmpbase" != "$DIR" ] && printf 'TMPBASE=%s\n' "$tmpbase" >>"$REGISTRY/$id"

  local k
  for ((k = 0; k < n; k++)); do
    "${kg[@]}" -t ed25519 -N '' -f "$DIR/keys/host${k}_ed25519" || die "ssh-keygen failed"
    local tmp="$tmpbase/h$k/tmp"
    mkdir -p "$tmp"
    chmod 755 "$tmpbase/h$k"
    chmod 1777 "$tmp"
    local addr port ns="" veth="" kh
    if [ "$k" = 0 ]; then
      addr=127.0.0.1
      local try rc
      for ((try = 0; try < 40; try++)); do
        port=$(rand 20000 60000)
        write_sshd_config 0 "$addr" "$port"
        start_sshd 0 ""
        rc=$?
        [ $rc = 2 ] && continue
        [ $rc = 0 ] || die "host 0: sshd failed"
        break
      done
      [ $rc = 0 ] || die "host 0: no free port after $try tries"
      kh="[$addr]:$port"
    else
      ns="pydron-$id-h$k"
      veth="pd${id}h$k"
      local sub a b c
      # Allocate the subnet and configure it under the lock, so that two
      # tests never pick the same one.
      sub=$(with_lock make_link "$ns" "$veth" "$id") ||
        die "host $k: cannot create namespace $ns / veth $veth"
      read -r a b c <<<"$sub"
      addr="10.$a.$b.$((c + 2))"
      port=22
      ip -n "$ns" link set lo up &&
        ip -n "$ns" addr add "$addr/30" dev "${veth}n" &&
        ip -n "$ns" link set "${veth}n" up &&
        ip link set "$veth" up || die "host $k: cannot configure $ns"
      # Permanent neighbour entries on both ends: a cut link (the far end
      # down) then drops packets silently instead of failing ARP.
      local mac_r mac_n
      mac_r=$(cat "/sys/class/net/$veth/address")
      mac_n=$(ip netns exec "$ns" cat "/sys/class/net/${veth}n/address")
      ip neigh replace "$addr" lladdr "$mac_n" dev "$veth" nud permanent
      ip -n "$ns" neigh replace "10.$a.$b.$((c + 1))" lladdr "$mac_r" dev "${veth}n" nud permanent
      write_sshd_config "$k" "$addr" "$port"
      start_sshd "$k" "$ns" || die "host $k: sshd failed"
      kh="$addr"
    fi
    local pub fp
    pub=$(cut -d' ' -f1,2 "$DIR/keys/host${k}_ed25519.pub")
    fp=$(ssh-keygen -l -E sha256 -f "$DIR/keys/host${k}_ed25519.pub" | awk '{print $2}')
    echo "$kh $pub" >>"$DIR/known_hosts"
    echo "$kh $wrong_pub" >>"$DIR/known_hosts.wrong"
    printf 'HOST%d_ADDR=%q\nHOST%d_PORT=%q\nHOST%d_NS=%q\nHOST%d_VETH=%q\nHOST%d_TMP=%q\nHOST%d_FP=%q\nHOST%d_HOSTKEY=%q\nHOST%d_LOG=%q\nHOST%d_KH=%q\n' \
      "$k" "$addr" "$k" "$port" "$k" "$ns" "$k" "$veth" "$k" "$tmp" "$k" "$fp" \
      "$k" "$DIR/keys/host${k}_ed25519.pub" "$k" "$DIR/sshd-$k.log" "$k" "$kh" >>"$DIR/hosts.env"
  done
  chmod 644 "$DIR"/known_hosts*
  return 0
}

# ---- down --------------------------------------------------------------------
cmd_down() {
  need_dir "${1:-}"
  [ -f "$DIR/hosts.env" ] || return 0
  load_env
  local k pids=() p
  local reaper
  reaper=$(cat "$DIR/reaper.pid" 2>/dev/null)
  if [ -n "$reaper" ] && [ "$reaper" != "$$" ]; then
    # Its process group (setsid made it the leader): bash and its sleep.
    kill -9 -- "-$reaper" 2>/dev/null || kill -9 "$reaper" 2>/dev/null
  fi
  for ((k = 0; k < HOSTS_N; k++)); do
    local t s
    t=$(cat "$DIR/timeout-$k.pid" 2>/dev/null)
    s=$(cat "$DIR/sshd-$k.pid" 2>/dev/null)
    for p in $t $s; do
      alive "$p" && pids+=("$p")
    done
    local nsv="HOST${k}_NS"
    if [ -n "${!nsv:-}" ]; then
      for p in $(ip netns pids "${!nsv}" 2>/dev/null); do pids+=("$p"); done
    fi
  done
  # The whole trees (sshd sessions, the commands they run), and whatever
  # still runs from the tmp dirs (reparented workers).
  if [ ${#pids[@]} -gt 0 ]; then
    mapfile -t pids < <(descendants "${pids[@]}")
  fi
  for p in $(list_procs | awk '{print $1}'); do pids+=("$p"); done
  kill_wait "${pids[@]}"
  for ((k = 0; k < HOSTS_N; k++)); do
    local nsv="HOST${k}_NS" vv="HOST${k}_VETH"
    if [ -n "${!vv:-}" ]; then ip link del "${!vv}" 2>/dev/null; fi
    if [ -n "${!nsv:-}" ]; then
      ip netns del "${!nsv}" 2>/dev/null
      ip netns list 2>/dev/null | grep -q "^${!nsv}\b" && note "namespace ${!nsv} still there"
    fi
  done
  if [ "$HOSTS_TMPBASE" != "$DIR" ] && [ -n "$HOSTS_TMPBASE" ]; then
    rm -rf "$HOSTS_TMPBASE"
  fi
  rm -f "$REGISTRY/$HOSTS_ID" "$DIR/hosts.env"
  return 0
}

# ---- cut / heal ------------------------------------------------------------
link_cmd() { # up|down DIR hostK
  local how=$1
  need_dir "${2:-}"
  load_env
  local k=${3:-}
  k=${k#host}
  local nsv="HOST${k}_NS" vv="HOST${k}_VETH"
  [ -n "${!nsv:-}" ] || die "host $k is not in a namespace (only hosts 1..N-1 can be cut)"
  # The far end: this side keeps its route and neighbour entry, so packets
  # to the host are dropped without an error; the host's own packets find
  # no route.
  ip -n "${!nsv}" link set dev "${!vv}n" "$how" || die "cannot set ${!vv}n $how"
  if [ "$how" = up ]; then
    local i
    for ((i = 0; i < 100; i++)); do
      ip -n "${!nsv}" -4 route show | grep -q . && break
      sleep 0.05
    done
  fi
}

# ---- conf --------------------------------------------------------------------
conf_usage() {
  cat >&2 <<'EOF'
hosts.sh conf DIR [options]   prints a pydron.conf for the hosts of DIR
  --hosts LIST        hosts to use, e.g. 0,1 (default: all)
  --auth KIND         key (default; ed25519), passphrase (ed25519 with a
                      passphrase), ecdsa, rsa, password (the password user),
                      wrong-password, keyfile-only (privatekey, no publickey)
  --user NAME         login name (default root; the password user for
                      password auth)
  --check MODE        host_key_check: strict or accept-new (default: left out)
  --known-hosts FILE  known_hosts file (default DIR/known_hosts); "none"
                      leaves the key out
  --cores N           cores per host (default 1; "none" leaves it out)
  --tmp-dir PATH      tmp_dir for every host (default: each its own)
  --port N            port for every host (default: each its own)
  --local N           add {"type":"multicore","cores":N} first
  --closed            add a host on 127.0.0.1 at a port nobody listens on
  --lease S           add {"faults": {"lease_seconds": S}}
  --faults JSON       add {"faults": JSON}
  --extra JSON        add this worker entry (repeatable)
  -o FILE             write FILE (mode 600) instead of printing
EOF
}

cmd_conf() {
  need_dir "${1:-}"
  shift
  load_env
  local hosts="" auth=key user="" check="" kh="$KNOWN_HOSTS" cores=1 tmpdir=""
  local port="" local_cores="" closed=0 faults="" out="" extras=()
  while [ $# -gt 0 ]; do
    case "$1" in
    --hosts) hosts=$2; shift ;;
    --auth) auth=$2; shift ;;
    --user) user=$2; shift ;;
    --check) check=$2; shift ;;
    --known-hosts) kh=$2; shift ;;
    --cores) cores=$2; shift ;;
    --tmp-dir) tmpdir=$2; shift ;;
    --port) port=$2; shift ;;
    --local) local_cores=$2; shift ;;
    --closed) closed=1 ;;
    --lease) faults="{\"lease_seconds\": $2}"; shift ;;
    --faults) faults=$2; shift ;;
    --extra) extras+=("$2"); shift ;;
    -o) out=$2; shift ;;
    -h | --help) conf_usage; return 0 ;;
    *) conf_usage; die "conf: unknown option $1" ;;
    esac
    shift
  done
  [ -n "$hosts" ] || hosts=$(seq -s, 0 $((HOSTS_N - 1)))
  local closed_port=""
  [ $closed = 1 ] && closed_port=$(free_port)
  local k entries=()
  IFS=, read -r -a hl <<<"$hosts"
  for k in "${hl[@]}"; do
    k=${k#host}
    local av="HOST${k}_ADDR" pv="HOST${k}_PORT" tv="HOST${k}_TMP"
    [ -n "${!av:-}" ] || die "conf: no host $k"
    entries+=("$k|${!av}|${port:-${!pv}}|${tmpdir:-${!tv}}")
  done
  [ $closed = 1 ] && entries+=("closed|127.0.0.1|$closed_port|${tmpdir:-$HOSTS_TMPBASE/h0/tmp}")
  local json
  json=$(HK="$kh" AUTH="$auth" USERNAME="$user" CHECK="$check" CORES="$cores" \
    LOCAL="$local_cores" FAULTS="$faults" DIR="$DIR" PASSWORD="$PASSWORD" \
    PW_USER="$PW_USER" PASSPHRASE="$PASSPHRASE" \
    python3 - "${entries[@]}" -- "${extras[@]}" <<'PY'
import json, os, sys
args = sys.argv[1:]
sep = args.index("--")
hosts, extras = args[:sep], args[sep + 1:]
e = os.environ
keys = e["DIR"] + "/keys/"
workers = []
if e["LOCAL"]:
    workers.append({"type": "multicore", "cores": int(e["LOCAL"])})
for h in hosts:
    name, addr, port, tmp = h.split("|")
    w = {"type": "ssh", "hostname": addr}
    if port != "22":
        w["port"] = int(port)
    auth = e["AUTH"]
    user = e["USERNAME"] or (e["PW_USER"] if auth in ("password", "wrong-password") else "root")
    w["username"] = user
    if auth == "key":
        w["privatekey"] = keys + "id_ed25519"
        w["publickey"] = keys + "id_ed25519.pub"
    elif auth == "keyfile-only":
        w["privatekey"] = keys + "id_ed25519"
    elif auth == "passphrase":
        w["privatekey"] = keys + "id_ed25519_pass"
        w["publickey"] = keys + "id_ed25519_pass.pub"
        w["passphrase"] = e["PASSPHRASE"]
    elif auth == "ecdsa":
        w["privatekey"] = keys + "id_ecdsa"
        w["publickey"] = keys + "id_ecdsa.pub"
    elif auth == "rsa":
        w["privatekey"] = keys + "id_rsa"
        w["publickey"] = keys + "id_rsa.pub"
    elif auth == "password":
        w["password"] = e["PASSWORD"]
    elif auth == "wrong-password":
        w["password"] = "not-" + e["PASSWORD"]
    elif auth != "none":
        sys.exit("hosts.sh conf: unknown --auth " + auth)
    w["tmp_dir"] = tmp
    if e["CORES"] != "none":
        w["cores"] = int(e["CORES"])
    if e["CHECK"]:
        w["host_key_check"] = e["CHECK"]
    if e["HK"] != "none":
        w["known_hosts"] = e["HK"]
    workers.append(w)
for x in extras:
    workers.append(json.loads(x))
conf = {"workers": workers}
if e["FAULTS"]:
    conf["faults"] = json.loads(e["FAULTS"])
print(json.dumps(conf, indent=2))
PY
  ) || die "conf: failed"
  if [ -n "$out" ]; then
    (umask 077 && rm -f "$out" && printf '%s\n' "$json" >"$out") || die "cannot write $out"
    chmod 600 "$out"
  else
    printf '%s\n' "$json"
  fi
}

# ---- main ----------------------------------------------------------------------
[ $# -ge 1 ] || die "usage: hosts.sh up|down|conf|cut|heal|procs|pids|wait-gone|ssh|free-port|user ..."
cmd=$1
shift
case "$cmd" in
up) cmd_up "$@" ;;
down) cmd_down "$@" ;;
conf) cmd_conf "$@" ;;
cut) link_cmd down "$@" ;;
heal) link_cmd up "$@" ;;
procs)
  need_dir "${1:-}"
  load_env
  list_procs "${2:-}"
  ;;
pids)
  need_dir "${1:-}"
  load_env
  list_procs "${2:-}" | awk '{print $1}'
  ;;
wait-gone)
  need_dir "${1:-}"
  load_env
  secs=${2:-10}
  end=$((SECONDS + secs))
  while :; do
    left=$(list_procs "${3:-}")
    [ -z "$left" ] && exit 0
    if [ $SECONDS -ge $end ]; then
      note "processes left after ${secs} s:"
      printf '%s\n' "$left" | sed 's/^/    | /' >&2
      exit 1
    fi
    sleep 0.2
  done
  ;;
ssh)
  need_dir "${1:-}"
  load_env
  k=${2:-}
  k=${k#host}
  shift 2
  av="HOST${k}_ADDR" pv="HOST${k}_PORT"
  [ -n "${!av:-}" ] || die "ssh: no host $k"
  exec ssh -F none -i "$KEY" -o IdentitiesOnly=yes -o UserKnownHostsFile="$KNOWN_HOSTS" \
    -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes \
    -o ConnectTimeout="${SSH_CONNECT_TIMEOUT:-10}" -p "${!pv}" "root@${!av}" "$@"
  ;;
free-port) free_port ;;
user) with_lock make_user ;;
*) die "unknown command $cmd" ;;
esac
