#!/usr/bin/env python3
"""pydron-trace-svg - draws a PYDRON_TRACE file as an SVG timeline.

One lane per thread track (main first, then the pool workers), one box per
chunk coloured by loop, chain applications darker on the same lane, and
each parallel run of a loop as a thin bar above the chunks of the thread
that called it. For a quick look without a browser, for documentation, or
on a machine without Perfetto; for everything else open the JSON file in
https://ui.perfetto.dev or chrome://tracing.

usage: pydron-trace-svg.py TRACE.json [-o OUT.svg] [--width PX]
                           [--from MS] [--to MS] [--title TEXT]

Only the Python standard library is used. Convert to PNG with e.g.
`rsvg-convert -o trace.png trace.svg`.
"""
import argparse
import html
import json
import sys

# Loop colours (Tableau 10), picked in order of first appearance.
PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

LANE_H = 34       # height of one thread lane
RUN_H = 6         # the loop-run bar above a lane's chunks
LABEL_W = 150     # room for the lane names
TOP = 54          # title and time axis
LEGEND_ROW = 18


def darker(colour, f=0.6):
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#%02x%02x%02x" % (int(r * f), int(g * f), int(b * f))


def nice_step(span, ticks):
    """A round tick step (1, 2, 5 x 10^k) giving about `ticks` ticks."""
    raw = span / max(ticks, 1)
    step = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1.0
    while step > raw:
        step /= 10
    for m in (1, 2, 5, 10):
        if step * m >= raw:
            return step * m
    return step * 10


def fmt_time(us):
    if us >= 1e6:
        return "%g s" % round(us / 1e6, 6)
    if us >= 1e3:
        return "%g ms" % round(us / 1e3, 6)
    return "%g us" % round(us, 3)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trace")
    ap.add_argument("-o", "--output", default="-")
    ap.add_argument("--width", type=int, default=1200)
    ap.add_argument("--from", dest="t_from", type=float,
                    help="start of the window, ms since the program started")
    ap.add_argument("--to", dest="t_to", type=float,
                    help="end of the window, ms")
    ap.add_argument("--title")
    args = ap.parse_args()

    with open(args.trace, encoding="utf-8") as f:
        doc = json.load(f)
    events = doc["traceEvents"] if isinstance(doc, dict) else doc
    names, process = {}, "pydron trace"
    slices = []
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "thread_name":
            names[e["tid"]] = e["args"]["name"]
        elif e.get("ph") == "M" and e.get("name") == "process_name":
            process = e["args"]["name"]
        elif e.get("ph") == "X":
            slices.append(e)
    if not slices:
        sys.exit("pydron-trace-svg: %s has no slices" % args.trace)

    t0 = min(s["ts"] for s in slices) if args.t_from is None else args.t_from * 1e3
    t1 = (max(s["ts"] + s["dur"] for s in slices) if args.t_to is None
          else args.t_to * 1e3)
    if t1 <= t0:
        sys.exit("pydron-trace-svg: empty time window")
    slices = [s for s in slices if s["ts"] < t1 and s["ts"] + s["dur"] > t0]

    tids = sorted({s["tid"] for s in slices})
    lane = {tid: i for i, tid in enumerate(tids)}
    colours = {}
    for s in sorted(slices, key=lambda s: s["ts"]):
        loop = s["args"].get("loop", s["name"])
        if loop not in colours:
            colours[loop] = PALETTE[len(colours) % len(PALETTE)]

    plot_w = args.width - LABEL_W - 20
    scale = plot_w / (t1 - t0)

    def x(t):
        return LABEL_W + (min(max(t, t0), t1) - t0) * scale

    legend_top = TOP + len(tids) * LANE_H + 16
    height = legend_top + (len(colours) + 1) * LEGEND_ROW + 10
    out = []
    w = out.append
    w('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
      'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">'
      % (args.width, height))
    w('<rect width="100%" height="100%" fill="white"/>')
    title = args.title or "%s (%s)" % (process, args.trace.split("/")[-1])
    w('<text x="10" y="20" font-size="15" font-weight="bold">%s</text>'
      % html.escape(title))

    # Time axis with round ticks.
    step = nice_step(t1 - t0, plot_w / 110)
    tick = (int(t0 / step) + (t0 % step > 0)) * step
    axis_y = TOP - 8
    w('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444"/>'
      % (LABEL_W, axis_y, LABEL_W + plot_w, axis_y))
    while tick <= t1 + 1e-9:
        tx = x(tick)
        w('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#444"/>'
          % (tx, axis_y - 4, tx, axis_y))
        w('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e4e4e4"/>'
          % (tx, TOP, tx, TOP + len(tids) * LANE_H))
        w('<text x="%.1f" y="%d" text-anchor="middle" fill="#444">%s</text>'
          % (tx, axis_y - 7, fmt_time(tick)))
        tick += step

    for tid in tids:
        y = TOP + lane[tid] * LANE_H
        if lane[tid] % 2:
            w('<rect x="0" y="%d" width="%d" height="%d" fill="#f6f6f6"/>'
              % (y, args.width, LANE_H))
        w('<text x="10" y="%d">%s</text>'
          % (y + LANE_H // 2 + 4, html.escape(names.get(tid, "thread %d" % tid))))

    order = {"loop": 0, "chunk": 1, "chain": 2}
    for s in sorted(slices, key=lambda s: (order.get(s["cat"], 3), s["ts"])):
        y = TOP + lane[s["tid"]] * LANE_H
        loop = s["args"].get("loop", s["name"])
        colour = colours[loop]
        sx, ex = x(s["ts"]), x(s["ts"] + s["dur"])
        bw = max(ex - sx, 0.6)
        tip = "%s %s" % (s["name"], s["args"].get("function", ""))
        if "lo" in s["args"]:
            tip += " [%d, %d)" % (s["args"]["lo"], s["args"]["hi"])
        tip += " %s" % fmt_time(s["dur"])
        if s["cat"] == "loop":
            w('<rect x="%.2f" y="%d" width="%.2f" height="%d" fill="%s">'
              '<title>%s</title></rect>'
              % (sx, y + 2, bw, RUN_H, darker(colour, 0.45), html.escape(tip)))
            continue
        top, h = y + RUN_H + 4, LANE_H - RUN_H - 8
        fill = darker(colour) if s["cat"] == "chain" else colour
        w('<rect x="%.2f" y="%d" width="%.2f" height="%d" fill="%s" '
          'stroke="white" stroke-width="0.5"><title>%s</title></rect>'
          % (sx, top, bw, h, fill, html.escape(tip)))
        if bw > 60 and "lo" in s["args"]:
            label = "%d-%d" % (s["args"]["lo"], s["args"]["hi"])
            if len(label) * 6.5 < bw:
                w('<text x="%.1f" y="%d" text-anchor="middle" fill="white" '
                  'font-size="10">%s</text>'
                  % ((sx + ex) / 2, top + h // 2 + 4, label))

    # Legend: one row per loop, and the key to the shapes.
    y = legend_top
    w('<text x="10" y="%d" fill="#444">box: chunk (iterations lo-hi), '
      'dark box: chain, bar above: one parallel run of the loop</text>'
      % (y + 12))
    for i, (loop, colour) in enumerate(colours.items()):
        fn = next((s["args"].get("function", "") for s in slices
                   if s["args"].get("loop", s["name"]) == loop), "")
        ly = y + (i + 1) * LEGEND_ROW
        w('<rect x="10" y="%d" width="14" height="12" fill="%s"/>'
          % (ly + 1, colour))
        w('<text x="30" y="%d">%s  %s</text>'
          % (ly + 12, html.escape(loop), html.escape(fn)))
    w('</svg>')

    text = "\n".join(out) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
