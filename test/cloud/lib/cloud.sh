# shellcheck shell=bash
# cloud.sh - sourced by the tests of test/cloud (bash): the fake EC2
# endpoint (fake_ec2.py) started for one test, and helpers around it.
# Works with `set -euo pipefail`; sourcing it starts nothing.
#
#   cloud_up DIR [--token] [--limit N] [--user-tmp] [fake_ec2.py options...]
#       starts the fake with random credentials, state in DIR/state (or, when
#       DIR's ancestors are not searchable by others, in /tmp/pydron-ec2.ID:
#       the pydrontest user must reach its files), under `timeout`
#       (CLOUD_TIMEOUT, default 900 s) with a reaper that stops it when that
#       time is up; stops it (and checks that nothing is left) when the
#       script exits, however it exits (an EXIT trap set before cloud_up,
#       e.g. common.sh's, still runs after it; CLOUD_KEEP=1 leaves it up).
#       --token: a session token is required too. Each instance sees its own
#       disk at CLOUD_TMP (fake_ec2.py --tmp-dir). Sets and writes to
#       DIR/cloud.env:
#         CLOUD_STATE (the state dir), CLOUD_PORT, CLOUD_ENDPOINT
#         (http://127.0.0.1:PORT/), CLOUD_REGION (us-east-1), CLOUD_KEY_ID,
#         CLOUD_SECRET, CLOUD_TOKEN (empty unless --token), CLOUD_TMP (the
#         tmp_dir to give), CLOUD_LOG (the fake's stderr), CLOUD_PID
#   cloud_restart     starts the fake again on the same state (after the test
#                     killed it); CLOUD_PORT and CLOUD_ENDPOINT change
#   cloud_conf FILE [options]   writes a pydron.conf (mode 600) with one
#       "cloud" entry: provider ec2, region, endpoint, accesskeyid, accesskey,
#       imageid ami-12345678, sizeid c5.large, username root, count 2,
#       cores 1, tmp_dir CLOUD_TMP, ttl_minutes 60. Options:
#         --count N --cores N --user NAME --image ID --size TYPE --ttl MIN
#         --region R --endpoint URL --no-keys (credentials left out: use
#         cloud_env) --set KEY=JSON (any key; JSON value, e.g.
#         --set 'public_ip=false'; KEY=null removes it) --local N (a
#         multicore entry first) --faults JSON --extra JSON (another entry)
#   cloud_env         prints AWS_ACCESS_KEY_ID=.. AWS_SECRET_ACCESS_KEY=..
#                     [AWS_SESSION_TOKEN=..] for `env $(cloud_env) prog`
#   cloud_instances [STATE...]  "ID STATE ADDR USER" lines from state.json,
#                     launch order (default states: pending running)
#   cloud_count [STATE...]      how many (default: pending running)
#   cloud_wait_running N SECS   waits until N instances run
#   cloud_wait_none SECS        waits until no instance is pending, running,
#                     shutting-down or stopping; fails listing them
#   cloud_admin PATH            GET http://127.0.0.1:PORT/_admin/PATH
#                     (e.g. cloud_admin 'expire?instance=i-..'), prints JSON
#   cloud_requests [ACTION]     the request log's lines (JSON), of ACTION only
#   cloud_ssh KEY ID [CMD...]   the system ssh client to instance ID as its
#                     user, key KEY, host key checked strictly against the
#                     instance's (the user data's ed25519_public)
#   cloud_procs       "PID ARGS" of every process in an instance namespace of
#                     this fake (nothing when none)
#   cloud_gone [SECS] fails unless, within SECS (default 10), no instance
#                     namespace, veth or process of this fake is left
#   cloud_down        stops the fake (every instance terminated) and checks
#                     that nothing is left; run by the EXIT trap
CLOUD_SRC=${PYDRON_SRC_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
CLOUD_FAKE="$CLOUD_SRC/test/cloud/fake_ec2.py"
CLOUD_PY=${CLOUD_PY:-/usr/bin/python3}
CLOUD_STATE=${CLOUD_STATE:-}

if ! declare -F fail >/dev/null; then
  fail() {
    echo "FAIL: $*" >&2
    exit 1
  }
fi
if ! declare -F say >/dev/null; then
  say() { echo "-- $*" >&2; }
fi

_cloud_world_searchable() {
  local d=$1
  while [ "$d" != / ]; do
    [ "$(($(stat -c '0%a' "$d") & 1))" = 1 ] || return 1
    d=$(dirname "$d")
  done
}

# _cloud_alive PID: runs and is not a zombie.
_cloud_alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null &&
    [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

_cloud_rand() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

cloud_up() {
  local dir=${1:?cloud_up DIR}
  shift
  local token="" extra=()
  while [ $# -gt 0 ]; do
    case "$1" in
    --token) token=$(_cloud_rand 24) ;;
    *) extra+=("$1") ;;
    esac
    shift
  done
  [ -x "$CLOUD_PY" ] || fail "no $CLOUD_PY"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  CLOUD_DIR=$dir
  local id base
  id=$(_cloud_rand 4)
  base=$dir
  if ! _cloud_world_searchable "$dir"; then
    base=/tmp/pydron-ec2.$id
    mkdir -p -m 755 "$base"
  fi
  chmod 755 "$base"
  CLOUD_STATE=$base/state
  CLOUD_TMP=$base/tmp
  rm -rf "$CLOUD_STATE" "$CLOUD_TMP"
  mkdir -p "$CLOUD_TMP"
  chmod 1777 "$CLOUD_TMP"
  CLOUD_REGION=us-east-1
  CLOUD_KEY_ID=AKIA$(_cloud_rand 8 | tr a-f A-F)
  CLOUD_SECRET=$(_cloud_rand 20)
  CLOUD_TOKEN=$token
  CLOUD_LOG=$dir/fake.log
  CLOUD_EXTRA=("${extra[@]}")
  : >"$CLOUD_LOG"
  # The reaper: --stop when the time is up, whatever happened to the test
  # (it also cleans up after a fake that was killed with SIGKILL).
  local t=${CLOUD_TIMEOUT:-900}
  setsid bash -c "sleep $((t + 30)); exec '$CLOUD_PY' '$CLOUD_FAKE' --state '$CLOUD_STATE' --stop" \
    </dev/null >/dev/null 2>&1 &
  CLOUD_REAPER=$!
  disown "$CLOUD_REAPER" 2>/dev/null || true
  if [ -z "${_CLOUD_TRAPPED:-}" ]; then
    _CLOUD_TRAPPED=1
    local prev
    prev=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
    # shellcheck disable=SC2064
    trap "_cloud_on_exit; ${prev:-exit \$?}" EXIT
  fi
  _cloud_start
}

# cloud_restart: starts the fake again on the same state and credentials
# (after the test killed it: kill -9 "$(cat "$CLOUD_STATE/pid")"); a new
# port, so CLOUD_PORT and CLOUD_ENDPOINT change.
cloud_restart() {
  local i
  for ((i = 0; i < 100; i++)); do
    _cloud_alive "$CLOUD_PID" || break
    sleep 0.05
  done
  _cloud_alive "$CLOUD_PID" && fail "cloud_restart: the fake (pid $CLOUD_PID) still runs"
  _cloud_start
}

_cloud_start() {
  local t=${CLOUD_TIMEOUT:-900}
  local -a cmd=(timeout -k 10 "$((t + 10))" "$CLOUD_PY" "$CLOUD_FAKE" --state "$CLOUD_STATE"
    --region "$CLOUD_REGION" --key-id "$CLOUD_KEY_ID" --secret "$CLOUD_SECRET"
    --tmp-dir "$CLOUD_TMP" --lifetime "$t")
  [ -n "$CLOUD_TOKEN" ] && cmd+=(--token "$CLOUD_TOKEN")
  rm -f "$CLOUD_STATE/port"
  setsid "${cmd[@]}" "${CLOUD_EXTRA[@]}" </dev/null >>"$CLOUD_LOG" 2>&1 &
  CLOUD_PID=$!
  local i
  for ((i = 0; i < 300; i++)); do
    [ -s "$CLOUD_STATE/port" ] && break
    _cloud_alive "$CLOUD_PID" || {
      cat "$CLOUD_LOG" >&2
      fail "fake_ec2.py did not start"
    }
    sleep 0.05
  done
  [ -s "$CLOUD_STATE/port" ] || {
    cat "$CLOUD_LOG" >&2
    fail "fake_ec2.py is not listening after 15 s"
  }
  CLOUD_PORT=$(cat "$CLOUD_STATE/port")
  CLOUD_ENDPOINT=http://127.0.0.1:$CLOUD_PORT/
  {
    printf 'CLOUD_DIR=%q\nCLOUD_STATE=%q\nCLOUD_PORT=%q\nCLOUD_ENDPOINT=%q\n' \
      "$CLOUD_DIR" "$CLOUD_STATE" "$CLOUD_PORT" "$CLOUD_ENDPOINT"
    printf 'CLOUD_REGION=%q\nCLOUD_KEY_ID=%q\nCLOUD_SECRET=%q\nCLOUD_TOKEN=%q\n' \
      "$CLOUD_REGION" "$CLOUD_KEY_ID" "$CLOUD_SECRET" "$CLOUD_TOKEN"
    printf 'CLOUD_TMP=%q\nCLOUD_LOG=%q\nCLOUD_PID=%q\nCLOUD_REAPER=%q\n' \
      "$CLOUD_TMP" "$CLOUD_LOG" "$CLOUD_PID" "$CLOUD_REAPER"
  } >"$CLOUD_DIR/cloud.env"
  chmod 600 "$CLOUD_DIR/cloud.env"
  export CLOUD_ENDPOINT CLOUD_REGION CLOUD_KEY_ID CLOUD_SECRET CLOUD_TOKEN CLOUD_STATE CLOUD_PORT CLOUD_TMP
}

_cloud_on_exit() {
  local rc=$?
  set +e
  if [ $rc -ne 0 ] && [ -n "$CLOUD_STATE" ] && [ -f "$CLOUD_STATE/state.json" ]; then
    echo "== test failed (status $rc); instances:" >&2
    cloud_instances pending running shutting-down stopping stopped terminated >&2
    echo "== last lines of $CLOUD_LOG:" >&2
    tail -n 20 "$CLOUD_LOG" 2>/dev/null | sed 's/^/    | /' >&2
  fi
  if [ "${CLOUD_KEEP:-0}" = 1 ]; then
    echo "== CLOUD_KEEP=1: the fake is left up; $CLOUD_PY $CLOUD_FAKE --state $CLOUD_STATE --stop" >&2
  else
    if ! (cloud_down); then
      echo "== cloud_down: something was left (above)" >&2
      [ $rc -ne 0 ] || rc=1
    fi
    # A state kept outside the test's directory (not searchable by other
    # users) goes at exit, not in cloud_down: a test still reads it after
    # stopping the fake.
    case "$CLOUD_STATE" in /tmp/pydron-ec2.*/state)
      rm -rf "$(dirname "$CLOUD_STATE")" ;;
    esac
  fi
  return $rc
}

cloud_down() {
  [ -n "$CLOUD_STATE" ] || return 0
  "$CLOUD_PY" "$CLOUD_FAKE" --state "$CLOUD_STATE" --stop >>"${CLOUD_LOG:-/dev/null}" 2>&1
  if [ -n "${CLOUD_REAPER:-}" ]; then
    kill -9 -- "-$CLOUD_REAPER" 2>/dev/null || kill -9 "$CLOUD_REAPER" 2>/dev/null
  fi
  if [ -n "${CLOUD_PID:-}" ]; then
    local i
    for ((i = 0; i < 100; i++)); do
      _cloud_alive "$CLOUD_PID" || break
      sleep 0.05
    done
    _cloud_alive "$CLOUD_PID" && kill -9 "$CLOUD_PID" 2>/dev/null
    wait "$CLOUD_PID" 2>/dev/null
  fi
  cloud_gone 5
}

cloud_conf() {
  local out=${1:?cloud_conf FILE}
  shift
  [ -n "${CLOUD_PORT:-}" ] || fail "cloud_conf: run cloud_up first"
  CLOUD_REGION="$CLOUD_REGION" CLOUD_ENDPOINT="$CLOUD_ENDPOINT" CLOUD_KEY_ID="$CLOUD_KEY_ID" \
    CLOUD_SECRET="$CLOUD_SECRET" CLOUD_TMP="$CLOUD_TMP" \
    "$CLOUD_PY" - "$out" "$@" <<'PY' || fail "cloud_conf failed"
import json, os, sys
e = os.environ
out, args = sys.argv[1], sys.argv[2:]
w = {"type": "cloud", "provider": "ec2", "region": e["CLOUD_REGION"],
     "endpoint": e["CLOUD_ENDPOINT"], "accesskeyid": e["CLOUD_KEY_ID"],
     "accesskey": e["CLOUD_SECRET"], "imageid": "ami-12345678",
     "sizeid": "c5.large", "username": "root", "count": 2, "cores": 1,
     "tmp_dir": e["CLOUD_TMP"], "ttl_minutes": 60}
workers, conf = [], {}
extras = []
i = 0
def val():
    global i
    i += 1
    if i >= len(args):
        sys.exit("cloud_conf: %s needs a value" % args[i - 1])
    return args[i]
while i < len(args):
    a = args[i]
    simple = {"--count": ("count", int), "--cores": ("cores", int),
              "--user": ("username", str), "--image": ("imageid", str),
              "--size": ("sizeid", str), "--ttl": ("ttl_minutes", int),
              "--region": ("region", str), "--endpoint": ("endpoint", str)}
    if a in simple:
        k, f = simple[a]
        w[k] = f(val())
    elif a == "--no-keys":
        w.pop("accesskeyid"); w.pop("accesskey")
    elif a == "--set":
        k, _, v = val().partition("=")
        if v == "null":
            w.pop(k, None)
        else:
            w[k] = json.loads(v)
    elif a == "--local":
        workers.append({"type": "multicore", "cores": int(val())})
    elif a == "--faults":
        conf["faults"] = json.loads(val())
    elif a == "--extra":
        extras.append(json.loads(val()))
    else:
        sys.exit("cloud_conf: unknown option %s" % a)
    i += 1
conf["workers"] = workers + [w] + extras
text = json.dumps(conf, indent=2) + "\n"
try:
    os.unlink(out)
except FileNotFoundError:
    pass
fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
with os.fdopen(fd, "w") as f:
    f.write(text)
PY
}

cloud_env() {
  printf 'AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s' "$CLOUD_KEY_ID" "$CLOUD_SECRET"
  [ -n "${CLOUD_TOKEN:-}" ] && printf ' AWS_SESSION_TOKEN=%s' "$CLOUD_TOKEN"
  printf '\n'
}

cloud_instances() {
  [ -f "$CLOUD_STATE/state.json" ] || return 0
  "$CLOUD_PY" - "$CLOUD_STATE/state.json" "$@" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
want = sys.argv[2:] or ["pending", "running"]
xs = sorted(st["instances"].values(), key=lambda x: (x["launchTime"], x["reservationId"], x["amiLaunchIndex"]))
for x in xs:
    if x["state"] in want:
        print(x["instanceId"], x["state"], x.get("privateIpAddress") or "-", x.get("user") or "-")
PY
}

cloud_count() { cloud_instances "$@" | wc -l; }

cloud_wait_running() {
  local n=$1 secs=$2 end=$((SECONDS + $2))
  while [ "$(cloud_count running)" -lt "$n" ]; do
    if [ $SECONDS -ge $end ]; then
      cloud_instances pending running shutting-down terminated >&2
      fail "fewer than $n instances running after $secs s"
    fi
    sleep 0.1
  done
}

cloud_wait_none() {
  local secs=${1:-30} end=$((SECONDS + ${1:-30}))
  while [ -n "$(cloud_instances pending running shutting-down stopping)" ]; do
    if [ $SECONDS -ge $end ]; then
      echo "instances left after $secs s:" >&2
      cloud_instances pending running shutting-down stopping | sed 's/^/    | /' >&2
      fail "instances still up after $secs s"
    fi
    sleep 0.1
  done
}

cloud_admin() {
  "$CLOUD_PY" - "http://127.0.0.1:$CLOUD_PORT/_admin/$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=60).read().decode())
except urllib.error.HTTPError as e:
    sys.stdout.write(e.read().decode())
    sys.exit(1)
PY
}

cloud_requests() {
  [ -f "$CLOUD_STATE/requests.log" ] || return 0
  if [ $# -ge 1 ]; then
    grep -F "\"action\": \"$1\"" "$CLOUD_STATE/requests.log" || true
  else
    cat "$CLOUD_STATE/requests.log"
  fi
}

cloud_ssh() {
  local key=$1 id=$2
  shift 2
  local info addr user hk
  info=$("$CLOUD_PY" -c '
import json, sys
x = json.load(open(sys.argv[1]))["instances"][sys.argv[2]]
print(x.get("privateIpAddress") or "", x.get("user") or "root", x.get("hostKey") or "")
' "$CLOUD_STATE/state.json" "$id") || fail "cloud_ssh: no instance $id"
  read -r addr user hk <<<"$info"
  [ -n "$addr" ] || fail "cloud_ssh: $id has no address"
  printf '%s %s\n' "$addr" "$hk" >"$CLOUD_STATE/known_hosts.$id"
  ssh -F none -i "$key" -o IdentitiesOnly=yes -o UserKnownHostsFile="$CLOUD_STATE/known_hosts.$id" \
    -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes \
    -o ConnectTimeout=10 "$user@$addr" "$@" </dev/null
}

# _cloud_ids: every instance id the fake ever knew.
_cloud_ids() {
  [ -f "$CLOUD_STATE/state.json" ] || return 0
  "$CLOUD_PY" -c '
import json, sys
for i in json.load(open(sys.argv[1]))["instances"]: print(i)
' "$CLOUD_STATE/state.json"
}

cloud_procs() {
  local id
  for id in $(_cloud_ids); do
    local ns="pydron-ec2-$id" p
    [ -e "/run/netns/$ns" ] || continue
    for p in $(ip netns pids "$ns" 2>/dev/null); do
      printf '%s %s\n' "$p" "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
    done
  done
}

# _cloud_left: what is left of this fake's instances (namespaces, veths,
# processes, registry entries), one line each.
_cloud_left() {
  local id
  for id in $(_cloud_ids); do
    local hex=${id#i-}
    [ -e "/run/netns/pydron-ec2-$id" ] && echo "namespace pydron-ec2-$id"
    ip link show "pe${hex: -12}" >/dev/null 2>&1 && echo "veth pe${hex: -12}"
    [ -e "/run/pydron-hosts/ec2-$id" ] && echo "registry /run/pydron-hosts/ec2-$id"
    local f
    for f in "$CLOUD_STATE/instances/$id/sshd.pid" "$CLOUD_STATE/instances/$id/timeout.pid"; do
      [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && echo "process $(cat "$f") ($f)"
    done
  done
  cloud_procs | sed 's/^/process /'
  return 0
}

cloud_gone() {
  local secs=${1:-10} end=$((SECONDS + ${1:-10})) left
  while :; do
    left=$(_cloud_left)
    [ -z "$left" ] && return 0
    if [ $SECONDS -ge $end ]; then
      echo "left after $secs s:" >&2
      printf '%s\n' "$left" | sed 's/^/    | /' >&2
      fail "instances of the fake left behind"
    fi
    sleep 0.1
  done
}
