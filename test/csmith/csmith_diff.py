#!/usr/bin/env python3
"""csmith_diff.py - differential testing of Pydron on random programs.

For each seed: csmith writes a random C program; inject.py appends kernels
that the plugin can parallelize (most csmith loops are full of calls and
global side effects); the program is built twice,

    plain:   clang-19 -O2                                   (the reference)
    pydron:  pydron-cc -O2 -mllvm -pydron-schedule-all -Rpass=pydron -Rpass-missed=pydron

and the reference runs once (a timeout there skips the program: csmith can
write loops that do not terminate) and the Pydron build runs with
PYDRON_WORKERS=1, PYDRON_WORKERS=4 and PYDRON_WORKERS=4 PYDRON_TINY_CHUNKS=1.
stdout (csmith's checksum, the kernels' hash) and the exit status must be
identical. Failures:

  crash     pydron-cc failed (or timed out) where plain clang compiled
  mismatch  a Pydron run printed something else or exited otherwise
  hang      a Pydron run timed out where the reference finished

Each failure is saved under --save-dir/<seed>/: the program, repro.sh (the
commands), the compiler's messages and every output.

Figures printed at the end: programs tried, compared, skipped (and why),
loops parallelized / not parallelized (remarks of the Pydron build), failures.
Exit status: 0 without failures, 1 with, 2 on a usage or set-up error,
77 when csmith is missing and cannot be installed (--check-deps).
"""
import argparse
import concurrent.futures
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import inject  # noqa: E402

CSMITH_INCLUDE = "/usr/include/csmith"

# csmith option profiles: "default" is csmith as it comes; the others make
# programs with fewer volatiles, pointers and structs, and more arrays, so
# that more of csmith's own loops are candidates.
PROFILES = {
    "default": [],
    "arrays": ["--no-volatiles", "--no-volatile-pointers", "--no-bitfields",
               "--no-unions", "--no-packed-struct", "--max-array-len-per-dim", "16",
               "--max-array-dim", "2"],
    "nopointers": ["--no-volatiles", "--no-volatile-pointers", "--no-pointers",
                   "--no-structs", "--no-unions", "--no-bitfields", "--no-jumps",
                   "--max-array-len-per-dim", "20", "--max-funcs", "6"],
}

PAR_RE = re.compile(r"remark: loop parallelized")
MISS_RE = re.compile(r"remark: loop not parallelized: ?(.*?) \[-Rpass")


def reason_key(text):
    """A verdict's reason without names, locations and explanations."""
    text = re.sub(r"'[^']*'", "'...'", text)
    text = re.sub(r" at \S+:\d+:\d+", "", text)
    text = re.sub(r" \(.*$", "", text)
    return text.strip()


def check_deps(install):
    """'' when csmith and its headers are there (installing them with
    apt-get when missing and allowed), else the reason."""
    def present():
        return shutil.which("csmith") and os.path.exists(
            os.path.join(CSMITH_INCLUDE, "csmith.h"))
    if present():
        return ""
    if not install:
        return "csmith is not installed (Debian packages csmith, libcsmith-dev)"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return ("csmith is not installed (Debian packages csmith, libcsmith-dev) "
                "and this user cannot install it")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log = []
    for cmd in (["apt-get", "install", "-y", "-q", "--no-install-recommends",
                 "csmith", "libcsmith-dev"],
                ["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "--no-install-recommends",
                 "csmith", "libcsmith-dev"]):
        try:
            p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=300,
                               stdin=subprocess.DEVNULL)
            log.append(p.stdout.decode(errors="replace")[-400:])
        except (OSError, subprocess.TimeoutExpired) as e:
            log.append(str(e))
        if present():
            return ""
    return ("csmith is not installed and `apt-get install csmith libcsmith-dev` "
            "failed: " + " | ".join(l.strip().splitlines()[-1] if l.strip() else ""
                                    for l in log))


def run(cmd, timeout, cwd, env=None, stdin=subprocess.DEVNULL):
    """(status, stdout bytes, stderr bytes, seconds); status None on timeout."""
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, stdin=stdin,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        return p.returncode, p.stdout, p.stderr, time.monotonic() - t0
    except subprocess.TimeoutExpired as e:
        return None, e.stdout or b"", e.stderr or b"", time.monotonic() - t0


def clean_env(extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYDRON_") and not k.startswith("ASAN_")}
    env.update(extra)
    return env


RUNS = [
    ("w1", {"PYDRON_WORKERS": "1"}),
    ("w4", {"PYDRON_WORKERS": "4"}),
    ("w4-tiny", {"PYDRON_WORKERS": "4", "PYDRON_TINY_CHUNKS": "1"}),
]


class Result:
    def __init__(self, seed):
        self.seed = seed
        self.status = None   # compared / skip-* / crash / mismatch / hang
        self.detail = ""
        self.parallelized = 0
        self.par_csmith = 0   # of those, csmith's own loops (not injected)
        self.dup_verdicts = []  # loop locations with more than one verdict
        self.not_parallelized = 0
        self.reasons = {}
        self.expected = {}
        self.seconds = 0.0


class Harness:
    def __init__(self, args):
        self.a = args
        self.lock = threading.Lock()
        self.stop_at = time.monotonic() + args.budget

    def cc_plain(self, extra=()):
        return shlex.split(self.a.clang) + ["-O2", "-w", "-fno-crash-diagnostics",
                                            "-I" + CSMITH_INCLUDE, "-I" + self.a.include] + list(extra)

    def cc_pydron(self, extra=()):
        return shlex.split(self.a.pydron_cc) + [
            "-O2", "-w", "-fno-crash-diagnostics", "-I" + CSMITH_INCLUDE,
            "-mllvm", "-pydron-schedule-all", "-Rpass=pydron", "-Rpass-missed=pydron"] + list(extra)

    def one(self, seed):
        res = Result(seed)
        t0 = time.monotonic()
        work = tempfile.mkdtemp(prefix="csmith-%d-" % seed, dir=self.a.tmpdir)
        try:
            self._one(seed, work, res)
        finally:
            res.seconds = time.monotonic() - t0
            if res.status in ("crash", "mismatch", "hang", "skip-unstable"):
                self.save(work, res)
            if not self.a.keep:
                shutil.rmtree(work, ignore_errors=True)
        return res

    def _one(self, seed, work, res):
        a = self.a
        profile = a.profile
        if profile == "mixed":
            profile = sorted(PROFILES)[seed % len(PROFILES)]
        res.profile = profile
        gen = ["csmith", "--seed", str(seed), "-o", "gen.c"] + PROFILES[profile]
        st, out, err, _ = run(gen, 60, work)
        if st != 0:
            res.status, res.detail = "skip-csmith", "csmith failed: %s" % err[-200:]
            return
        with open(os.path.join(work, "gen.c")) as fp:
            text = fp.read()
        if a.inject:
            try:
                text, res.expected = inject.inject(text, seed)
            except ValueError as e:
                res.status, res.detail = "skip-csmith", "inject: %s" % e
                return
        with open(os.path.join(work, "prog.c"), "w") as fp:
            fp.write(text)
        # Every other pair of seeds: -fno-inline-functions (both builds).
        # With -pydron-schedule-all csmith's static functions are inlined
        # into each other before the pydron pass, and the loops of an
        # inlined function get no verdict; without inlining each of csmith's
        # loops is seen in its own function.
        extra = ["-fno-inline-functions"] if (seed // 2) % 2 else []
        res.extra = extra
        res.commands = [
            "csmith %s -o gen.c   # then: python3 inject.py gen.c %d > prog.c"
            % (" ".join(["--seed", str(seed)] + PROFILES[profile]), seed),
            shlex.join(self.cc_plain(extra) + ["prog.c", "-lm", "-o", "seq"]),
            shlex.join(self.cc_pydron(extra) + ["prog.c", "-lm", "-o", "par"]),
        ]
        st, out, err, _ = run(self.cc_plain(extra) + ["prog.c", "-lm", "-o", "seq"],
                              a.compile_timeout, work)
        if st != 0:
            res.status = "skip-plain-build"
            res.detail = "plain clang failed: %s" % err.decode(errors="replace")[-300:]
            return
        st, out, err, _ = run(self.cc_pydron(extra) + ["prog.c", "-lm", "-o", "par"],
                              a.compile_timeout, work)
        remarks = err.decode(errors="replace")
        with open(os.path.join(work, "pydron-cc.stderr"), "w") as fp:
            fp.write(remarks)
        res.parallelized = len(PAR_RE.findall(remarks))
        # which of them are csmith's own loops (outside the injected kernels)
        lines = text.splitlines()
        k0 = next((i + 1 for i, l in enumerate(lines) if "generated by test/csmith/inject.py" in l),
                  None)
        k1 = next((i + 1 for i, l in enumerate(lines) if l.startswith("int main (")), None)
        for m in re.finditer(r"^prog\.c:(\d+):\d+: remark: loop parallelized", remarks, re.M):
            ln = int(m.group(1))
            if k0 is None or k1 is None or not (k0 <= ln < k1):
                res.par_csmith += 1
        verdicts = {}
        for m in re.finditer(r"^(\S+:\d+:\d+): remark: loop (?:not )?parallelized", remarks,
                             re.M):
            verdicts[m.group(1)] = verdicts.get(m.group(1), 0) + 1
        res.dup_verdicts = sorted(k for k, v in verdicts.items() if v > 1)
        for m in MISS_RE.finditer(remarks):
            reason = reason_key(m.group(1))
            res.reasons[reason] = res.reasons.get(reason, 0) + 1
            res.not_parallelized += 1
        if st != 0:
            res.status = "crash"
            res.detail = ("pydron-cc timed out after %ds" % a.compile_timeout if st is None
                          else "pydron-cc exited %d: %s" % (st, remarks[-600:]))
            return
        env = clean_env({})
        st_ref, out_ref, err_ref, secs = run(["./seq"], a.run_timeout, work, env)
        with open(os.path.join(work, "seq.out"), "wb") as fp:
            fp.write(out_ref)
        if st_ref is None:
            res.status, res.detail = "skip-timeout", "reference ran over %ss" % a.run_timeout
            return
        if st_ref < 0:
            res.status = "skip-signal"
            res.detail = "reference died of signal %d" % -st_ref
            return
        if st_ref != 0 or b"checksum = " not in out_ref:
            # csmith's programs print their checksum and return 0. One that
            # does not has undefined behaviour csmith did not prevent (e.g. a
            # side-effect-free infinite loop the optimizer removed, falling
            # through into garbage): any output would be "right".
            res.status = "skip-ub"
            res.detail = "reference exited %d%s" % (
                st_ref, "" if b"checksum = " in out_ref else " without a checksum")
            return
        par_timeout = max(a.run_timeout * 2, secs * 20 + 10)
        bad = []
        for name, settings in RUNS:
            st, out, err, _ = run(["./par"], par_timeout, work, clean_env(settings))
            with open(os.path.join(work, "par-%s.out" % name), "wb") as fp:
                fp.write(out)
            with open(os.path.join(work, "par-%s.err" % name), "wb") as fp:
                fp.write(err)
            res.commands.append("env %s ./par > par-%s.out" % (
                " ".join("%s=%s" % kv for kv in settings.items()), name))
            if st is None:
                bad.append(("hang", "%s: timed out after %.0fs (reference: %.2fs)"
                            % (name, par_timeout, secs)))
                break  # the other settings would only time out too
            elif st != st_ref or out != out_ref:
                bad.append(("mismatch", "%s: exit %s vs %s, stdout %s" % (
                    name, st, st_ref, "same" if out == out_ref else "differs")))
        if bad:
            res.status = "mismatch" if any(k == "mismatch" for k, _ in bad) else "hang"
            res.detail = "; ".join(d for _, d in bad)
            self.check_reference(work, res, extra, st_ref, out_ref, secs)
            return
        res.status = "compared"

    def check_reference(self, work, res, extra, st_ref, out_ref, ref_secs):
        """After a mismatch or a hang: is the reference itself stable? When
        plain clang at -O0 or -O1 prints something else than at -O2, or does
        not finish, the program's behaviour depends on the optimizer
        (undefined behaviour csmith missed, e.g. a side-effect-free loop that
        never ends, which -O2 may delete, or
        floating-point contraction: with -ffp-contract=on, the default, -O2
        may constant-fold a*b+c with one rounding where run-time code rounds
        twice). Pydron cannot be held to one of several legal answers: such a
        program is skipped as unstable (and kept under <save-dir>/unstable)."""
        for opt in ("-O1", "-O0"):
            cmd = [c for c in self.cc_plain(extra) if c != "-O2"] + [
                opt, "prog.c", "-lm", "-o", "seq" + opt]
            st, out, err, _ = run(cmd, self.a.compile_timeout, work)
            if st != 0:
                continue
            st, out, err, _ = run(["./seq" + opt], self.a.run_timeout * 2, work, clean_env({}))
            if st is None and ref_secs * 100 > self.a.run_timeout * 2:
                continue  # maybe just slow without optimization: proves nothing
            if st is None:
                res.status = "skip-unstable"
                res.detail = ("plain clang %s does not finish in %ss where plain -O2 does: "
                              "a loop without side effects that does not terminate, which "
                              "-O2 may delete (Pydron: %s)" % (
                                  opt, self.a.run_timeout * 2, res.detail))
                res.commands.append(shlex.join(cmd) + "; ./seq%s  # times out" % opt)
                return
            with open(os.path.join(work, "seq%s.out" % opt), "wb") as fp:
                fp.write(out)
            res.commands.append(shlex.join(cmd) + "; ./seq%s > seq%s.out" % (opt, opt))
            if st != st_ref or out != out_ref:
                res.status = "skip-unstable"
                res.detail = ("plain clang %s prints something else than plain -O2 "
                              "(Pydron: %s)" % (opt, res.detail))
                return

    def save(self, work, res):
        where = self.a.save_dir
        if res.status == "skip-unstable":
            where = os.path.join(where, "unstable")
        dest = os.path.join(where, "seed-%d" % res.seed)
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(where, exist_ok=True)
        shutil.copytree(work, dest, ignore=shutil.ignore_patterns("seq", "par", "seq-O0", "seq-O1"))
        with open(os.path.join(dest, "repro.sh"), "w") as fp:
            fp.write("#!/bin/sh\n# %s: %s\n# profile %s; from the directory of this file\n"
                     % (res.status, res.detail, getattr(res, "profile", "?")))
            fp.write("set -x\n")
            for c in getattr(res, "commands", []):
                fp.write(c + "\n")
            fp.write("./seq > seq.out\n")
        with open(os.path.join(dest, "reason.txt"), "w") as fp:
            fp.write("%s: %s\n" % (res.status, res.detail))
        res.saved = dest


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pydron-cc", default=os.path.join(HERE, "..", "..", "build", "bin", "pydron-cc"))
    ap.add_argument("--clang", default="clang-19")
    ap.add_argument("--include", default=os.path.join(HERE, "..", "..", "runtime", "include"),
                    help="where pydron.h is (for the plain build)")
    ap.add_argument("--count", type=int, default=50, help="programs to try")
    ap.add_argument("--min-compared", type=int, default=0,
                    help="fail if fewer programs were compared")
    ap.add_argument("--min-parallelized", type=int, default=0,
                    help="fail if fewer loops were parallelized in all")
    ap.add_argument("--budget", type=float, default=300,
                    help="seconds; no program is started after that")
    ap.add_argument("--seed", type=int, default=None,
                    help="first seed (default: random, printed)")
    ap.add_argument("--seeds", default=None, help="comma-separated seeds to try")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--profile", default="mixed", choices=["mixed"] + sorted(PROFILES))
    ap.add_argument("--no-inject", dest="inject", action="store_false")
    ap.add_argument("--run-timeout", type=float, default=5)
    ap.add_argument("--compile-timeout", type=float, default=180)
    ap.add_argument("--save-dir", default=os.path.join(os.getcwd(), "csmith-failures"))
    ap.add_argument("--tmpdir", default=None)
    ap.add_argument("--keep", action="store_true", help="keep every work directory")
    ap.add_argument("--check-deps", action="store_true",
                    help="only check (and install) csmith; exit 0 or 77")
    ap.add_argument("--no-install", dest="install", action="store_false")
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--progress", type=int, default=0,
                    help="print a progress line every N programs")
    a = ap.parse_args()

    why = check_deps(a.install)
    if a.check_deps or why:
        if why:
            print("csmith-diff: UNSUPPORTED: %s" % why)
            return 77
        print("csmith-diff: csmith %s" % subprocess.run(
            ["csmith", "--version"], stdout=subprocess.PIPE).stdout.decode().split("\n")[0])
        return 0
    for tool in (shlex.split(a.pydron_cc)[0], shlex.split(a.clang)[0]):
        if not shutil.which(tool):
            print("csmith-diff: error: no such compiler: %s" % tool)
            return 2

    if a.seeds:
        seeds = [int(s) for s in a.seeds.split(",") if s]
    else:
        first = a.seed if a.seed is not None else random.randrange(1, 1 << 30)
        seeds = list(range(first, first + a.count))
    print("csmith-diff: %d programs from seed %d, %d jobs, budget %.0fs, profile %s, "
          "runtime settings %s" % (len(seeds), seeds[0], a.jobs, a.budget, a.profile,
                                   ", ".join(n for n, _ in RUNS)), flush=True)
    h = Harness(a)
    results = []
    t0 = time.monotonic()
    pending = iter(seeds)
    budget_hit = False
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        running = set()
        while True:
            while len(running) < a.jobs:
                if time.monotonic() > h.stop_at:
                    budget_hit = True
                    break
                s = next(pending, None)
                if s is None:
                    break
                running.add(ex.submit(h.one, s))
            if not running:
                break
            done, running = concurrent.futures.wait(
                running, return_when=concurrent.futures.FIRST_COMPLETED)
            for f in done:
                r = f.result()
                results.append(r)
                if a.verbose or r.status in ("crash", "mismatch", "hang", "skip-unstable"):
                    print("csmith-diff: seed %d (%s%s): %s%s  [%d parallelized, %.1fs]%s" % (
                        r.seed, getattr(r, "profile", "?"),
                        " " + " ".join(r.extra) if getattr(r, "extra", None) else "", r.status,
                        (": " + r.detail) if r.detail else "", r.parallelized, r.seconds,
                        ("\n    saved in " + r.saved) if getattr(r, "saved", None) else ""),
                        flush=True)
                if a.progress and len(results) % a.progress == 0:
                    print("csmith-diff: progress: %d programs, %d compared, %d loops "
                          "parallelized, %d failures, %.0fs" % (
                              len(results), sum(1 for x in results if x.status == "compared"),
                              sum(x.parallelized for x in results),
                              sum(1 for x in results
                                  if x.status in ("crash", "mismatch", "hang")),
                              time.monotonic() - t0), flush=True)
            if budget_hit and not running:
                break
    elapsed = time.monotonic() - t0

    def count(st):
        return sum(1 for r in results if r.status == st)
    tried = len(results)
    compared = count("compared")
    skipped = {k: count(k) for k in ("skip-timeout", "skip-signal", "skip-ub",
                                     "skip-unstable", "skip-plain-build", "skip-csmith")}
    crashes, mismatches, hangs = count("crash"), count("mismatch"), count("hang")
    par = sum(r.parallelized for r in results)
    notpar = sum(r.not_parallelized for r in results)
    with_par = sum(1 for r in results if r.parallelized)
    reasons = {}
    for r in results:
        for k, v in r.reasons.items():
            reasons[k] = reasons.get(k, 0) + v
    exp_par = sum(r.expected.get("parallel", 0) for r in results)
    exp_seq = sum(r.expected.get("sequential", 0) for r in results)
    print("csmith-diff: programs tried %d in %.0fs%s" % (
        tried, elapsed, " (time budget reached)" if budget_hit and tried < len(seeds) else ""))
    print("csmith-diff: compared %d; skipped %d (reference timed out %d, reference died "
          "%d, reference exited non-zero or without checksum %d, reference differs "
          "between -O0/-O1/-O2 %d, plain build failed %d, csmith failed %d)" % (
              compared, sum(skipped.values()), skipped["skip-timeout"],
              skipped["skip-signal"], skipped["skip-ub"], skipped["skip-unstable"],
              skipped["skip-plain-build"], skipped["skip-csmith"]))
    print("csmith-diff: loops parallelized %d (in %d programs; %d of them csmith's own "
          "loops), not parallelized %d; injected kernels %d meant parallel, %d meant "
          "sequential" % (par, with_par, sum(r.par_csmith for r in results), notpar,
                          exp_par, exp_seq))
    top = sorted(reasons.items(), key=lambda kv: -kv[1])[:8]
    for k, v in top:
        print("csmith-diff:   not parallelized %6d  %s" % (v, k))
    dups = [(r.seed, d) for r in results for d in r.dup_verdicts]
    print("csmith-diff: loop locations with more than one verdict: %d%s" % (
        len(dups), (" (e.g. seed %d at %s)" % dups[0]) if dups else ""))
    print("csmith-diff: mismatches %d, compiler crashes %d, hangs %d" % (
        mismatches, crashes, hangs))
    failed = mismatches + crashes + hangs
    if failed:
        print("csmith-diff: failures saved under %s" % a.save_dir)
    if compared < a.min_compared:
        print("csmith-diff: FAIL: only %d programs compared (at least %d wanted)" % (
            compared, a.min_compared))
        failed += 1
    if par < a.min_parallelized:
        print("csmith-diff: FAIL: only %d loops parallelized (at least %d wanted)" % (
            par, a.min_parallelized))
        failed += 1
    print("csmith-diff: %s" % ("FAIL" if failed else "PASS"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
