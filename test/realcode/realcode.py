#!/usr/bin/env python3
"""realcode.py - build a well-known C project with Pydron and check it.

    realcode.py PROJECT --cache DIR --work DIR [--pydron-cc ...] [--clang ...]

PROJECT is one of: %(projects)s.

1. Fetch: the project's Debian source package, with apt-get source through a
   private apt configuration under --cache (a sources file with deb-src
   lines mirroring /etc/apt/sources.list.d/debian.sources; its own lists and
   cache directories), so the system's package lists are never touched. The
   unpacked source is kept in --cache and reused by later runs. When the
   download fails the script prints `PYDRON-UNSUPPORTED: <reason>` and exits
   77 (the lit format in lib/ turns that into UNSUPPORTED).
2. Build twice from pristine copies: with plain clang-19 -O2 (reference) and
   with pydron-cc -O2 -mllvm -pydron-schedule-all (every function is a
   schedule function) -Rpass=pydron -Rpass-missed=pydron. A failing Pydron
   build where the plain one succeeds is a failure.
3. Run the project's own test program(s) and a fixed set of workloads with
   the reference and with the Pydron build under PYDRON_WORKERS=1,
   PYDRON_WORKERS=4 and PYDRON_WORKERS=4 PYDRON_TINY_CHUNKS=1; every output
   (and every exit status) must be identical to the reference's.
4. Print the figures: loops parallelized / not parallelized (remarks of the
   Pydron build), tests run, comparisons made.

Exit status: 0 pass, 1 failure, 2 usage error, 77 unsupported here.
"""
import argparse
import fcntl
import glob
import hashlib
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

DEBIAN_SOURCES = "/etc/apt/sources.list.d/debian.sources"

RUNS = [
    ("w1", {"PYDRON_WORKERS": "1"}),
    ("w4", {"PYDRON_WORKERS": "4"}),
    ("w4-tiny", {"PYDRON_WORKERS": "4", "PYDRON_TINY_CHUNKS": "1"}),
]


class Unsupported(Exception):
    pass


class Failure(Exception):
    pass


def log(msg):
    print("realcode: %s" % msg, flush=True)


def sh(cmd, cwd=None, env=None, timeout=900, check=True, out=None):
    """Runs cmd (list or shell string); returns (status, output text)."""
    t0 = time.monotonic()
    shell = isinstance(cmd, str)
    try:
        p = subprocess.run(cmd, shell=shell, cwd=cwd, env=env, timeout=timeout,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT,
                           executable="/bin/bash" if shell else None)
        status, text = p.returncode, p.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        status = None
        text = (e.stdout or b"").decode(errors="replace") + "\n[timed out after %ss]" % timeout
    if out:
        with open(out, "w") as fp:
            fp.write(text)
    if check and status != 0:
        raise Failure("`%s` in %s %s:\n%s" % (
            cmd if shell else shlex.join(cmd), cwd,
            "timed out" if status is None else "exited %s" % status, text[-3000:]))
    return status, text


# ---- fetching ------------------------------------------------------------

def deb_src_lines():
    """deb-src lines for the archives the system's deb822 sources name."""
    lines = []
    try:
        text = open(DEBIAN_SOURCES).read()
    except OSError:
        text = ""
    for stanza in re.split(r"\n\s*\n", text):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            k, v = line.split(":", 1)
            fields[k.strip().lower()] = v.strip()
        if "uris" not in fields or "suites" not in fields:
            continue
        opts = ""
        if fields.get("signed-by"):
            opts = " [signed-by=%s]" % fields["signed-by"]
        for uri in fields["uris"].split():
            for suite in fields["suites"].split():
                lines.append("deb-src%s %s %s %s" % (
                    opts, uri, suite, fields.get("components", "main")))
    if not lines:  # no deb822 file: Debian 12's defaults
        lines = ["deb-src http://deb.debian.org/debian bookworm main",
                 "deb-src http://deb.debian.org/debian bookworm-updates main",
                 "deb-src http://deb.debian.org/debian-security bookworm-security main"]
    return lines


def apt_options(cache):
    apt = os.path.join(cache, "apt")
    return ["-o", "Dir::Etc::SourceList=%s" % os.path.join(apt, "sources.list"),
            "-o", "Dir::Etc::SourceParts=/dev/null",
            "-o", "Dir::State::Lists=%s" % os.path.join(apt, "lists"),
            "-o", "Dir::Cache=%s" % os.path.join(apt, "cache"),
            "-o", "Acquire::Retries=2",
            "-o", "APT::Sandbox::User=root",
            "-q"]


def fetch(package, cache, skip_patches=False):
    """The unpacked, pristine source tree of a Debian source package, from
    the cache or downloaded now."""
    os.makedirs(cache, exist_ok=True)
    lock = open(os.path.join(cache, ".lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)  # lit runs the projects in parallel
    try:
        variant = package + ("-upstream" if skip_patches else "")
        done = os.path.join(cache, "src", variant + ".ready")
        if os.path.exists(done):
            tree = open(done).read().strip()
            if os.path.isdir(tree):
                log("%s: source from the cache: %s" % (package, tree))
                return tree
        for tool in ("apt-get", "dpkg-source"):
            if not shutil.which(tool):
                raise Unsupported("%s is not installed (Debian: apt, dpkg-dev)" % tool)
        apt = os.path.join(cache, "apt")
        for d in ("lists/partial", "cache/archives/partial"):
            os.makedirs(os.path.join(apt, d), exist_ok=True)
        with open(os.path.join(apt, "sources.list"), "w") as fp:
            fp.write("# written by test/realcode/realcode.py: source packages only\n")
            fp.write("\n".join(deb_src_lines()) + "\n")
        update_errors = ""
        stamp = os.path.join(apt, "updated")
        if not os.path.exists(stamp) or time.time() - os.path.getmtime(stamp) > 86400:
            st, text = sh(["apt-get"] + apt_options(cache) + ["update"],
                          timeout=300, check=False)
            if st != 0:
                raise Unsupported("apt-get update (private deb-src lists) failed: %s" %
                                  " / ".join(l for l in text.splitlines()
                                             if l.startswith(("E:", "Err:", "W:")))[:600])
            update_errors = " / ".join(l for l in text.splitlines()
                                       if l.startswith(("E:", "Err:", "W:")))[:600]
            if not update_errors:
                open(stamp, "w").close()
        dl = os.path.join(cache, "src", package + ".download")
        shutil.rmtree(dl, ignore_errors=True)
        os.makedirs(dl)
        st, text = sh(["apt-get"] + apt_options(cache) +
                      ["source", "--download-only", package],
                      cwd=dl, timeout=600, check=False)
        dscs = glob.glob(os.path.join(dl, "*.dsc"))
        if st != 0 or not dscs:
            raise Unsupported("apt-get source --download-only %s failed: %s%s" % (
                package, " / ".join(l for l in text.splitlines()
                                    if l.startswith(("E:", "Err:")))[:600],
                ("; apt-get update said: " + update_errors) if update_errors else ""))
        tree = os.path.join(cache, "src", variant)
        shutil.rmtree(tree, ignore_errors=True)
        sh(["dpkg-source", "-x"] + (["--skip-patches"] if skip_patches else [])
           + [dscs[0], tree], cwd=dl, timeout=300)
        with open(done, "w") as fp:
            fp.write(tree + "\n")
        log("%s: fetched %s" % (package, os.path.basename(dscs[0])))
        return tree
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


# ---- corpus --------------------------------------------------------------

def make_corpus(work, tree):
    """Files to compress: text, binary, repetitive, random, empty."""
    d = os.path.join(work, "corpus")
    os.makedirs(d, exist_ok=True)
    rng = random.Random(20250520)
    srcs = sorted(glob.glob(os.path.join(tree, "**", "*.[ch]"), recursive=True))
    with open(os.path.join(d, "sources.txt"), "wb") as fp:
        for s in srcs:
            fp.write(open(s, "rb").read())
    with open(os.path.join(d, "random.bin"), "wb") as fp:
        fp.write(bytes(rng.randrange(256) for _ in range(300000)))
    with open(os.path.join(d, "runs.bin"), "wb") as fp:
        for i in range(4000):
            fp.write(bytes([rng.randrange(4)]) * rng.randrange(1, 700))
    with open(os.path.join(d, "words.txt"), "w") as fp:
        words = ["pydron", "loop", "chunk", "zlib", "deflate", "huffman", "lua",
                 "parallel", "sequential", "bit", "identical", "a", "the"]
        for i in range(120000):
            fp.write(rng.choice(words) + (" " if i % 11 else "\n"))
    with open(os.path.join(d, "numbers.txt"), "w") as fp:
        for i in range(60000):
            fp.write("%d %.6f\n" % (i * i % 100003, rng.random()))
    open(os.path.join(d, "empty"), "w").close()
    with open(os.path.join(d, "one"), "w") as fp:
        fp.write("x")
    return sorted(os.path.join(d, f) for f in os.listdir(d))


# ---- projects --------------------------------------------------------------

class Project:
    package = None
    name = None
    skip_patches = False  # True: the upstream tree, without debian/patches

    def __init__(self, args):
        self.a = args
        self.comparisons = 0
        self.tests = []

    def cc(self, kind):
        if kind == "plain":
            return self.a.clang
        return "%s -mllvm -pydron-schedule-all -Rpass=pydron -Rpass-missed=pydron" % \
            self.a.pydron_cc

    def env(self, extra=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYDRON_")}
        env["LC_ALL"] = "C"
        env.update(extra or {})
        return env

    def runs(self):
        """(name, build kind, environment) of every run to compare."""
        yield "plain", "plain", self.env()
        for name, extra in RUNS:
            yield name, "pydron", self.env(extra)

    def compare(self, what, outputs):
        """outputs: {run name: (status, bytes)}; the reference is 'plain'."""
        ref = outputs["plain"]
        for name, got in outputs.items():
            if name == "plain":
                continue
            self.comparisons += 1
            if got != ref:
                def show(v):
                    st, data = v
                    return "exit %s, %d bytes, sha1 %s, starts %r" % (
                        st, len(data), hashlib.sha1(data).hexdigest()[:12], data[:200])
                raise Failure("%s: %s differs from the plain build\n  plain: %s\n  %s: %s"
                              % (what, name, show(ref), name, show(got)))

    def run_all(self, what, dirs, cmd, files_out=(), timeout=300, cwd_rel=".",
                expect_ok=True):
        """Runs cmd (a shell string) once per run in that build's directory;
        compares exit status + output, and the named output files."""
        outputs, files = {}, {}
        for name, kind, env in self.runs():
            cwd = os.path.join(dirs[kind], cwd_rel)
            # the project's own shared libraries, not the system's copies
            env = dict(env, LD_LIBRARY_PATH=dirs[kind])
            for f in files_out:
                p = os.path.join(cwd, f)
                if os.path.exists(p):
                    os.remove(p)
            st, text = sh(cmd, cwd=cwd, env=env, timeout=timeout, check=False)
            if st is None:
                raise Failure("%s: %s timed out:\n%s" % (what, name, text[-2000:]))
            if expect_ok and st != 0 and name == "plain":
                raise Failure("%s: the plain build fails it (exit %s):\n%s" % (
                    what, st, text[-2000:]))
            outputs[name] = (st, text.encode())
            for f in files_out:
                p = os.path.join(cwd, f)
                data = open(p, "rb").read() if os.path.exists(p) else b"<missing>"
                files.setdefault(f, {})[name] = (0, data)
        self.compare(what, outputs)
        for f, outs in files.items():
            self.compare("%s: file %s" % (what, f), outs)


class Zlib(Project):
    package = "zlib"
    name = "zlib"

    def build(self, d, kind, logf):
        env = self.env({"CC": self.cc(kind), "CFLAGS": "-O2"})
        sh("./configure --static", cwd=d, env=env, timeout=300)
        return sh("make -j%d libz.a example minigzip example64 minigzip64" % self.a.jobs,
                  cwd=d, env=env, timeout=1200, out=logf)

    def test(self, dirs, corpus):
        # zlib's own test: `make test` (example + minigzip, static build).
        self.run_all("make test", dirs,
                     "make test 2>&1 | grep -v '^make'; exit ${PIPESTATUS[0]}")
        self.tests.append("make test (example, minigzip, example64, minigzip64)")
        self.run_all("example", dirs, "./example tmp.gz", files_out=("tmp.gz",))
        self.tests.append("example (deflate/inflate API round trips)")
        n = 0
        for f in corpus:
            for lvl in ("-1", "-6", "-9", "-9 -f", "-4 -h", "-6 -r"):
                base = os.path.basename(f)
                cmd = ("./minigzip %s < %s > out.gz && ./minigzip -d < out.gz > out.raw && "
                       "cmp out.raw %s && echo ok" % (lvl, shlex.quote(f), shlex.quote(f)))
                self.run_all("minigzip %s %s" % (lvl, base), dirs, cmd,
                             files_out=("out.gz",))
                n += 1
        # cross: what the Pydron build wrote, the plain build reads, and back
        for f in corpus:
            st, _ = sh("./minigzip -9 < %s > x.gz" % shlex.quote(f), cwd=dirs["pydron"],
                       env=self.env({"PYDRON_WORKERS": "4"}), check=False)
            st2, _ = sh("%s/minigzip -d < x.gz | cmp - %s" % (
                dirs["plain"], shlex.quote(f)), cwd=dirs["pydron"], env=self.env(),
                check=False)
            if st != 0 or st2 != 0:
                raise Failure("minigzip cross-check failed on %s" % f)
        self.tests.append("minigzip round trips: %d files x 6 modes, byte-identical .gz "
                          "output, plain<->pydron cross-decompression" % len(corpus))


Zlib.report_cmds = lambda self, corpus: [
    "./minigzip -9 < %s > /dev/null" % shlex.quote(f) for f in corpus] + [
    "./minigzip -d < %s > /dev/null" % shlex.quote(os.path.join(
        os.path.dirname(corpus[0]), "..", "pydron", "out.gz"))]


class Bzip2(Project):
    package = "bzip2"
    name = "bzip2"

    def build(self, d, kind, logf):
        env = self.env()
        return sh("make -j%d libbz2.a bzip2 bzip2recover CC=%s CFLAGS=%s" % (
            self.a.jobs, shlex.quote(self.cc(kind)),
            shlex.quote("-Wall -O2 -g -D_FILE_OFFSET_BITS=64")),
            cwd=d, env=env, timeout=1200, out=logf)

    def test(self, dirs, corpus):
        # bzip2's own test: `make check` (samples 1-3 against the reference).
        self.run_all("make check", dirs,
                     "make check CC=true 2>&1 | grep -v '^make'; exit ${PIPESTATUS[0]}",
                     files_out=("sample1.rb2", "sample2.rb2", "sample3.rb2",
                                "sample1.tst", "sample2.tst", "sample3.tst"))
        self.tests.append("make check (sample1-3 compress at -1/-2/-3, decompress, "
                          "compare with the shipped references)")
        for f in corpus:
            for lvl in ("-1", "-5", "-9", "-9 -s"):
                base = os.path.basename(f)
                cmd = ("./bzip2 -c %s < %s > out.bz2 && ./bzip2 -dc < out.bz2 > out.raw && "
                       "cmp out.raw %s && ./bzip2 -tv out.bz2 2>&1" % (
                           lvl, shlex.quote(f), shlex.quote(f)))
                self.run_all("bzip2 %s %s" % (lvl, base), dirs, cmd,
                             files_out=("out.bz2",))
        self.tests.append("bzip2 round trips: %d files x 4 modes, byte-identical .bz2"
                          % len(corpus))


Bzip2.report_cmds = lambda self, corpus: [
    "./bzip2 -9 < %s | ./bzip2 -d > /dev/null" % shlex.quote(f) for f in corpus]


class Lua(Project):
    """Lua's own test suite is not in the Debian source package: the scripts
    in Inputs/lua (a workload written for this test) stand in for it.
    Debian's patches switch the build to libtool; the upstream Makefile is
    used instead (--skip-patches)."""
    package = "lua5.4"
    name = "lua5.4"
    skip_patches = True

    def build(self, d, kind, logf):
        return sh("make -C src -j%d linux CC=%s MYCFLAGS= MYLDFLAGS= AR='ar rc'" % (
            self.a.jobs, shlex.quote(self.cc(kind) + " -std=gnu99")),
            cwd=d, env=self.env(), timeout=1200, out=logf)

    def test(self, dirs, corpus):
        scripts = sorted(glob.glob(os.path.join(HERE, "Inputs", "lua", "*.lua")))
        if not scripts:
            raise Failure("no Lua scripts in %s/Inputs/lua" % HERE)
        for s in scripts:
            self.run_all("lua %s" % os.path.basename(s), dirs,
                         "src/lua %s" % shlex.quote(s), timeout=300)
        self.tests.append("%d Lua scripts (Inputs/lua): %s" % (
            len(scripts), ", ".join(os.path.basename(s) for s in scripts)))
        # luac: byte code listing and the compiled chunk must be identical
        for s in scripts:
            self.run_all("luac %s" % os.path.basename(s), dirs,
                         "src/luac -s -o out.luac %s && src/lua out.luac" % shlex.quote(s),
                         files_out=("out.luac",), timeout=300)
        self.tests.append("luac -s of every script: identical byte code, which runs")


Lua.report_cmds = lambda self, corpus: [
    "src/lua %s > /dev/null" % shlex.quote(s)
    for s in sorted(glob.glob(os.path.join(HERE, "Inputs", "lua", "*.lua")))]

PROJECTS = {p.name: p for p in (Zlib, Bzip2, Lua)}


def runtime_report(proj, dirs, corpus):
    """Which parallelized loops the workload reaches and how many of them the
    runtime actually ran in parallel (PYDRON_REPORT=1), with PYDRON_WORKERS=4
    and with PYDRON_WORKERS=4 PYDRON_TINY_CHUNKS=1. Not compared: only shown."""
    out = []
    for tiny in (False, True):
        env = proj.env({"PYDRON_WORKERS": "4", "PYDRON_REPORT": "1"})
        if tiny:
            env["PYDRON_TINY_CHUNKS"] = "1"
        env["LD_LIBRARY_PATH"] = dirs["pydron"]
        reached, parallel = set(), set()
        for cmd in proj.report_cmds(corpus):
            st, text = sh(cmd, cwd=dirs["pydron"], env=env, check=False, timeout=300)
            for m in re.finditer(r"^pydron: (\S+:\d+:\d+) +\S+ .*$", text, re.M):
                reached.add(m.group(1))
                if re.search(r"(parallel [1-9]|\bparallel$)", m.group(0)) and \
                        "sequential: " not in m.group(0):
                    parallel.add(m.group(1))
        out.append("%d of the parallelized loops reached, %d ran in parallel at least "
                   "once%s" % (len(reached), len(parallel),
                               " (PYDRON_TINY_CHUNKS=1)" if tiny else ""))
    return out


def count_remarks(text):
    """Distinct loop locations with each verdict (a file compiled twice, e.g.
    for a static and a shared library, counts once)."""
    par = len(set(re.findall(r"^(\S+:\d+:\d+): remark: loop parallelized", text, re.M)))
    notpar = len(set(re.findall(r"^(\S+:\d+:\d+): remark: loop not parallelized",
                                text, re.M)))
    crash = bool(re.search(r"PLEASE submit a bug report|Stack dump:|"
                           r"clang: error: unable to execute command", text))
    return par, notpar, crash


def main():
    ap = argparse.ArgumentParser(
        description=__doc__ % {"projects": ", ".join(sorted(PROJECTS))},
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("project", choices=sorted(PROJECTS))
    ap.add_argument("--cache", required=True, help="private apt state and sources")
    ap.add_argument("--work", required=True, help="build directory (emptied)")
    ap.add_argument("--pydron-cc", default=os.path.join(HERE, "..", "..", "build", "bin",
                                                        "pydron-cc"))
    ap.add_argument("--clang", default="clang-19")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--fetch-only", action="store_true")
    a = ap.parse_args()
    proj = PROJECTS[a.project](a)
    t0 = time.monotonic()
    try:
        tree = fetch(proj.package, a.cache, proj.skip_patches)
        if a.fetch_only:
            return 0
        shutil.rmtree(a.work, ignore_errors=True)
        os.makedirs(a.work)
        dirs = {}
        logs = {}
        for kind in ("plain", "pydron"):
            d = os.path.join(a.work, kind)
            shutil.copytree(tree, d, symlinks=True)
            dirs[kind] = d
            logf = os.path.join(a.work, "build-%s.log" % kind)
            try:
                st, text = proj.build(d, kind, logf)
            except Failure as e:
                if kind == "plain":
                    raise Failure("the plain build failed (not Pydron's fault?): %s" % e)
                raise Failure("the Pydron build failed where the plain one "
                              "succeeded: %s" % e)
            logs[kind] = text
            log("%s: %s build done (%.0fs), log: %s" % (
                proj.name, kind, time.monotonic() - t0, logf))
        par, notpar, crash = count_remarks(logs["pydron"])
        if crash:
            raise Failure("the Pydron build crashed the compiler; see %s/build-pydron.log"
                          % a.work)
        corpus = make_corpus(a.work, tree)
        proj.test(dirs, corpus)
        report = runtime_report(proj, dirs, corpus)
    except Unsupported as e:
        print("PYDRON-UNSUPPORTED: %s: %s" % (a.project, e), flush=True)
        return 77
    except Failure as e:
        log("%s: FAIL: %s" % (a.project, e))
        log("%s: work directory kept: %s" % (a.project, a.work))
        return 1
    log("%s: loops parallelized %d, not parallelized %d (distinct source loops, from "
        "the remarks of pydron-cc -mllvm -pydron-schedule-all)" % (proj.name, par, notpar))
    for line in report:
        log("%s: runtime (PYDRON_REPORT=1, PYDRON_WORKERS=4): %s" % (proj.name, line))
    for t in proj.tests:
        log("%s: test: %s" % (proj.name, t))
    log("%s: %d comparisons with the plain build (PYDRON_WORKERS=1, 4, 4 + "
        "PYDRON_TINY_CHUNKS=1), all identical" % (proj.name, proj.comparisons))
    log("%s: PASS in %.0fs" % (proj.name, time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
