#!/usr/bin/env python3
"""sanitize.py - the runtime's unit tests and e2e programs under
AddressSanitizer + UndefinedBehaviorSanitizer, ThreadSanitizer and valgrind.

  sanitize.py runtime SAN --rt-sources "SOURCES" --out DIR [TEST.c ...]
      SAN: asan (-fsanitize=address,undefined), tsan (-fsanitize=thread) or
      valgrind (memcheck; DWARF 4, which valgrind 3.19 can read).
      The runtime's sources (lit's %rt_sources) are compiled once with the
      sanitizer into DIR/libpydron_rt-SAN.a. Every test of test/runtime (or
      the ones named) then runs its own RUN lines, with %clang_plain and
      %rt_link replaced by the sanitizer build (valgrind: each test binary is
      started under valgrind). A test fails when a RUN line fails or when a
      sanitizer wrote a report (reports go to files, so that a RUN line that
      pipes stderr into FileCheck cannot hide one).

  sanitize.py e2e SAN --out DIR PROGRAM.c ...
      Each e2e program: the reference is built with plain clang -O2 (no
      sanitizer); the Pydron program with pydron-cc -O2 and the sanitizer.
      asan: linked by pydron-cc itself, i.e. with the shipped static runtime
      (libpydron_rt.a, not instrumented: checks that the sanitizer runtime
      links and works with it). tsan: compiled with pydron-cc -c, linked
      with the runtime built from its sources with -fsanitize=thread (an
      uninstrumented runtime would hide its synchronization from TSan).
      valgrind: pydron-cc -c -gdwarf-4, linked with the runtime built from
      its sources with -gdwarf-4 (the shipped libpydron_rt.a carries DWARF 5,
      which valgrind 3.19 cannot read: it gives up on such programs), run
      under memcheck. Runs with
      PYDRON_WORKERS=1, 2, 4 and 4 + PYDRON_TINY_CHUNKS=1 (--runs): stdout and exit
      status must equal the reference's, and no report may appear.

Exit status 0 when everything passed, 1 otherwise. Tests known not to work
under a sanitizer are skipped with the reason (SKIP lines; see SKIPS).
"""
import argparse
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

SAN_FLAGS = {
    "asan": ["-fsanitize=address,undefined", "-fno-sanitize-recover=all",
             "-fno-omit-frame-pointer", "-g"],
    "tsan": ["-fsanitize=thread", "-g"],
    "valgrind": ["-gdwarf-4"],
}

VALGRIND = ["valgrind", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite,possible", "--show-leak-kinds=definite,possible",
            "-q", "--trace-children=no"]

# test/runtime tests that build the runtime with a sanitizer (or valgrind) of
# their own already, or cannot run under one, and why.
SKIPS = {
    "tsan.c": "builds the runtime with -fsanitize=thread itself",
    "valgrind.c": "runs the runtime under valgrind itself",
}
SKIPS_BY_SAN = {
    "tsan": {
        "fork.c": "the child starts threads after a multi-threaded fork, which "
                  "ThreadSanitizer does not support (it dies by design)",
    },
    "valgrind": {
        "affinity.c": "checks CPU affinity of the pool's threads; valgrind serializes threads",
    },
}

# --runs: PYDRON_WORKERS and PYDRON_TINY_CHUNKS of each run
RUN_SETTINGS = {"w1": ("1", False), "w2": ("2", False), "w4": ("4", False),
                "w4-tiny": ("4", True)}

REPORT_RE = re.compile(
    r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
    r"WARNING: ThreadSanitizer|ThreadSanitizer: |ERROR SUMMARY: [1-9]|"
    r"Invalid (read|write|free)|uninitialised value|definitely lost: [1-9]")


def log(msg):
    print("sanitize: %s" % msg, flush=True)


def san_env(san, logdir):
    """Environment for a sanitized run: reports go to files in logdir."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYDRON_", "ASAN_", "TSAN_", "UBSAN_", "LSAN_"))}
    lp = os.path.join(logdir, "report")
    env["ASAN_OPTIONS"] = ("log_path=%s:detect_leaks=1:halt_on_error=1:"
                           "detect_stack_use_after_return=1:strict_string_checks=1:"
                           "check_initialization_order=1" % lp)
    env["UBSAN_OPTIONS"] = "log_path=%s:halt_on_error=1:print_stacktrace=1" % lp
    env["TSAN_OPTIONS"] = "log_path=%s:halt_on_error=1:second_deadlock_stack=1" % lp
    env["PATH"] = os.pathsep.join(["/usr/lib/llvm-19/bin", env.get("PATH", "")])
    return env


def reports(logdir):
    """Sanitizer report files written so far (and removes them)."""
    found = []
    for f in sorted(glob.glob(os.path.join(logdir, "report*"))):
        text = open(f, errors="replace").read()
        if text.strip():
            found.append("%s:\n%s" % (f, text[:4000]))
        os.remove(f)
    return found


def run(cmd, env=None, cwd=None, timeout=600):
    shell = isinstance(cmd, str)
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, shell=shell, executable="/bin/bash" if shell else None,
                           env=env, cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return p.returncode, p.stdout, p.stderr, time.monotonic() - t0
    except subprocess.TimeoutExpired as e:
        return None, e.stdout or b"", e.stderr or b"", time.monotonic() - t0


def build_runtime(san, clang, sources, out):
    """The runtime's sources compiled with the sanitizer into an archive."""
    srcs = [s for s in sources if s.endswith(".c")]
    libs = [s for s in sources if not s.endswith(".c")]
    objdir = os.path.join(out, "rt-%s" % san)
    os.makedirs(objdir, exist_ok=True)
    objs = []
    for s in srcs:
        o = os.path.join(objdir, os.path.basename(s)[:-2] + ".o")
        cmd = [clang, "-O1", "-fPIC", "-std=c11", "-D_GNU_SOURCE",
               "-I" + os.path.join(ROOT, "runtime", "include"),
               "-I" + os.path.join(ROOT, "runtime", "src"), "-c", s, "-o", o] + SAN_FLAGS[san]
        st, so, se, _ = run(cmd)
        if st != 0:
            raise SystemExit("sanitize: FAIL: compiling %s with %s:\n%s" % (
                s, san, se.decode(errors="replace")[-3000:]))
        objs.append(o)
    lib = os.path.join(out, "libpydron_rt-%s.a" % san)
    if os.path.exists(lib):
        os.remove(lib)
    st, so, se, _ = run(["ar", "rcs", lib] + objs)
    if st != 0:
        raise SystemExit("sanitize: FAIL: ar: %s" % se.decode(errors="replace"))
    # the shared library too (-L%rt_lib -lpydron_rt), in a directory of its own
    sodir = os.path.join(out, "lib-%s" % san)
    os.makedirs(sodir, exist_ok=True)
    st, so, se, _ = run([clang, "-shared", "-o", os.path.join(sodir, "libpydron_rt.so")]
                        + SAN_FLAGS[san] + objs + libs + ["-lpthread", "-lm"])
    if st != 0:
        raise SystemExit("sanitize: FAIL: linking libpydron_rt.so: %s" %
                         se.decode(errors="replace")[-2000:])
    return lib, libs


def run_lines(path):
    lines, cur = [], ""
    for line in open(path, errors="replace"):
        m = re.search(r"RUN:(.*)$", line)
        if not m:
            continue
        text = m.group(1).rstrip()
        if text.endswith("\\"):
            cur += text[:-1] + " "
            continue
        lines.append((cur + text).strip())
        cur = ""
    return lines


def runtime_mode(a):
    clang = a.clang
    sources = shlex.split(a.rt_sources)
    os.makedirs(a.out, exist_ok=True)
    lib, libs = build_runtime(a.san, clang, sources, a.out)
    log("runtime built with %s: %s" % (" ".join(SAN_FLAGS[a.san]), lib))
    tests = a.tests or sorted(glob.glob(os.path.join(ROOT, "test", "runtime", "*.c")))
    include = os.path.join(ROOT, "runtime", "include")
    plain = "%s -I%s %s" % (clang, include, " ".join(SAN_FLAGS[a.san]))
    link = "%s %s -lpthread -lm" % (lib, " ".join(libs))
    logdir = os.path.join(a.out, "reports")
    os.makedirs(logdir, exist_ok=True)
    reports(logdir)
    passed, failed, skipped = 0, [], []
    for test in tests:
        name = os.path.basename(test)
        why = SKIPS.get(name) or SKIPS_BY_SAN.get(a.san, {}).get(name)
        if why:
            skipped.append(name)
            log("SKIP %s: %s" % (name, why))
            continue
        tmp = os.path.join(a.out, "t", name[:-2])
        os.makedirs(os.path.dirname(tmp), exist_ok=True)
        subst = [("%clang_plain", plain), ("%rt_link", link), ("%rt_sources", a.rt_sources),
                 ("%rt_include", include), ("%rt_lib", os.path.join(a.out, "lib-%s" % a.san)),
                 ("%src_root", ROOT), ("%clang", clang),
                 ("%S", os.path.dirname(test)), ("%s", test), ("%t", tmp)]
        env = san_env(a.san, logdir)
        bad = None
        t0 = time.monotonic()
        for i, line in enumerate(run_lines(test)):
            cmd = line
            for k, v in subst:
                cmd = cmd.replace(k, v)
            st, so, se, _ = run("set -o pipefail; " + cmd, env=env, cwd=os.path.dirname(tmp),
                                timeout=a.timeout)
            rep = reports(logdir)
            if a.san == "valgrind" and i == 0 and st == 0:
                # the first RUN line builds %t: put valgrind in front of it
                os.replace(tmp, tmp + ".bin")
                with open(tmp, "w") as fp:
                    fp.write("#!/bin/sh\nexec %s %s \"$@\"\n" % (
                        " ".join(VALGRIND), shlex.quote(tmp + ".bin")))
                os.chmod(tmp, 0o755)
            text = (so + se).decode(errors="replace")
            if a.san == "valgrind" and REPORT_RE.search(se.decode(errors="replace")):
                rep.append(se.decode(errors="replace")[-4000:])
            if st != 0 or rep:
                bad = "RUN line %d %s: %s\n%s%s" % (
                    i + 1, "timed out" if st is None else "exited %s" % st, cmd,
                    text[-3000:], "\n".join(rep))
                break
        if bad:
            failed.append(name)
            log("FAIL %s (%.1fs): %s" % (name, time.monotonic() - t0, bad))
        else:
            passed += 1
            log("PASS %s (%.1fs)" % (name, time.monotonic() - t0))
    log("runtime tests under %s: %d passed, %d failed, %d skipped" % (
        a.san, passed, len(failed), len(skipped)))
    return 1 if failed else 0


def directive(text, key):
    return " ".join(m.group(1).strip() for m in re.finditer(
        r"^\s*//\s*%s:(.*)$" % key, text, re.M)).split()


def e2e_mode(a):
    os.makedirs(a.out, exist_ok=True)
    include = os.path.join(ROOT, "runtime", "include")
    logdir = os.path.join(a.out, "reports")
    os.makedirs(logdir, exist_ok=True)
    reports(logdir)
    lib = None
    if a.san in ("tsan", "valgrind"):
        lib, libs = build_runtime(a.san, a.clang, shlex.split(a.rt_sources), a.out)
        log("runtime built with %s: %s" % (" ".join(SAN_FLAGS[a.san]), lib))
    passed, failed = 0, []
    for prog in a.tests:
        name = os.path.basename(prog)[:-2]
        text = open(prog).read()
        flags = directive(text, "E2E-FLAGS")
        args = directive(text, "E2E-ARGS")
        d = os.path.join(a.out, name)
        os.makedirs(d, exist_ok=True)
        t0 = time.monotonic()
        bad = None
        # the reference: plain clang, no sanitizer
        st, so, se, _ = run([a.clang, "-O2", "-I" + include, prog, "-lm", "-o",
                             os.path.join(d, "seq")] + flags)
        if st != 0:
            bad = "plain build failed: %s" % se.decode(errors="replace")[-2000:]
        if not bad:
            pcc = shlex.split(a.pydron_cc) + ["-O2", "-fno-crash-diagnostics"]
            san = SAN_FLAGS[a.san]
            if a.san in ("tsan", "valgrind"):
                steps = [pcc + ["-c", prog, "-o", os.path.join(d, "par.o")] + flags + san,
                         [a.clang] + san + [os.path.join(d, "par.o"), lib] + libs +
                         ["-lpthread", "-lm", "-o", os.path.join(d, "par")] +
                         [f for f in flags if f in ("-pthread", "-fopenmp")]]
            else:
                steps = [pcc + [prog, "-lm", "-o", os.path.join(d, "par")] + flags + san]
            for cmd in steps:
                st, so, se, _ = run(cmd, timeout=600)
                if st != 0:
                    bad = "sanitized Pydron build failed: %s\n%s" % (
                        shlex.join(cmd), se.decode(errors="replace")[-3000:])
                    break
        if not bad:
            env = {k: v for k, v in os.environ.items() if not k.startswith("PYDRON_")}
            rst, rout, rerr, rsecs = run([os.path.join(d, "seq")] + args, env=env, cwd=d,
                                         timeout=300)
            if rst is None:
                bad = "the reference timed out"
        if not bad:
            for run_name in a.runs.split(","):
                workers, tiny = RUN_SETTINGS[run_name]
                env = san_env(a.san, logdir)
                env["PYDRON_WORKERS"] = workers
                if tiny:
                    env["PYDRON_TINY_CHUNKS"] = "1"
                cmd = [os.path.join(d, "par")] + args
                if a.san == "valgrind":
                    cmd = VALGRIND + cmd
                st, so, se, secs = run(cmd, env=env, cwd=d, timeout=a.timeout)
                rep = reports(logdir)
                err = se.decode(errors="replace")
                if REPORT_RE.search(err):
                    rep.append(err[-4000:])
                tag = "PYDRON_WORKERS=%s%s" % (workers, " PYDRON_TINY_CHUNKS=1" if tiny else "")
                if st is None:
                    bad = "%s: timed out after %ss" % (tag, a.timeout)
                elif rep:
                    bad = "%s: sanitizer report:\n%s" % (tag, "\n".join(rep))
                elif st != rst or so != rout:
                    bad = "%s: exit %s (reference %s), stdout %s\n%s" % (
                        tag, st, rst, "same" if so == rout else "differs", err[-2000:])
                if bad:
                    break
        if bad:
            failed.append(name)
            log("FAIL %s (%.1fs): %s" % (name, time.monotonic() - t0, bad))
        else:
            passed += 1
            log("PASS %s (%.1fs)" % (name, time.monotonic() - t0))
    log("e2e programs under %s: %d passed, %d failed" % (a.san, passed, len(failed)))
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["runtime", "e2e"])
    ap.add_argument("san", choices=sorted(SAN_FLAGS))
    ap.add_argument("tests", nargs="*")
    ap.add_argument("--out", required=True)
    ap.add_argument("--clang", default="clang-19")
    ap.add_argument("--pydron-cc", default=os.path.join(ROOT, "build", "bin", "pydron-cc"))
    ap.add_argument("--rt-sources", default=" ".join(
        sorted(glob.glob(os.path.join(ROOT, "runtime", "src", "*.c")))) + " -ljansson -lssh2 -lcrypto -lcurl")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--runs", default="w1,w2,w4,w4-tiny",
                    help="e2e: runs of each program, from %s" % ",".join(RUN_SETTINGS))
    a = ap.parse_intermixed_args()
    if a.san == "valgrind" and not shutil.which("valgrind"):
        print("sanitize: valgrind is not installed")
        return 1
    if a.mode == "e2e" and not a.tests:
        ap.error("e2e needs programs")
    return runtime_mode(a) if a.mode == "runtime" else e2e_mode(a)


if __name__ == "__main__":
    sys.exit(main())
