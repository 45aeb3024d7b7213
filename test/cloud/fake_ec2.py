#!/usr/bin/python3
"""fake_ec2.py - a fake EC2 endpoint for the cloud tests of Pydron for C.

    fake_ec2.py --state DIR [--port 0] [--region us-east-1]
                [--key-id ID --secret S [--token T]]
                [--boot test/cloud/boot_instance.sh] [--tmp-dir PATH]
                [--limit N] [--lifetime S] [--boot-delay S] [--default-user U]
    fake_ec2.py --state DIR --stop

An HTTP/1.1 server on 127.0.0.1 (port 0: a free one; DIR/port is written once
it listens, DIR/pid holds its pid) that speaks the EC2 Query API (POST,
form-encoded body, Version=2016-11-15; GET with a query string works too):

  RunInstances        ImageId, InstanceType, MinCount, MaxCount, ClientToken,
                      UserData (base64 "#cloud-config"), TagSpecification.N.*,
                      InstanceInitiatedShutdownBehavior, SecurityGroupId.N,
                      SecurityGroup.N, SubnetId, KeyName, NetworkInterface.N.*,
                      ... (recorded; unknown parameters: UnknownParameter)
  DescribeInstances   InstanceId.N, Filter.N.Name / Filter.N.Value.M
                      (tag:KEY, tag-key, tag-value, instance-state-name,
                      instance-state-code, instance-id, image-id,
                      instance-type, reservation-id, client-token,
                      private-ip-address, ip-address; * and ? wildcards),
                      MaxResults / NextToken
  TerminateInstances  InstanceId.N
  CreateTags          ResourceId.N, Tag.N.Key / Tag.N.Value (instances only)

Every request's SigV4 signature is verified with botocore (see verify()):
an unknown access key id, a missing or wrong session token or a scope for
another region or service is AuthFailure (401), a wrong signature
SignatureDoesNotMatch (403), a malformed Authorization header
IncompleteSignature (400), an X-Amz-Date more than 15 minutes off
RequestExpired (400). Errors have EC2's shape:
<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>.

Instances are real OpenSSH servers, each in a network namespace of its own
(boot_instance.sh): sshd on port 22 of 10.A.B.C+2, reached over a veth pair
(10.A.B.C+1 on this side). The user data's ssh_keys.ed25519_private is the
host key, ssh_authorized_keys are the keys of the user named in the
"# user: NAME" line (default --default-user, root), which must exist on this
machine. write_files are written under DIR/instances/ID/files/ (never run);
runcmd is recorded, never run. An instance is "pending" for --boot-delay
seconds at least (default 0.5), then "running" with privateIpAddress (and
ipAddress, unless a NetworkInterface says AssociatePublicIpAddress=false) =
its address. With --tmp-dir PATH, each instance sees its own
DIR/instances/ID/tmp at PATH (a private bind mount): a disk of its own.

State: DIR/state.json (instances, reservations, client tokens; rewritten
after every change; a restarted fake keeps it and adopts instances whose
sshd still runs). DIR/requests.log: one JSON line per API request (action,
parameters with UserData left out, status, error code). DIR/limit: the
instance limit (pending + running), read on every RunInstances (default
--limit, 8). DIR/instances/ID/: user-data (0600), ssh_host_ed25519_key,
authorized_keys, sshd_config, sshd.log, console.log, net.env, files/, tmp/.

Admin API (GET, no signature, loopback only; answers JSON):
  /_admin/state                      the state (as in state.json)
  /_admin/expire?instance=ID[&instance=ID2...] | ?all=1
        as if the instance's watchdog had fired: it shuts itself down, so
        with InstanceInitiatedShutdownBehavior=terminate it goes
        shutting-down -> terminated (stateReason
        Client.InstanceInitiatedShutdown), otherwise stopping -> stopped
  /_admin/fail-after?n=N[&code=InsufficientInstanceCapacity][&status=500]
        the next RunInstances starts N instances (N < MinCount; 0: none),
        then fails with CODE: the client must find and terminate them
  /_admin/fail-next?action=A&code=C[&status=503][&count=1][&message=M]
        the next COUNT requests of action A (or "*") fail with C before
        doing anything (for retry tests: RequestLimitExceeded, Unavailable)
  /_admin/crash?instance=ID          the instance dies (every process in it
        is killed, its link goes down: connections time out) but EC2 still
        says "running" (TerminateInstances cleans up as usual)
  /_admin/cut?instance=ID | /_admin/heal?instance=ID
        its link goes down (packets dropped silently) / up again
  /_admin/limit?n=N                  sets the instance limit (DIR/limit)
  /_admin/shutdown                   as SIGTERM: terminate everything, exit

SIGTERM, SIGINT, --lifetime seconds (default 900) or --stop end the server
and terminate every instance (no sshd, namespace or veth left). sshd runs
under `timeout` (the fake's remaining lifetime + 30 s); an instance of a
fake that died is collected by the next fake's start, by --stop and by
test/ssh/hosts.sh (registry /run/pydron-hosts/ec2-ID).
"""

import argparse
import base64
import datetime
import fnmatch
import hashlib
import hmac
import http.server
import json
import os
import pwd
import re
import secrets
import signal
import socketserver
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from xml.sax.saxutils import escape

NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
OWNER_ID = "123456789012"
INSTANCE_TYPES = {
    "t3.micro": 2, "t3.small": 2, "t3.medium": 2, "t3.large": 2,
    "c5.large": 2, "c5.xlarge": 4, "c5.2xlarge": 8,
    "m5.large": 2, "m5.xlarge": 4,
}
STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32,
               "terminated": 48, "stopping": 64, "stopped": 80}
LIVE = ("pending", "running")
HERE = os.path.dirname(os.path.abspath(__file__))

# Parameters RunInstances accepts (prefixes, before the first ".N").
RUN_PARAMS = {
    "ImageId", "InstanceType", "MinCount", "MaxCount", "ClientToken",
    "UserData", "TagSpecification", "InstanceInitiatedShutdownBehavior",
    "SecurityGroupId", "SecurityGroup", "SubnetId", "KeyName",
    "NetworkInterface", "Placement", "IamInstanceProfile", "MetadataOptions",
    "BlockDeviceMapping", "EbsOptimized", "Monitoring", "DisableApiTermination",
    "PrivateIpAddress", "CreditSpecification", "InstanceMarketOptions",
    "DryRun", "KernelId", "RamdiskId", "CpuOptions", "LaunchTemplate",
    "HibernationOptions", "PrivateDnsNameOptions", "MaintenanceOptions",
    "EnclaveOptions", "Ipv6AddressCount", "Ipv6Address",
}


class ApiError(Exception):
    def __init__(self, code, message, status=400):
        Exception.__init__(self, message)
        self.code, self.message, self.status = code, message, status


def now_iso(t=None):
    t = time.time() if t is None else t
    return datetime.datetime.utcfromtimestamp(t).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def log(msg):
    sys.stderr.write("fake_ec2 %s: %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


# ---- #cloud-config (the subset Pydron writes) ------------------------------

class CloudConfigError(Exception):
    pass


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _scalar(s):
    s = s.strip()
    if not s:
        return None
    if s[0] == "'":
        if len(s) < 2 or s[-1] != "'":
            raise CloudConfigError("unterminated quote: %s" % s)
        return s[1:-1].replace("''", "'")
    if s[0] == '"':
        if len(s) < 2 or s[-1] != '"':
            raise CloudConfigError("unterminated quote: %s" % s)
        return json.loads(s)
    if s[0] == "[":
        return _flow_seq(s)
    if " #" in s:
        s = s[:s.index(" #")].rstrip()
    if s in ("true", "True", "yes"):
        return True
    if s in ("false", "False", "no"):
        return False
    if s in ("null", "~"):
        return None
    return s


def _flow_seq(s):
    if not s.endswith("]"):
        raise CloudConfigError("unterminated flow sequence: %s" % s)
    body, items, cur, q, i = s[1:-1], [], "", None, 0
    while i < len(body):
        c = body[i]
        if q:
            cur += c
            if c == q:
                if q == "'" and body[i + 1:i + 2] == "'":
                    cur += "'"
                    i += 1
                else:
                    q = None
        elif c in "'\"":
            q = c
            cur += c
        elif c == ",":
            items.append(_scalar(cur))
            cur = ""
        else:
            cur += c
        i += 1
    if q:
        raise CloudConfigError("unterminated quote in %s" % s)
    if cur.strip():
        items.append(_scalar(cur))
    return items


class _Lines:
    def __init__(self, text):
        self.lines = text.split("\n")
        self.i = 0

    def skip(self):
        """Skips blank lines and comment lines (outside block scalars)."""
        while self.i < len(self.lines):
            s = self.lines[self.i].strip()
            if s and not s.startswith("#"):
                return
            self.i += 1

    def peek(self):
        self.skip()
        return self.lines[self.i] if self.i < len(self.lines) else None


def _block_scalar(L, parent_indent, style):
    chomp = style[1:2]  # "", "-" or "+"
    out, ind = [], None
    while L.i < len(L.lines):
        line = L.lines[L.i]
        if line.strip() == "":
            out.append("")
            L.i += 1
            continue
        n = _indent(line)
        if n <= parent_indent:
            break
        if ind is None:
            ind = n
        if n < ind:
            break
        out.append(line[ind:])
        L.i += 1
    while out and out[-1] == "" and chomp != "+":
        out.pop()
    text = "\n".join(out)
    if out and chomp != "-":
        text += "\n"
    return text


def _value_after_key(L, rest, indent):
    """The value of "key: REST" at INDENT: inline, block scalar or nested."""
    rest = rest.strip()
    if rest in ("|", "|-", "|+", ">", ">-"):
        if rest.startswith(">"):
            raise CloudConfigError("folded scalars (>) are not supported")
        return _block_scalar(L, indent, rest)
    if rest and not rest.startswith("#"):
        return _scalar(rest)
    nxt = L.peek()
    if nxt is None:
        return None
    n = _indent(nxt)
    if n > indent or (n == indent and nxt.lstrip().startswith("- ")):
        return _node(L, n)
    return None


def _split_key(s):
    m = re.match(r"^([A-Za-z0-9_./-]+):(\s.*|)$", s)
    if not m:
        raise CloudConfigError("expected KEY: VALUE, got: %s" % s.strip())
    return m.group(1), m.group(2)


def _mapping(L, indent, first=None):
    d = {}
    if first is not None:
        k, rest = _split_key(first)
        d[k] = _value_after_key(L, rest, indent)
    while True:
        line = L.peek()
        if line is None or _indent(line) != indent or line.lstrip().startswith("- "):
            if line is not None and _indent(line) > indent:
                raise CloudConfigError("unexpected indentation: %s" % line.strip())
            return d
        L.i += 1
        k, rest = _split_key(line.strip())
        if k in d:
            raise CloudConfigError("duplicate key %s" % k)
        d[k] = _value_after_key(L, rest, indent)


def _sequence(L, indent):
    out = []
    while True:
        line = L.peek()
        if line is None or _indent(line) != indent or not line.lstrip().startswith("-"):
            return out
        L.i += 1
        item = line.strip()[1:]
        if item.strip() == "":
            nxt = L.peek()
            out.append(_node(L, _indent(nxt)) if nxt and _indent(nxt) > indent else None)
            continue
        sub = indent + 1 + (len(item) - len(item.lstrip(" ")))
        item = item.strip()
        if re.match(r"^[A-Za-z0-9_./-]+:(\s|$)", item) and not item.startswith(("'", '"', "[")):
            out.append(_mapping(L, sub, first=item))
        else:
            out.append(_scalar(item))


def _node(L, indent):
    line = L.peek()
    if line.lstrip().startswith("- ") or line.strip() == "-":
        return _sequence(L, indent)
    return _mapping(L, indent)


def parse_cloud_config(text):
    """Returns (user or None, dict) for a "#cloud-config" document in the
    block style Pydron writes; raises CloudConfigError."""
    if not text.startswith("#cloud-config"):
        raise CloudConfigError("user data does not start with #cloud-config")
    user = None
    for line in text.split("\n"):
        m = re.match(r"^#\s*user:\s*(\S+)\s*$", line)
        if m:
            user = m.group(1)
            break
    L = _Lines(text.replace("\r\n", "\n"))
    if L.peek() is None:
        return user, {}
    if _indent(L.peek()) != 0:
        raise CloudConfigError("the document must start at column 0")
    doc = _node(L, 0)
    if L.peek() is not None:
        raise CloudConfigError("cannot parse: %s" % L.peek().strip())
    if not isinstance(doc, dict):
        raise CloudConfigError("the document is not a mapping")
    return user, doc


# ---- SigV4 (botocore) --------------------------------------------------------

_botocore = None


def botocore_mods():
    global _botocore
    if _botocore is None:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        class FixedTimeSigV4(SigV4Auth):
            """botocore's SigV4Auth, signing at the request's own X-Amz-Date
            (add_auth takes the clock) and over exactly the headers it is
            given (the request is rebuilt from the signed headers only, so
            botocore's blacklist of expect/user-agent must not apply)."""

            def __init__(self, credentials, service, region, timestamp):
                SigV4Auth.__init__(self, credentials, service, region)
                self._fixed_timestamp = timestamp

            def _modify_request_before_signing(self, request):
                request.context["timestamp"] = self._fixed_timestamp
                SigV4Auth._modify_request_before_signing(self, request)

            def headers_to_sign(self, request):
                from botocore.compat import HTTPHeaders
                header_map = HTTPHeaders()
                for name, value in request.headers.items():
                    header_map[name.lower()] = value
                return header_map

        _botocore = (FixedTimeSigV4, AWSRequest, Credentials)
    return _botocore


def parse_authorization(value):
    m = re.match(r"^AWS4-HMAC-SHA256\s+(.*)$", value or "", re.S)
    if not m:
        raise ApiError("IncompleteSignature",
                       "Authorization header requires the AWS4-HMAC-SHA256 "
                       "algorithm (got: %s)" % (value or "none").split(" ")[0])
    fields = {}
    for part in m.group(1).split(","):
        if "=" not in part:
            raise ApiError("IncompleteSignature",
                           "Authorization header: '%s' is not KEY=VALUE" % part.strip())
        k, v = part.strip().split("=", 1)
        fields[k] = v
    for k in ("Credential", "SignedHeaders", "Signature"):
        if k not in fields:
            raise ApiError("IncompleteSignature",
                           "Authorization header requires the '%s' parameter" % k)
    return fields


# ---- the fake -----------------------------------------------------------------

class Fake:
    def __init__(self, args):
        self.args = args
        self.dir = os.path.abspath(args.state)
        self.lock = threading.RLock()
        self.ilocks = {}
        self.threads = []
        self.stopping = False
        self.deadline = time.time() + args.lifetime
        self.state_file = os.path.join(self.dir, "state.json")
        self.state = {"version": 1, "region": args.region, "instances": {},
                      "reservations": {}, "clientTokens": {},
                      "failAfter": None, "failNext": [], "requests": 0}
        if os.path.exists(self.state_file):
            with open(self.state_file) as f:
                old = json.load(f)
            self.state.update(old)

    # -- state ------------------------------------------------------------
    def save(self):
        with self.lock:
            tmp = self.state_file + ".tmp"
            with open(tmp, "w") as f:
                json.dump(self.state, f, indent=1, sort_keys=True)
            os.rename(tmp, self.state_file)

    def ilock(self, iid):
        with self.lock:
            return self.ilocks.setdefault(iid, threading.Lock())

    def set_state(self, inst, name, reason=None):
        inst["state"] = name
        inst["stateCode"] = STATE_CODES[name]
        inst.setdefault("history", []).append([round(time.time(), 3), name])
        if reason:
            inst["stateReason"] = {"code": reason[0], "message": reason[1]}
        if name in ("terminated", "stopped"):
            inst["ipAddress"] = None
            if name == "terminated":
                inst["privateIpAddress"] = None

    def limit(self):
        try:
            with open(os.path.join(self.dir, "limit")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return self.args.limit

    def spawn(self, fn, *a):
        t = threading.Thread(target=fn, args=a, daemon=True)
        t.start()
        with self.lock:
            self.threads = [x for x in self.threads if x.is_alive()] + [t]
        return t

    def idir(self, iid):
        return os.path.join(self.dir, "instances", iid)

    def boot_cmd(self, *a):
        env = dict(os.environ)
        env["BOOT_TIMEOUT"] = str(max(30, int(self.deadline - time.time()) + 30))
        env["PYDRON_EC2_OWNER"] = str(os.getpid())
        return subprocess.run(["bash", self.args.boot] + list(a), env=env,
                              stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=120)

    # -- instances: boot and kill -------------------------------------------
    def prepare(self, inst, user_data):
        """Writes the instance's files from its user data; returns notes."""
        iid = inst["instanceId"]
        d = self.idir(iid)
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        console = []
        fd = os.open(os.path.join(d, "user-data"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(user_data)
        user, doc, err = self.args.default_user, {}, None
        if user_data:
            try:
                u, doc = parse_cloud_config(user_data.decode("utf-8"))
                user = u or user
            except (CloudConfigError, UnicodeDecodeError, ValueError) as e:
                err = "user data: %s" % e
        keys = doc.get("ssh_keys") or {}
        priv = keys.get("ed25519_private") if isinstance(keys, dict) else None
        pub = keys.get("ed25519_public") if isinstance(keys, dict) else None
        hk = os.path.join(d, "ssh_host_ed25519_key")
        for p in (hk, hk + ".pub"):
            if os.path.exists(p):
                os.unlink(p)
        if priv:
            fd = os.open(hk, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(priv if priv.endswith("\n") else priv + "\n")
        else:
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                            "fake-ec2-" + iid, "-f", hk], check=True,
                           stdin=subprocess.DEVNULL)
            console.append("no ssh_keys.ed25519_private: generated a host key")
        r = subprocess.run(["ssh-keygen", "-y", "-f", hk], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL)
        derived = " ".join(r.stdout.split()[:2]) if r.returncode == 0 else None
        if derived is None:
            err = err or "ssh_keys.ed25519_private is not a usable key: %s" % r.stderr.strip()
        elif pub and " ".join(pub.split()[:2]) != derived:
            err = err or "ssh_keys.ed25519_public does not match ed25519_private"
        if derived:
            with open(hk + ".pub", "w") as f:
                f.write(derived + "\n")
        ak = doc.get("ssh_authorized_keys") or []
        if not isinstance(ak, list):
            err = err or "ssh_authorized_keys is not a list"
            ak = []
        with open(os.path.join(d, "authorized_keys"), "w") as f:
            for k in ak:
                f.write("%s\n" % k)
        os.chmod(os.path.join(d, "authorized_keys"), 0o644)
        try:
            pwd.getpwnam(user)
        except KeyError:
            err = err or "user %s does not exist on this machine (use root or pydrontest)" % user
        files = []
        for wf in doc.get("write_files") or []:
            if not isinstance(wf, dict) or not wf.get("path"):
                err = err or "write_files: an entry without a path"
                continue
            content = wf.get("content") or ""
            rel = wf["path"].lstrip("/")
            dest = os.path.join(d, "files", rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "w") as f:
                f.write(content)
            perm = str(wf.get("permissions") or "0644")
            try:
                os.chmod(dest, int(perm, 8))
            except ValueError:
                err = err or "write_files: bad permissions %r" % perm
            files.append({"path": wf["path"], "permissions": perm,
                          "size": len(content.encode()),
                          "sha256": hashlib.sha256(content.encode()).hexdigest()})
        known = {"ssh_deletekeys", "ssh_keys", "ssh_authorized_keys", "write_files",
                 "runcmd", "disable_root", "ssh_pwauth"}
        extra = sorted(set(doc) - known)
        if extra:
            console.append("ignored cloud-config keys: %s" % ", ".join(extra))
        inst["user"] = user
        inst["authorizedKeys"] = ak
        inst["hostKey"] = derived
        inst["hostKeyGiven"] = bool(priv)
        inst["sshDeleteKeys"] = doc.get("ssh_deletekeys")
        inst["writeFiles"] = files
        inst["runcmd"] = doc.get("runcmd") or []
        inst["userDataError"] = err
        if err:
            console.append("ERROR: " + err)
            log("%s: %s" % (iid, err))
        with open(os.path.join(d, "console.log"), "a") as f:
            for c in console:
                f.write(c + "\n")
            f.write("host key: %s\nlogin user: %s\n" % (derived, user))

    def boot(self, iid, user_data):
        t0 = time.time()
        with self.ilock(iid):
            with self.lock:
                inst = self.state["instances"][iid]
                if inst["state"] != "pending":
                    return
            try:
                self.prepare(inst, user_data)
                r = self.boot_cmd("boot", iid, self.idir(iid),
                                  *([self.args.tmp_dir] if self.args.tmp_dir else []))
                ok = r.returncode == 0
                why = (r.stderr or r.stdout).strip()
                addr = r.stdout.strip().split("\n")[-1] if ok else None
            except (OSError, subprocess.SubprocessError) as e:
                ok, why, addr = False, str(e), None
            if not ok:
                log("%s: boot failed: %s" % (iid, why))
                with self.lock:
                    inst["bootError"] = why
                    self.set_state(inst, "terminated",
                                   ("Server.InternalError", "Internal error on launch"))
                    self.save()
                return
            rest = t0 + self.args.boot_delay - time.time()
            if rest > 0:
                time.sleep(rest)
            with self.lock:
                inst["privateIpAddress"] = addr
                inst["privateDnsName"] = "ip-%s.ec2.internal" % addr.replace(".", "-")
                inst["ipAddress"] = addr if inst.get("publicIp", True) else None
                inst["bootSeconds"] = round(time.time() - t0, 3)
                inst["net"] = self.read_net(iid)
                if inst["state"] == "pending":
                    self.set_state(inst, "running")
                self.save()
            log("%s: running at %s (%.2f s)" % (iid, addr, time.time() - t0))

    def read_net(self, iid):
        net = {}
        try:
            with open(os.path.join(self.idir(iid), "net.env")) as f:
                for line in f:
                    if "=" in line:
                        k, v = line.strip().split("=", 1)
                        net[k] = v
        except OSError:
            pass
        return net

    def kill_instance(self, iid):
        r = self.boot_cmd("kill", iid, self.idir(iid))
        if r.returncode != 0:
            log("%s: kill: %s" % (iid, r.stderr.strip()))
        return r.returncode == 0

    def shut_down(self, iid, final, reason):
        """Runs in a thread: kills the instance, then FINAL."""
        with self.ilock(iid):
            t0 = time.time()
            self.kill_instance(iid)
            rest = t0 + 0.2 - time.time()
            if rest > 0 and not self.stopping:
                time.sleep(rest)
            with self.lock:
                inst = self.state["instances"][iid]
                self.set_state(inst, final, reason)
                self.save()

    def begin_shutdown(self, iid, how, reason):
        """Under self.lock: moves a live instance to shutting-down or
        stopping and starts killing it. Returns (previous, current)."""
        inst = self.state["instances"][iid]
        prev = inst["state"]
        if how == "terminate":
            if prev in ("shutting-down", "terminated"):
                return prev, prev
            self.set_state(inst, "shutting-down", reason)
            self.spawn(self.shut_down, iid, "terminated", reason)
        else:
            if prev not in ("pending", "running"):
                return prev, prev
            self.set_state(inst, "stopping", reason)
            self.spawn(self.shut_down, iid, "stopped", reason)
        return prev, inst["state"]

    # -- start-up and the end --------------------------------------------------
    def adopt(self):
        """After a restart: instances whose sshd still runs stay; pending
        ones boot again; the others are gone (terminated)."""
        for iid, inst in self.state["instances"].items():
            st = inst["state"]
            if st in ("terminated", "stopped"):
                continue
            pidf = os.path.join(self.idir(iid), "sshd.pid")
            alive = False
            try:
                with open(pidf) as f:
                    os.kill(int(f.read().strip()), 0)
                alive = True
            except (OSError, ValueError):
                pass
            reg = "/run/pydron-hosts/ec2-" + iid
            if st == "running" and alive:
                try:
                    with open(reg) as f:
                        lines = [l for l in f if not l.startswith("REAPER=")]
                    with open(reg, "w") as f:
                        f.write("".join(lines) + "REAPER=%d\n" % os.getpid())
                except OSError:
                    pass
                log("%s: adopted (still running)" % iid)
                continue
            self.kill_instance(iid)
            if st == "pending":
                ud = b""
                try:
                    with open(os.path.join(self.idir(iid), "user-data"), "rb") as f:
                        ud = f.read()
                except OSError:
                    pass
                self.spawn(self.boot, iid, ud)
            elif st == "stopping":
                self.set_state(inst, "stopped")
            else:
                self.set_state(inst, "terminated",
                               ("Server.InternalError", "the instance was lost"))
        self.save()

    def terminate_all(self):
        with self.lock:
            self.stopping = True
            for iid, inst in self.state["instances"].items():
                if inst["state"] not in ("terminated",):
                    if inst["state"] == "stopped":
                        self.set_state(inst, "terminated",
                                       ("Client.UserInitiatedShutdown",
                                        "Client.UserInitiatedShutdown: the fake stopped"))
                        continue
                    self.begin_shutdown(iid, "terminate",
                                        ("Client.UserInitiatedShutdown",
                                         "Client.UserInitiatedShutdown: the fake stopped"))
            threads = list(self.threads)
        for t in threads:
            t.join(60)
        # Instances whose shutdown was already under way.
        with self.lock:
            left = [i for i, x in self.state["instances"].items()
                    if x["state"] not in ("terminated", "stopped")]
        for iid in left:
            self.kill_instance(iid)
            with self.lock:
                self.set_state(self.state["instances"][iid], "terminated")
        self.save()

    # -- the API ------------------------------------------------------------------
    def verify(self, method, path, headers, body):
        """SigV4, checked independently with botocore: rebuild the request
        from the headers it signed, sign it with botocore's SigV4Auth at its
        own X-Amz-Date, compare."""
        a = self.args
        fields = parse_authorization(headers.get("Authorization"))
        cred = fields["Credential"].split("/")
        if len(cred) != 5 or cred[4] != "aws4_request":
            raise ApiError("IncompleteSignature",
                           "Credential must be KEYID/DATE/REGION/SERVICE/aws4_request")
        if not hmac.compare_digest(cred[0], a.key_id):
            raise ApiError("AuthFailure", "AWS was not able to validate the provided "
                           "access credentials (unknown access key id %s)" % cred[0], 401)
        if cred[2] != a.region:
            raise ApiError("AuthFailure", "Credential should be scoped to a valid "
                           "region, not '%s' (this endpoint is %s)" % (cred[2], a.region), 401)
        if cred[3] != "ec2":
            raise ApiError("AuthFailure", "Credential should be scoped to correct "
                           "service: 'ec2', not '%s'" % cred[3], 401)
        amz_date = headers.get("X-Amz-Date")
        if not amz_date:
            raise ApiError("IncompleteSignature", "no X-Amz-Date header")
        try:
            t = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
        except ValueError:
            raise ApiError("IncompleteSignature", "X-Amz-Date %s is not YYYYMMDDTHHMMSSZ" % amz_date)
        skew = abs((datetime.datetime.utcnow() - t).total_seconds())
        if skew > 900:
            raise ApiError("RequestExpired", "Request has expired: X-Amz-Date %s is "
                           "%d s off" % (amz_date, skew))
        signed = fields["SignedHeaders"].split(";")
        for need in ("host", "x-amz-date"):
            if need not in signed:
                raise ApiError("SignatureDoesNotMatch", "the signature must cover the "
                               "%s header (SignedHeaders=%s)" % (need, fields["SignedHeaders"]), 403)
        token = headers.get("X-Amz-Security-Token")
        if a.token:
            if token is None or not hmac.compare_digest(token, a.token):
                raise ApiError("AuthFailure", "The security token included in the "
                               "request is %s" % ("missing" if token is None else "invalid"), 401)
            if "x-amz-security-token" not in signed:
                raise ApiError("SignatureDoesNotMatch", "the signature must cover "
                               "X-Amz-Security-Token", 403)
        elif token is not None:
            raise ApiError("AuthFailure", "The security token included in the request "
                           "is invalid (this endpoint takes none)", 401)
        sha = headers.get("X-Amz-Content-SHA256")
        if sha is not None and sha != hashlib.sha256(body).hexdigest():
            raise ApiError("SignatureDoesNotMatch", "X-Amz-Content-SHA256 is not the "
                           "SHA-256 of the body", 403)
        FixedTimeSigV4, AWSRequest, Credentials = botocore_mods()
        hdrs = {}
        for name in signed:
            vals = headers.get_all(name)
            if not vals:
                raise ApiError("SignatureDoesNotMatch", "signed header %s is not in "
                               "the request" % name, 403)
            hdrs[name] = ",".join(vals)
        host = headers.get("Host", "")
        req = AWSRequest(method=method, url="http://%s%s" % (host, path),
                         headers=hdrs, data=body)
        signer = FixedTimeSigV4(Credentials(a.key_id, a.secret, a.token or None),
                                "ec2", a.region, amz_date)
        signer.add_auth(req)
        want = parse_authorization(req.headers["Authorization"])
        if want["Credential"] != fields["Credential"]:
            raise ApiError("SignatureDoesNotMatch", "Credential scope %s, expected %s" %
                           (fields["Credential"], want["Credential"]), 403)
        if want["SignedHeaders"] != fields["SignedHeaders"]:
            raise ApiError("SignatureDoesNotMatch", "SignedHeaders %s must be sorted and "
                           "lower case (%s)" % (fields["SignedHeaders"], want["SignedHeaders"]), 403)
        if not hmac.compare_digest(want["Signature"], fields["Signature"]):
            raise ApiError("SignatureDoesNotMatch", "The request signature we calculated "
                           "does not match the signature you provided. Check your AWS "
                           "Secret Access Key and signing method.", 403)

    def dispatch(self, params):
        action = params.get("Action")
        if not action:
            raise ApiError("MissingAction", "The request must contain the parameter Action")
        if not params.get("Version"):
            raise ApiError("MissingParameter", "The request must contain the parameter Version")
        with self.lock:
            for f in self.state["failNext"]:
                if f["count"] > 0 and f["action"] in ("*", action):
                    f["count"] -= 1
                    self.state["failNext"] = [x for x in self.state["failNext"] if x["count"] > 0]
                    self.save()
                    raise ApiError(f["code"], f.get("message") or "injected failure (fail-next)",
                                   f["status"])
        fn = {"RunInstances": self.run_instances,
              "DescribeInstances": self.describe_instances,
              "TerminateInstances": self.terminate_instances,
              "CreateTags": self.create_tags}.get(action)
        if fn is None:
            raise ApiError("InvalidAction", "The action %s is not valid for this web "
                           "service." % action)
        return action, fn(params)

    @staticmethod
    def indexed(params, prefix):
        """PREFIX.N -> values in N order."""
        out = []
        for k, v in params.items():
            m = re.match(r"^%s\.(\d+)$" % re.escape(prefix), k)
            if m:
                out.append((int(m.group(1)), v))
        return [v for _, v in sorted(out)]

    @staticmethod
    def groups(params, prefix):
        """PREFIX.N.rest -> {N: {rest: value}} in N order."""
        out = {}
        for k, v in params.items():
            m = re.match(r"^%s\.(\d+)\.(.+)$" % re.escape(prefix), k)
            if m:
                out.setdefault(int(m.group(1)), {})[m.group(2)] = v
        return [out[n] for n in sorted(out)]

    def run_instances(self, p):
        for k in p:
            if k in ("Action", "Version"):
                continue
            if k.split(".")[0] not in RUN_PARAMS:
                raise ApiError("UnknownParameter", "The parameter %s is not "
                               "recognized" % k.split(".")[0])
        image = p.get("ImageId")
        if not image:
            raise ApiError("MissingParameter", "The request must contain the parameter ImageId")
        if not image.startswith("ami-"):
            raise ApiError("InvalidAMIID.NotFound", "The image id '[%s]' does not exist" % image)
        itype = p.get("InstanceType", "t3.micro")
        if itype not in INSTANCE_TYPES:
            raise ApiError("InvalidParameterValue", "Invalid value '%s' for InstanceType." % itype)
        counts = []
        for k in ("MinCount", "MaxCount"):
            if k not in p:
                raise ApiError("MissingParameter", "The request must contain the parameter %s" % k)
            try:
                counts.append(int(p[k]))
            except ValueError:
                raise ApiError("InvalidParameterValue", "Invalid value '%s' for %s" % (p[k], k))
        lo, hi = counts
        if lo < 1 or hi < lo:
            raise ApiError("InvalidParameterValue", "MinCount must be at least 1 and "
                           "MaxCount at least MinCount (got %d, %d)" % (lo, hi))
        behavior = p.get("InstanceInitiatedShutdownBehavior", "stop")
        if behavior not in ("stop", "terminate"):
            raise ApiError("InvalidParameterValue", "Invalid value '%s' for "
                           "InstanceInitiatedShutdownBehavior" % behavior)
        try:
            ud = base64.b64decode(p.get("UserData", ""), validate=True)
        except ValueError:
            raise ApiError("InvalidParameterValue", "Invalid BASE64 encoding of user data.")
        if len(ud) > 16384:
            raise ApiError("InvalidParameterValue", "User data is limited to 16384 bytes")
        tags, specs = [], []
        for ts in self.groups(p, "TagSpecification"):
            rt = ts.get("ResourceType")
            if not rt:
                raise ApiError("MissingParameter", "TagSpecification needs a ResourceType")
            if rt not in ("instance", "volume", "network-interface", "spot-instances-request"):
                raise ApiError("InvalidParameterValue", "'%s' is not a valid taggable "
                               "resource type for this operation." % rt)
            keys = {}
            for k, v in ts.items():
                m = re.match(r"^Tag\.(\d+)\.(Key|Value)$", k)
                if m:
                    keys.setdefault(int(m.group(1)), {})[m.group(2)] = v
                elif k != "ResourceType":
                    raise ApiError("UnknownParameter", "TagSpecification: %s" % k)
            tl = []
            for n in sorted(keys):
                if "Key" not in keys[n]:
                    raise ApiError("InvalidParameterValue", "Tag %d has no Key" % n)
                if keys[n]["Key"].startswith("aws:"):
                    raise ApiError("InvalidParameterValue", "Tag keys starting with "
                                   "'aws:' are reserved for internal use")
                tl.append({"key": keys[n]["Key"], "value": keys[n].get("Value", "")})
            if len({t["key"] for t in tl}) != len(tl):
                raise ApiError("InvalidParameterValue", "duplicate tag key")
            specs.append({"resourceType": rt, "tags": tl})
            if rt == "instance":
                tags.extend(tl)
        nis = self.groups(p, "NetworkInterface")
        public_ip = True
        for ni in nis:
            if ni.get("AssociatePublicIpAddress", "").lower() == "false":
                public_ip = False
        sgs = self.indexed(p, "SecurityGroupId")
        for ni in nis:
            sgs += [v for k, v in sorted(ni.items()) if k.startswith("SecurityGroupId.")]
        subnet = p.get("SubnetId") or next((ni["SubnetId"] for ni in nis if "SubnetId" in ni), None)
        if p.get("DryRun", "").lower() == "true":
            raise ApiError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412)
        token = p.get("ClientToken")
        phash = hashlib.sha256(json.dumps(
            sorted((k, v) for k, v in p.items() if k != "ClientToken")).encode()).hexdigest()
        with self.lock:
            if token:
                if len(token) > 64:
                    raise ApiError("InvalidParameterValue", "ClientToken is longer than 64 characters")
                seen = self.state["clientTokens"].get(token)
                if seen:
                    if seen["hash"] != phash:
                        raise ApiError("IdempotentParameterMismatch", "The client token %s "
                                       "was used with other parameters" % token)
                    res = self.state["reservations"][seen["reservationId"]]
                    return self.xml_run(res["reservationId"],
                                        [self.state["instances"][i] for i in res["instances"]])
            live = sum(1 for x in self.state["instances"].values() if x["state"] in LIVE)
            avail = self.limit() - live
            fail = self.state.get("failAfter")
            if fail is not None:
                self.state["failAfter"] = None
                n = min(fail["n"], hi)
            else:
                if avail < lo:
                    raise ApiError("InstanceLimitExceeded", "You have requested more "
                                   "instances (%d) than your current instance limit of %d "
                                   "allows for the specified instance type. %d are running "
                                   "or pending." % (lo, self.limit(), live))
                n = min(hi, avail)
            rid = "r-" + secrets.token_hex(9)[:17]
            ids = []
            t = time.time()
            for k in range(n):
                iid = "i-" + secrets.token_hex(9)[:17]
                inst = {
                    "instanceId": iid, "reservationId": rid, "imageId": image,
                    "instanceType": itype, "amiLaunchIndex": k, "launchTime": now_iso(t),
                    "clientToken": token, "tags": tags,
                    "tagSpecifications": specs, "shutdownBehavior": behavior,
                    "securityGroupIds": sgs, "securityGroups": self.indexed(p, "SecurityGroup"),
                    "subnetId": subnet, "keyName": p.get("KeyName"),
                    "networkInterfaces": nis, "publicIp": public_ip,
                    "userDataLength": len(ud),
                    "userDataSha256": hashlib.sha256(ud).hexdigest(),
                    "params": {k2: v for k2, v in p.items() if k2 != "UserData"},
                    "privateIpAddress": None, "ipAddress": None,
                    "dir": self.idir(iid), "stateReason": None,
                }
                self.set_state(inst, "pending")
                self.state["instances"][iid] = inst
                ids.append(iid)
                self.spawn(self.boot, iid, ud)
            self.state["reservations"][rid] = {"reservationId": rid, "instances": ids,
                                               "clientToken": token}
            if fail is not None:
                self.save()
                log("fail-after: started %s, failing with %s" % (" ".join(ids), fail["code"]))
                raise ApiError(fail["code"], fail.get("message") or
                               "We currently do not have sufficient %s capacity in the "
                               "Availability Zone you requested (%sa)." % (itype, self.args.region),
                               fail["status"])
            if token:
                self.state["clientTokens"][token] = {"reservationId": rid, "hash": phash}
            self.save()
            return self.xml_run(rid, [self.state["instances"][i] for i in ids])

    def check_ids(self, ids):
        for i in ids:
            if not re.match(r"^i-[0-9a-f]{8,17}$", i):
                raise ApiError("InvalidInstanceID.Malformed", "Invalid id: \"%s\"" % i)
        missing = [i for i in ids if i not in self.state["instances"]]
        if missing:
            raise ApiError("InvalidInstanceID.NotFound", "The instance ID%s '%s' do%s not exist" %
                           ("s" if len(missing) > 1 else "", ", ".join(missing),
                            "" if len(missing) > 1 else "es"))

    def filter_match(self, inst, name, values):
        def wild(v, pats):
            v = "" if v is None else str(v)
            return any(fnmatch.fnmatchcase(v, pat.replace("[", "[[]")) for pat in pats)
        tags = {t["key"]: t["value"] for t in inst.get("tags") or []}
        if name.startswith("tag:"):
            k = name[4:]
            return k in tags and wild(tags[k], values)
        simple = {"instance-state-name": inst["state"], "instance-state-code": inst["stateCode"],
                  "instance-id": inst["instanceId"], "image-id": inst["imageId"],
                  "instance-type": inst["instanceType"], "reservation-id": inst["reservationId"],
                  "client-token": inst.get("clientToken"),
                  "private-ip-address": inst.get("privateIpAddress"),
                  "ip-address": inst.get("ipAddress")}
        if name in simple:
            return wild(simple[name], values)
        if name == "tag-key":
            return any(wild(k, values) for k in tags)
        if name == "tag-value":
            return any(wild(v, values) for v in tags.values())
        raise ApiError("InvalidParameterValue", "The filter '%s' is invalid" % name)

    def describe_instances(self, p):
        ids = self.indexed(p, "InstanceId")
        filters = []
        for f in self.groups(p, "Filter"):
            if "Name" not in f:
                raise ApiError("InvalidParameterValue", "a Filter without a Name")
            vals = [v for k, v in sorted(f.items(), key=lambda kv: kv[0]) if k.startswith("Value.")]
            filters.append((f["Name"], vals))
        maxr = p.get("MaxResults")
        if maxr is not None:
            if ids:
                raise ApiError("InvalidParameterCombination", "The parameter instancesSet "
                               "cannot be used with the parameter maxResults")
            try:
                maxr = int(maxr)
            except ValueError:
                raise ApiError("InvalidParameterValue", "Invalid value '%s' for MaxResults" % maxr)
            if not 5 <= maxr <= 1000:
                raise ApiError("InvalidParameterValue", "Value ( %d ) for parameter maxResults "
                               "is invalid. Expecting a value between 5 and 1000." % maxr)
        with self.lock:
            self.check_ids(ids)
            sel = [x for x in self.state["instances"].values()
                   if (not ids or x["instanceId"] in ids)
                   and all(self.filter_match(x, n, v) for n, v in filters)]
            sel.sort(key=lambda x: (x["launchTime"], x["reservationId"], x["amiLaunchIndex"]))
            start, nxt = 0, None
            if p.get("NextToken"):
                try:
                    start = int(base64.b64decode(p["NextToken"]).decode())
                except ValueError:
                    raise ApiError("InvalidParameterValue", "Invalid NextToken")
            if maxr is not None:
                if start + maxr < len(sel):
                    nxt = base64.b64encode(str(start + maxr).encode()).decode()
                sel = sel[start:start + maxr]
            else:
                sel = sel[start:]
            res = []
            for x in sel:
                if not res or res[-1][0] != x["reservationId"]:
                    res.append((x["reservationId"], []))
                res[-1][1].append(x)
            out = ["<reservationSet>"]
            for rid, insts in res:
                out.append("<item><reservationId>%s</reservationId><ownerId>%s</ownerId>"
                           "<groupSet/><instancesSet>%s</instancesSet></item>" %
                           (rid, OWNER_ID, "".join(self.xml_instance(x) for x in insts)))
            out.append("</reservationSet>")
            if nxt:
                out.append("<nextToken>%s</nextToken>" % nxt)
            return "".join(out)

    def terminate_instances(self, p):
        ids = self.indexed(p, "InstanceId")
        if not ids:
            raise ApiError("MissingParameter", "The request must contain the parameter InstanceId")
        with self.lock:
            self.check_ids(ids)
            out = ["<instancesSet>"]
            for iid in ids:
                prev, cur = self.begin_shutdown(iid, "terminate", (
                    "Client.UserInitiatedShutdown",
                    "Client.UserInitiatedShutdown: User initiated shutdown"))
                out.append("<item><instanceId>%s</instanceId><currentState><code>%d</code>"
                           "<name>%s</name></currentState><previousState><code>%d</code>"
                           "<name>%s</name></previousState></item>" %
                           (iid, STATE_CODES[cur], cur, STATE_CODES[prev], prev))
            out.append("</instancesSet>")
            self.save()
            return "".join(out)

    def create_tags(self, p):
        ids = self.indexed(p, "ResourceId")
        if not ids:
            raise ApiError("MissingParameter", "The request must contain the parameter ResourceId")
        n = 1
        pairs = []
        while ("Tag.%d.Key" % n) in p:
            pairs.append((p["Tag.%d.Key" % n], p.get("Tag.%d.Value" % n, "")))
            n += 1
        if not pairs:
            raise ApiError("MissingParameter", "The request must contain the parameter Tag")
        with self.lock:
            self.check_ids(ids)
            for iid in ids:
                tags = self.state["instances"][iid]["tags"]
                for k, v in pairs:
                    for t in tags:
                        if t["key"] == k:
                            t["value"] = v
                            break
                    else:
                        tags.append({"key": k, "value": v})
            self.save()
            return "<return>true</return>"

    # -- XML -----------------------------------------------------------------------
    def xml_run(self, rid, insts):
        return ("<reservationId>%s</reservationId><ownerId>%s</ownerId><groupSet/>"
                "<instancesSet>%s</instancesSet>" %
                (rid, OWNER_ID, "".join(self.xml_instance(x) for x in insts)))

    def xml_instance(self, x):
        e = lambda v: escape("" if v is None else str(v))
        o = ["<item>",
             "<instanceId>%s</instanceId>" % x["instanceId"],
             "<imageId>%s</imageId>" % e(x["imageId"]),
             "<instanceState><code>%d</code><name>%s</name></instanceState>" %
             (x["stateCode"], x["state"]),
             "<privateDnsName>%s</privateDnsName>" % e(x.get("privateDnsName")
                                                      if x.get("privateIpAddress") else ""),
             "<dnsName/>", "<reason/>",
             "<amiLaunchIndex>%d</amiLaunchIndex>" % x["amiLaunchIndex"],
             "<productCodes/>",
             "<instanceType>%s</instanceType>" % e(x["instanceType"]),
             "<launchTime>%s</launchTime>" % x["launchTime"],
             "<placement><availabilityZone>%sa</availabilityZone><groupName/>"
             "<tenancy>default</tenancy></placement>" % e(self.args.region),
             "<monitoring><state>disabled</state></monitoring>"]
        if x.get("subnetId"):
            o.append("<subnetId>%s</subnetId><vpcId>vpc-0fa4e0c0ffee0000</vpcId>" % e(x["subnetId"]))
        if x.get("privateIpAddress"):
            o.append("<privateIpAddress>%s</privateIpAddress>" % x["privateIpAddress"])
        if x.get("ipAddress"):
            o.append("<ipAddress>%s</ipAddress>" % x["ipAddress"])
        o.append("<sourceDestCheck>true</sourceDestCheck><groupSet>")
        for g in x.get("securityGroupIds") or []:
            o.append("<item><groupId>%s</groupId><groupName>%s</groupName></item>" % (e(g), e(g)))
        o.append("</groupSet>")
        if x.get("stateReason"):
            o.append("<stateReason><code>%s</code><message>%s</message></stateReason>" %
                     (e(x["stateReason"]["code"]), e(x["stateReason"]["message"])))
        o.append("<architecture>x86_64</architecture><rootDeviceType>ebs</rootDeviceType>"
                 "<rootDeviceName>/dev/xvda</rootDeviceName><blockDeviceMapping/>"
                 "<virtualizationType>hvm</virtualizationType>")
        if x.get("clientToken"):
            o.append("<clientToken>%s</clientToken>" % e(x["clientToken"]))
        if x.get("tags"):
            o.append("<tagSet>")
            for t in x["tags"]:
                o.append("<item><key>%s</key><value>%s</value></item>" % (e(t["key"]), e(t["value"])))
            o.append("</tagSet>")
        o.append("<hypervisor>xen</hypervisor><networkInterfaceSet/>"
                 "<ebsOptimized>false</ebsOptimized>")
        o.append("<cpuOptions><coreCount>%d</coreCount><threadsPerCore>1</threadsPerCore>"
                 "</cpuOptions>" % INSTANCE_TYPES.get(x["instanceType"], 1))
        o.append("</item>")
        return "".join(o)

    # -- admin -----------------------------------------------------------------------
    def admin(self, path, q):
        def one(name, default=None):
            v = q.get(name)
            return v[-1] if v else default

        def instances():
            with self.lock:
                if one("all") == "1":
                    return [i for i, x in self.state["instances"].items() if x["state"] in LIVE]
                ids = q.get("instance") or []
                if not ids:
                    raise ApiError("MissingParameter", "give instance=ID")
                self.check_ids(ids)
                return ids

        if path == "/_admin/state":
            with self.lock:
                return json.loads(json.dumps(self.state))
        if path == "/_admin/expire":
            done = {}
            with self.lock:
                for iid in instances():
                    inst = self.state["instances"][iid]
                    prev, cur = self.begin_shutdown(iid, inst["shutdownBehavior"], (
                        "Client.InstanceInitiatedShutdown",
                        "Client.InstanceInitiatedShutdown: Instance initiated shutdown"))
                    done[iid] = {"previous": prev, "current": cur,
                                 "behavior": inst["shutdownBehavior"]}
                self.save()
            return {"expired": done}
        if path == "/_admin/fail-after":
            f = {"n": int(one("n", "0")), "code": one("code", "InsufficientInstanceCapacity"),
                 "status": int(one("status", "500")), "message": one("message")}
            with self.lock:
                self.state["failAfter"] = f
                self.save()
            return {"failAfter": f}
        if path == "/_admin/fail-next":
            f = {"action": one("action", "*"), "code": one("code", "RequestLimitExceeded"),
                 "status": int(one("status", "503")), "count": int(one("count", "1")),
                 "message": one("message")}
            with self.lock:
                self.state["failNext"].append(f)
                self.save()
            return {"failNext": self.state["failNext"]}
        if path == "/_admin/crash":
            ids = instances()
            for iid in ids:
                with self.ilock(iid):
                    r = self.boot_cmd("crash", iid, self.idir(iid))
                    if r.returncode != 0:
                        raise ApiError("InternalError", r.stderr.strip(), 500)
                with self.lock:
                    self.state["instances"][iid]["crashed"] = True
                    self.save()
            return {"crashed": ids}
        if path in ("/_admin/cut", "/_admin/heal"):
            ids = instances()
            for iid in ids:
                r = self.boot_cmd(path[8:], iid, self.idir(iid))
                if r.returncode != 0:
                    raise ApiError("InternalError", r.stderr.strip(), 500)
            return {path[8:]: ids}
        if path == "/_admin/limit":
            n = int(one("n", str(self.args.limit)))
            with open(os.path.join(self.dir, "limit"), "w") as f:
                f.write("%d\n" % n)
            return {"limit": n}
        if path == "/_admin/shutdown":
            threading.Thread(target=self.server.shutdown, daemon=True).start()
            return {"shutdown": True}
        raise ApiError("NotFound", "no admin path %s" % path, 404)

    def log_request(self, entry):
        with self.lock:
            self.state["requests"] = self.state.get("requests", 0) + 1
            with open(os.path.join(self.dir, "requests.log"), "a") as f:
                f.write(json.dumps(entry, sort_keys=True) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AmazonEC2"
    sys_version = ""

    def log_message(self, fmt, *a):
        if os.environ.get("FAKE_EC2_VERBOSE"):
            log("%s %s" % (self.client_address[0], fmt % a))

    def reply(self, status, body, ctype):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", self.request_id)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                n = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline().strip():
                        pass
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def handle_any(self, method):
        fake = self.server.fake
        self.request_id = str(uuid.uuid4())
        body = self.read_body()
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/_admin/"):
            if self.client_address[0] != "127.0.0.1":
                return self.reply(403, '{"error": "loopback only"}\n', "application/json")
            try:
                ans = fake.admin(url.path, urllib.parse.parse_qs(url.query))
                return self.reply(200, json.dumps(ans, indent=1, sort_keys=True) + "\n",
                                  "application/json")
            except ApiError as e:
                return self.reply(e.status, json.dumps({"error": e.code, "message": e.message}) + "\n",
                                  "application/json")
            except (ValueError, KeyError) as e:
                return self.reply(400, json.dumps({"error": "bad request", "message": str(e)}) + "\n",
                                  "application/json")
        params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        if method == "POST":
            try:
                params.update(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                                                     strict_parsing=bool(body)))
            except (ValueError, UnicodeDecodeError):
                params = {"Action": params.get("Action") or "?"}
        action = params.get("Action")
        entry = {"t": round(time.time(), 3), "method": method, "action": action,
                 "params": {k: v for k, v in params.items() if k != "UserData"},
                 "userDataLength": len(params.get("UserData", "")),
                 "userAgent": self.headers.get("User-Agent")}
        try:
            fake.verify(method, self.path, self.headers, body)
            action, xml = fake.dispatch(params)
            tag = action + "Response"
            out = ('<?xml version="1.0" encoding="UTF-8"?>\n<%s xmlns="%s">'
                   "<requestId>%s</requestId>%s</%s>\n" % (tag, NS, self.request_id, xml, tag))
            entry.update(status=200, code=None)
            fake.log_request(entry)
            self.reply(200, out, "text/xml;charset=UTF-8")
        except ApiError as e:
            entry.update(status=e.status, code=e.code, message=e.message)
            fake.log_request(entry)
            self.reply(e.status, '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors>'
                       "<Error><Code>%s</Code><Message>%s</Message></Error></Errors>"
                       "<RequestID>%s</RequestID></Response>\n" %
                       (escape(e.code), escape(e.message), self.request_id),
                       "text/xml;charset=UTF-8")
        except Exception as e:  # a bug here: say so, as EC2 would
            log("internal error: %r" % e)
            import traceback
            traceback.print_exc()
            entry.update(status=500, code="InternalError", message=repr(e))
            fake.log_request(entry)
            self.reply(500, '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors>'
                       "<Error><Code>InternalError</Code><Message>%s</Message></Error>"
                       "</Errors><RequestID>%s</RequestID></Response>\n" %
                       (escape(repr(e)), self.request_id), "text/xml;charset=UTF-8")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cmd_stop(args):
    d = os.path.abspath(args.state)
    pid = None
    try:
        with open(os.path.join(d, "pid")) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        pass
    if pid and pid_alive(pid):
        os.kill(pid, signal.SIGTERM)
        end = time.time() + 60
        while pid_alive(pid) and time.time() < end:
            time.sleep(0.05)
        if pid_alive(pid):
            log("pid %d still alive after 60 s: SIGKILL" % pid)
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
    # Whatever it left (it died without cleaning up, or never answered).
    rc = 0
    sf = os.path.join(d, "state.json")
    if os.path.exists(sf):
        fake = Fake(args)
        for iid, inst in fake.state["instances"].items():
            if inst["state"] != "terminated":
                if not fake.kill_instance(iid):
                    rc = 1
                fake.set_state(inst, "terminated")
        fake.save()
    r = subprocess.run(["bash", args.boot, "gc"], stdin=subprocess.DEVNULL)
    for f in ("pid", "port"):
        try:
            os.unlink(os.path.join(d, f))
        except OSError:
            pass
    return rc or r.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--state", required=True, help="the state directory")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--key-id", default=None)
    ap.add_argument("--secret", default=None)
    ap.add_argument("--token", default=None)
    ap.add_argument("--boot", default=os.path.join(HERE, "boot_instance.sh"))
    ap.add_argument("--tmp-dir", default=None,
                    help="each instance sees its own DIR/instances/ID/tmp here")
    ap.add_argument("--limit", type=int, default=8)
    ap.add_argument("--lifetime", type=float, default=900)
    ap.add_argument("--boot-delay", type=float, default=0.5)
    ap.add_argument("--default-user", default="root")
    ap.add_argument("--stop", action="store_true")
    args = ap.parse_args()
    args.boot = os.path.abspath(args.boot)
    if args.stop:
        return cmd_stop(args)
    # 0755: sshd reads DIR/instances/ID/authorized_keys as the login user.
    # The secrets in it (credentials, user-data, host keys) are 0600.
    os.makedirs(args.state, exist_ok=True)
    os.chmod(args.state, 0o755)
    os.makedirs(os.path.join(args.state, "instances"), exist_ok=True)
    os.chmod(os.path.join(args.state, "instances"), 0o755)
    if not args.key_id or not args.secret:
        args.key_id = args.key_id or "AKIA" + secrets.token_hex(8).upper()
        args.secret = args.secret or secrets.token_urlsafe(30)
        p = os.path.join(args.state, "credentials")
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n" % (args.key_id, args.secret))
        log("credentials in %s" % p)
    botocore_mods()  # fail now, not on the first request
    if os.geteuid() != 0:
        log("warning: not root: instances cannot boot")
    fake = Fake(args)
    with open(os.path.join(args.state, "pid"), "w") as f:
        f.write("%d\n" % os.getpid())
    fake.adopt()
    subprocess.run(["bash", args.boot, "gc"], stdin=subprocess.DEVNULL)
    server = Server(("127.0.0.1", args.port), Handler)
    server.fake = fake
    fake.server = server
    port = server.server_address[1]
    tmp = os.path.join(args.state, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, os.path.join(args.state, "port"))
    log("listening on 127.0.0.1:%d (region %s, state %s)" % (port, args.region, fake.dir))

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, stop)
    timer = threading.Timer(args.lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        log("stopping: terminating every instance")
        fake.terminate_all()
        server.server_close()
        for f in ("port", "pid"):
            try:
                os.unlink(os.path.join(args.state, f))
            except OSError:
                pass
        log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
