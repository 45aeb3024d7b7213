#!/usr/bin/python3
"""ec2_client.py - botocore's own EC2 client against the fake (fake_ec2.py),
for the tests of test/cloud.

Reads CLOUD_ENDPOINT, CLOUD_REGION, CLOUD_KEY_ID, CLOUD_SECRET and
CLOUD_TOKEN (cloud.sh's cloud.env); --key-id, --secret, --token, --region
override them. No retries: every error shows as it came.

  run [--count N] [--min N] [--image ID] [--type T] [--client-token T]
      [--user-data FILE] [--tag K=V]... [--behavior stop|terminate]
      [--no-public-ip]                    prints the instance ids
  describe [--filter NAME=V1,V2]... [ID...]
                                          "ID STATE PRIVATE PUBLIC" lines
  wait-running SECS ID...                 waits (DescribeInstances every
                                          0.1 s) until every ID runs; prints
                                          "ID SECONDS ADDRESS"
  wait-state STATE SECS ID...             waits until every ID is in STATE
  terminate ID...                         "ID PREVIOUS CURRENT" lines
  raw [--tamper] [--get] Action K=V...    a request signed by botocore's
                                          SigV4Auth, sent with urllib (with
                                          --tamper the body is changed after
                                          signing); prints "STATUS CODE"
                                          (CODE: OK for 200), exits 3 unless 200

An EC2 error prints "ERROR CODE: MESSAGE" on stdout and exits 3.
"""
import argparse
import os
import sys
import time

os.environ["AWS_CONFIG_FILE"] = "/dev/null"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
for v in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID",
          "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ.pop(v, None)

import botocore.session  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402


def client(a):
    s = botocore.session.get_session()
    return s.create_client(
        "ec2", region_name=a.region, endpoint_url=a.endpoint,
        aws_access_key_id=a.key_id, aws_secret_access_key=a.secret,
        aws_session_token=a.token or None,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"},
                      connect_timeout=10, read_timeout=60))


def describe(c, ids=None, filters=None):
    kw = {}
    if ids:
        kw["InstanceIds"] = ids
    if filters:
        kw["Filters"] = filters
    out = []
    for r in c.describe_instances(**kw)["Reservations"]:
        out.extend(r["Instances"])
    return out


def main():
    e = os.environ
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", default=e.get("CLOUD_ENDPOINT"))
    ap.add_argument("--region", default=e.get("CLOUD_REGION", "us-east-1"))
    ap.add_argument("--key-id", default=e.get("CLOUD_KEY_ID"))
    ap.add_argument("--secret", default=e.get("CLOUD_SECRET"))
    ap.add_argument("--token", default=e.get("CLOUD_TOKEN"))
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--count", type=int, default=1)
    r.add_argument("--min", type=int, default=None)
    r.add_argument("--image", default="ami-12345678")
    r.add_argument("--type", default="c5.large")
    r.add_argument("--client-token", default=None)
    r.add_argument("--user-data", default=None)
    r.add_argument("--tag", action="append", default=[])
    r.add_argument("--behavior", default="terminate")
    r.add_argument("--no-public-ip", action="store_true")
    d = sub.add_parser("describe")
    d.add_argument("--filter", action="append", default=[])
    d.add_argument("ids", nargs="*")
    w = sub.add_parser("wait-running")
    w.add_argument("secs", type=float)
    w.add_argument("ids", nargs="+")
    ws = sub.add_parser("wait-state")
    ws.add_argument("state")
    ws.add_argument("secs", type=float)
    ws.add_argument("ids", nargs="+")
    t = sub.add_parser("terminate")
    t.add_argument("ids", nargs="+")
    raw = sub.add_parser("raw")
    raw.add_argument("--tamper", action="store_true")
    raw.add_argument("--get", action="store_true")
    raw.add_argument("action")
    raw.add_argument("params", nargs="*")
    a = ap.parse_args()
    if not a.endpoint:
        sys.exit("ec2_client.py: no CLOUD_ENDPOINT")
    try:
        if a.cmd == "raw":
            return do_raw(a)
        c = client(a)
        if a.cmd == "run":
            kw = dict(ImageId=a.image, InstanceType=a.type,
                      MinCount=a.min or a.count, MaxCount=a.count,
                      InstanceInitiatedShutdownBehavior=a.behavior)
            if a.client_token:
                kw["ClientToken"] = a.client_token
            if a.user_data:
                # botocore base64-encodes UserData itself.
                kw["UserData"] = open(a.user_data).read()
            if a.tag:
                kw["TagSpecifications"] = [{"ResourceType": "instance", "Tags": [
                    {"Key": kv.split("=", 1)[0], "Value": kv.split("=", 1)[1]}
                    for kv in a.tag]}]
            if a.no_public_ip:
                kw["NetworkInterfaces"] = [{"DeviceIndex": 0,
                                            "AssociatePublicIpAddress": False,
                                            "SubnetId": "subnet-0123abcd",
                                            "Groups": ["sg-0123abcd"]}]
            res = c.run_instances(**kw)
            for i in res["Instances"]:
                print(i["InstanceId"])
        elif a.cmd == "describe":
            filters = []
            for f in a.filter:
                n, v = f.split("=", 1)
                filters.append({"Name": n, "Values": v.split(",")})
            for i in describe(c, a.ids, filters):
                print(i["InstanceId"], i["State"]["Name"],
                      i.get("PrivateIpAddress", "-"), i.get("PublicIpAddress", "-"))
        elif a.cmd in ("wait-running", "wait-state"):
            want = "running" if a.cmd == "wait-running" else a.state
            t0 = time.time()
            done = {}
            while len(done) < len(a.ids):
                for i in describe(c, a.ids):
                    if i["State"]["Name"] == want and i["InstanceId"] not in done:
                        done[i["InstanceId"]] = (time.time() - t0,
                                                 i.get("PrivateIpAddress", "-"))
                if len(done) < len(a.ids):
                    if time.time() - t0 > a.secs:
                        print("TIMEOUT waiting for %s: %s" % (want, " ".join(
                            "%s=%s" % (i["InstanceId"], i["State"]["Name"])
                            for i in describe(c, a.ids))))
                        return 4
                    time.sleep(0.1)
            for i in a.ids:
                print(i, "%.2f" % done[i][0], done[i][1])
        elif a.cmd == "terminate":
            for i in c.terminate_instances(InstanceIds=a.ids)["TerminatingInstances"]:
                print(i["InstanceId"], i["PreviousState"]["Name"], i["CurrentState"]["Name"])
    except ClientError as ex:
        err = ex.response.get("Error", {})
        print("ERROR %s: %s" % (err.get("Code"), err.get("Message")))
        return 3
    return 0


def do_raw(a):
    import urllib.error
    import urllib.parse
    import urllib.request
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    params = [("Action", a.action), ("Version", "2016-11-15")]
    params += [tuple(p.split("=", 1)) for p in a.params]
    body = urllib.parse.urlencode(params)
    url = a.endpoint
    if a.get:
        url, body = url + "?" + body, ""
    req = AWSRequest(method="GET" if a.get else "POST", url=url,
                     data=body.encode() if body else None,
                     headers={} if a.get else
                     {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(a.key_id, a.secret, a.token or None), "ec2", a.region).add_auth(req)
    data = req.body if not a.get else None
    if a.tamper:
        data = data.replace(b"Version", b"Version=2016-11-15&X=1&Ignored")
    r = urllib.request.Request(url, data=data, method=req.method,
                               headers=dict(req.headers.items()))
    try:
        resp = urllib.request.urlopen(r, timeout=30)
        status, text = resp.status, resp.read().decode()
    except urllib.error.HTTPError as ex:
        status, text = ex.code, ex.read().decode()
    import re
    m = re.search(r"<Code>([^<]*)</Code>", text)
    print(status, m.group(1) if m else "OK")
    return 0 if status == 200 else 3


if __name__ == "__main__":
    sys.exit(main())
