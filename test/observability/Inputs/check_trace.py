"""Checks a PYDRON_TRACE file: valid JSON in Chrome's trace-event format,
every track named, and for every parallel run of a loop (a "loop" slice)
the chunk slices of that loop inside it cover its iterations exactly once,
as do its chain slices (if any), which also come in iteration order.

usage: check_trace.py TRACE [--threads N] [--truncated] [--min-runs N]
Prints one summary line per loop location."""
import argparse
import json
import sys
from collections import defaultdict


def fail(msg):
    print("check_trace: " + msg, file=sys.stderr)
    sys.exit(1)


ap = argparse.ArgumentParser()
ap.add_argument("trace")
ap.add_argument("--threads", type=int, default=0)
ap.add_argument("--truncated", action="store_true")
ap.add_argument("--min-runs", type=int, default=1)
args = ap.parse_args()

with open(args.trace, encoding="utf-8") as f:
    doc = json.load(f)
if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
    fail("no traceEvents list")
events = doc["traceEvents"]
other = doc.get("otherData", {})

names = {}
slices = []
pids = set()
for e in events:
    ph = e.get("ph")
    pids.add(e.get("pid"))
    if ph == "M":
        if e["name"] == "thread_name":
            if e["tid"] in names:
                fail("track %d named twice" % e["tid"])
            names[e["tid"]] = e["args"]["name"]
    elif ph == "X":
        for key in ("ts", "dur", "tid", "pid", "name", "cat", "args"):
            if key not in e:
                fail("slice without %s: %r" % (key, e))
        if not isinstance(e["ts"], (int, float)) or e["dur"] < 0:
            fail("bad times: %r" % e)
        slices.append(e)
    elif ph == "i":
        if "trace full" not in e["name"]:
            fail("unexpected instant event %r" % e)
    else:
        fail("unexpected phase %r" % ph)
if len(pids) != 1:
    fail("events of several processes: %r" % pids)

for s in slices:
    if s["tid"] not in names:
        fail("track %d has no name" % s["tid"])
for tid, name in names.items():
    want = "main" if tid == 0 else "pydron worker %d" % tid
    if tid < 4097 and name != want:
        fail("track %d is named %r, not %r" % (tid, name, want))

if args.truncated:
    if not other.get("dropped_events"):
        fail("expected dropped events")
    print("truncated after %d events, %d dropped" %
          (other["events"], other["dropped_events"]))
    sys.exit(0)
if other.get("dropped_events"):
    fail("events were dropped")
if other.get("events") != len(slices):
    fail("otherData.events %r, %d slices" % (other.get("events"), len(slices)))

# Slices on one track must nest (Perfetto and chrome://tracing need it).
by_tid = defaultdict(list)
for s in slices:
    by_tid[s["tid"]].append(s)
for tid, ss in by_tid.items():
    ss.sort(key=lambda s: (s["ts"], -s["dur"]))
    stack = []
    for s in ss:
        while stack and s["ts"] >= stack[-1]["ts"] + stack[-1]["dur"] - 1e-3:
            stack.pop()
        if stack and s["ts"] + s["dur"] > stack[-1]["ts"] + stack[-1]["dur"] + 1e-3:
            fail("slices overlap on track %d: %r and %r" % (tid, stack[-1], s))
        stack.append(s)

runs = [s for s in slices if s["cat"] == "loop"]
parts = [s for s in slices if s["cat"] in ("chunk", "chain")]
used = set()
per_loop = defaultdict(lambda: [0, 0, 0, set()])
for run in runs:
    loop = run["args"]["loop"]
    n = run["args"]["iterations"]
    t0, t1 = run["ts"] - 1e-3, run["ts"] + run["dur"] + 1e-3
    for cat in ("chunk", "chain"):
        mine = [s for s in parts
                if s["cat"] == cat and s["args"]["loop"] == loop
                and t0 <= s["ts"] and s["ts"] + s["dur"] <= t1]
        if cat == "chain" and not mine:
            continue
        for s in mine:
            if id(s) in used:
                fail("slice in two runs: %r" % s)
            used.add(id(s))
            if s["args"]["function"] != run["args"]["function"]:
                fail("function of %r" % s)
        if cat == "chunk" and len(mine) != run["args"]["chunks"]:
            fail("%s: run has %d chunks, %d chunk slices" %
                 (loop, run["args"]["chunks"], len(mine)))
        if cat == "chain":
            order = sorted(mine, key=lambda s: s["ts"])
            if [s["args"]["lo"] for s in order] != sorted(s["args"]["lo"] for s in order):
                fail("%s: chain slices out of iteration order" % loop)
        at = 0
        for s in sorted(mine, key=lambda s: s["args"]["lo"]):
            if s["args"]["lo"] != at or s["args"]["hi"] <= at:
                fail("%s: %s slices do not tile [0, %d): [%d, %d) at %d" %
                     (loop, cat, n, s["args"]["lo"], s["args"]["hi"], at))
            at = s["args"]["hi"]
        if at != n:
            fail("%s: %s slices end at %d of %d" % (loop, cat, at, n))
        if cat == "chain":
            per_loop[loop][2] += len(mine)
        else:
            per_loop[loop][1] += len(mine)
    per_loop[loop][0] += 1
    per_loop[loop][3].update(s["tid"] for s in parts
                             if id(s) in used and s["args"]["loop"] == loop)
left = [s for s in parts if id(s) not in used]
if left:
    fail("%d slices outside any run, e.g. %r" % (len(left), left[0]))
for loop in sorted(per_loop):
    r, c, ch, tids = per_loop[loop]
    if r < args.min_runs:
        fail("%s: %d runs" % (loop, r))
    if args.threads and len(tids) > args.threads:
        fail("%s: %d tracks" % (loop, len(tids)))
    print("%s: %d runs, %d chunk slices, %d chain slices, tiled" %
          (loop, r, c, ch))
