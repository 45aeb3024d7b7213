#!/usr/bin/env python3
"""inject.py - add loops that Pydron can parallelize to a csmith program.

csmith's programs are made of calls, globals and pointer games; almost none of
their loops are ones the plugin may run in parallel. To test the outliner, the
runtime and the recurrence code on code no one here wrote, this script appends
generated kernels to a csmith program: independent loops (maps, stencils, row
calls of PYDRON_FUNCTIONAL helpers, nested loops, strided and column writes),
folds (integer add/xor/and/or/min/max), ordered chains (integer and floating
point), live-out values, scratch arrays, run-time trip counts, pointer
parameters that alias at run time, and loops that must *not* run in parallel
(prefix sums, histograms, early exits, I/O). They read and write csmith's own
non-volatile integer global arrays (flattened) as well as arrays of their own,
so csmith's checksum covers what they do; everything they compute is also
folded into one hash that the program prints after csmith's checksum.

Every kernel is free of undefined behaviour: arithmetic is done in uint32_t /
uint64_t, shift counts are masked, divisors are made odd, and values stored
into csmith's signed arrays are converted (implementation-defined, the same
for both builds).

The kernels are called from main right after csmith's func_1() and before the
checksum is computed.

Usage: inject.py INPUT.c SEED > OUTPUT.c
       (also imported by csmith_diff.py: inject(source_text, seed) -> text)
"""
import random
import re
import sys

INT_TYPES = {
    "int8_t": 8, "uint8_t": 8, "int16_t": 16, "uint16_t": 16,
    "int32_t": 32, "uint32_t": 32, "int64_t": 64, "uint64_t": 64,
}

# static [const] TYPE g_N[d1][d2]... [= {...}];   (no volatile, no pointer)
ARRAY_RE = re.compile(
    r"^static (const )?(u?int(?:8|16|32|64)_t) (g_\d+)((?:\[\d+\])+)(?: = .*)?;\s*$")
SCALAR_RE = re.compile(
    r"^static (const )?(u?int(?:8|16|32|64)_t) (g_\d+)(?: = .*)?;\s*$")


class CsArray:
    def __init__(self, const, ctype, name, dims):
        self.const = const
        self.ctype = ctype
        self.name = name
        self.dims = dims
        self.count = 1
        for d in dims:
            self.count *= d

    def elem(self, idx):
        """An lvalue for element idx of the flattened array."""
        return "((%s%s *)%s)[%s]" % ("const " if self.const else "", self.ctype,
                                     self.name, idx)


def find_globals(text):
    arrays, scalars = [], []
    for line in text.splitlines():
        m = ARRAY_RE.match(line)
        if m:
            dims = [int(d) for d in re.findall(r"\[(\d+)\]", m.group(4))]
            a = CsArray(bool(m.group(1)), m.group(2), m.group(3), dims)
            if a.count > 0:
                arrays.append(a)
            continue
        m = SCALAR_RE.match(line)
        if m:
            scalars.append((bool(m.group(1)), m.group(2), m.group(3)))
    return arrays, scalars


class Gen:
    def __init__(self, rng, arrays, scalars):
        self.r = rng
        self.arrays = arrays
        self.writable = [a for a in arrays if not a.const]
        self.scalars = scalars
        self.helpers = []  # C text of helper functions
        self.fnames = []   # the uint32_t f(uint32_t, uint32_t) helpers
        self.funcs = []    # C text of kernel functions
        self.calls = []    # statements in pydron_kernels()
        self.n = 0
        self.expected = {"parallel": 0, "sequential": 0}

    # ---- expressions -----------------------------------------------------
    def expr(self, names, depth=0):
        """A uint32_t expression of the uint32_t variables in names."""
        r = self.r
        if depth >= 3 or (depth > 0 and r.random() < 0.3):
            if r.random() < 0.75:
                return r.choice(names)
            return "%du" % r.choice([0, 1, 3, 7, 255, 0x9e37, 0x7fffffff,
                                     0xffffffff, r.randrange(1 << 32)])
        a = self.expr(names, depth + 1)
        b = self.expr(names, depth + 1)
        op = r.choice(["+", "-", "*", "^", "&", "|", "<<", ">>", "/", "%",
                       "?:", "rot", "min", "+", "*", "^"])
        if op in ("<<", ">>"):
            return "((uint32_t)(%s) %s ((%s) & 31u))" % (a, op, b)
        if op in ("/", "%"):
            return "((uint32_t)(%s) %s ((%s) | 1u))" % (a, op, b)
        if op == "?:":
            c = self.expr(names, depth + 1)
            return "((%s) > (%s) ? (uint32_t)(%s) : (uint32_t)(%s))" % (a, b, c, a)
        if op == "rot":
            k = r.randrange(1, 32)
            return "(((uint32_t)(%s) << %d) | ((uint32_t)(%s) >> %d))" % (a, k, a, 32 - k)
        if op == "min":
            return "((uint32_t)(%s) < (uint32_t)(%s) ? (uint32_t)(%s) : (uint32_t)(%s))" % (
                a, b, a, b)
        return "((uint32_t)(%s) %s (uint32_t)(%s))" % (a, op, b)

    def helper(self):
        """A new PYDRON_FUNCTIONAL uint32_t f(uint32_t x, uint32_t y)."""
        name = "pyd_f%d" % len(self.fnames)
        self.fnames.append(name)
        body = self.expr(["x", "y"])
        if self.r.random() < 0.3:  # a helper with a loop of its own
            text = ("PYDRON_FUNCTIONAL static uint32_t %s(uint32_t x, uint32_t y) {\n"
                    "  uint32_t h = x;\n"
                    "  for (uint32_t k = 0; k < %du; k++)\n"
                    "    h = (h ^ (h >> 7)) * 0x5bd1e995u + (%s);\n"
                    "  return h;\n}\n" % (name, self.r.randrange(1, 9), body))
        else:
            text = ("PYDRON_FUNCTIONAL static uint32_t %s(uint32_t x, uint32_t y) {\n"
                    "  return %s;\n}\n" % (name, body))
        self.helpers.append(text)
        return name

    def f(self):
        if not self.fnames or self.r.random() < 0.25:
            return self.helper()
        return self.r.choice(self.fnames)

    def inline(self, x, y):
        """An inline expression of x and y (no call)."""
        e = self.expr(["x", "y"])
        return re.sub(r"\b[xy]\b",
                      lambda m: "(uint32_t)(%s)" % (x if m.group(0) == "x" else y), e)

    def val(self, x, y):
        """f(x, y): a helper call or an inline expression."""
        if self.r.random() < 0.6:
            return "%s((uint32_t)(%s), (uint32_t)(%s))" % (self.f(), x, y)
        return self.inline(x, y)

    def cs_array(self, writable=False):
        pool = self.writable if writable else self.arrays
        return self.r.choice(pool) if pool else None

    def kernel(self, body, call=None, expect="parallel", params="void"):
        name = "pyd_k%d" % len(self.funcs)
        self.funcs.append("PYDRON_SCHEDULE static void %s(%s) {\n%s}\n"
                          % (name, params, body))
        self.calls.append(call % name if call else "%s();" % name)
        self.expected[expect] += 1

    def mix(self, v):
        """Statement folding a uint64_t-convertible value into pyd_h."""
        return "  pyd_h = (pyd_h ^ (uint64_t)(%s)) * 0x100000001b3ull;\n" % v

    # ---- kernels ---------------------------------------------------------
    def k_init(self):
        a = self.cs_array()
        src = ("(uint32_t)%s" % a.elem("i %% %d" % a.count)) if a else "0x1234567u"
        self.kernel(
            "  for (int i = 0; i < PYD_N; i++)\n"
            "    pyd_a[i] = %s * 2654435761u + (uint32_t)i * %du;\n"
            "  for (int i = 0; i < PYD_N; i++)\n"
            "    pyd_b[i] = pyd_a[i] ^ (uint32_t)(i >> 3);\n"
            "  for (int i = 0; i < PYD_N; i++)\n"
            "    pyd_d[i] = (double)(pyd_a[i] & 0xffffu) * 0.001 - 17.5;\n"
            "  for (int r = 0; r < PYD_R; r++)\n"
            "    for (int c = 0; c < PYD_C; c++)\n"
            "      pyd_m0[r][c] = pyd_a[(r * PYD_C + c) %% PYD_N] + (uint32_t)c;\n"
            % (src, self.r.randrange(1, 1 << 16) | 1))

    def k_map(self):
        dst, src = self.r.choice([("pyd_b", "pyd_a"), ("pyd_c", "pyd_b"),
                                  ("pyd_c", "pyd_a"), ("pyd_a", "pyd_c")])
        self.kernel("  for (int i = 0; i < PYD_N; i++)\n    %s[i] = %s;\n"
                    % (dst, self.val("%s[i]" % src, "i")))

    def k_map_params(self):
        """Pointer parameters without restrict: a run-time overlap check.
        Called with distinct arrays, or with overlapping ones (then the
        sequential path must be taken)."""
        overlap = self.r.random() < 0.4
        if overlap:
            d = self.r.choice([1, 2, 5])
            call = "if (PYD_N > %d) %%s(pyd_c + %d, pyd_c, PYD_N - %d);" % (d, d, d)
            if self.r.random() < 0.5:
                call = "if (PYD_N > %d) %%s(pyd_c, pyd_c + %d, PYD_N - %d);" % (d, d, d)
        else:
            call = "%s(" + self.r.choice(["pyd_c, pyd_a", "pyd_b, pyd_c"]) + ", PYD_N);"
        step = self.r.choice(["i++", "i++", "i += 2", "i += 3"])
        self.kernel("  for (int i = 0; i < n; %s)\n    dst[i] = %s;\n"
                    % (step, self.val("src[i]", "i")),
                    call=call, params="uint32_t *dst, const uint32_t *src, int n")

    def k_reduce(self):
        op = self.r.choice(["+", "^", "&", "|", "min", "max", "*", "+64", "smin", "smax"])
        v = self.val("pyd_%s[i]" % self.r.choice("abc"), "i")
        if op == "+64":
            body = ("  uint64_t s = %du;\n  for (int i = 0; i < PYD_N; i++)\n"
                    "    s += (uint64_t)%s * 3u;\n" % (self.r.randrange(100), v))
        elif op in ("min", "max"):
            cmp = "<" if op == "min" else ">"
            init = "0xffffffffu" if op == "min" else "0u"
            if self.r.random() < 0.5:
                body = ("  uint32_t s = %s;\n  for (int i = 0; i < PYD_N; i++) {\n"
                        "    uint32_t v = %s;\n    s = v %s s ? v : s;\n  }\n" % (init, v, cmp))
            else:
                body = ("  uint32_t s = %s;\n  for (int i = 0; i < PYD_N; i++) {\n"
                        "    uint32_t v = %s;\n    if (v %s s)\n      s = v;\n  }\n"
                        % (init, v, cmp))
        elif op in ("smin", "smax"):
            cmp = "<" if op == "smin" else ">"
            body = ("  int64_t s = %d;\n  for (int i = 0; i < PYD_N; i++) {\n"
                    "    int64_t v = (int64_t)(int32_t)%s - (int64_t)i;\n"
                    "    if (v %s s)\n      s = v;\n  }\n"
                    % (self.r.choice([0, -5, 1000]), v, cmp))
        else:
            init = {"+": "0u", "^": "0u", "&": "0xffffffffu", "|": "0u",
                    "*": "1u"}[op]
            if op == "*":
                v = "(%s | 1u)" % v
            body = ("  uint32_t s = %s;\n  for (int i = 0; i < PYD_N; i++)\n"
                    "    s %s= %s;\n" % (init, op, v))
        self.kernel(body + self.mix("s"))

    def k_multi_reduce(self):
        self.kernel(
            "  uint32_t lo = 0xffffffffu, hi = 0u;\n  uint64_t sum = 0;\n"
            "  for (int i = 0; i < PYD_N; i++) {\n"
            "    uint32_t v = %s;\n"
            "    lo = v < lo ? v : lo;\n    hi = v > hi ? v : hi;\n    sum += v;\n  }\n"
            % self.val("pyd_b[i]", "i") + self.mix("lo") + self.mix("hi") + self.mix("sum"))

    def k_chain(self):
        k = self.r.choice([31, 1000003, 3, 0x9e3779b97f4a7c15])
        self.kernel("  uint64_t acc = %du;\n  for (int i = 0; i < PYD_N; i++)\n"
                    "    acc = acc * %dull + %s;\n" % (self.r.randrange(9), k,
                                                       self.val("pyd_b[i]", "i"))
                    + self.mix("acc"))

    def k_float(self):
        kind = self.r.choice(["sum", "map", "damped", "sqrt"])
        if kind == "sum":
            body = ("  double s = 0.0;\n  for (int i = 0; i < PYD_N; i++)\n"
                    "    s += pyd_d[i] * %r;\n" % self.r.choice([0.5, 1.1, -3.25, 1e-3]))
        elif kind == "damped":
            body = ("  double s = 1.0;\n  for (int i = 0; i < PYD_N; i++)\n"
                    "    s = s * 0.9 + (double)(%s & 1023u);\n" % self.val("pyd_a[i]", "i"))
        elif kind == "sqrt":
            body = ("  double s = 0.0;\n  for (int i = 0; i < PYD_N; i++) {\n"
                    "    pyd_d[i] = sqrt((double)(pyd_a[i] & 0xfffffu)) + pyd_d[i];\n"
                    "    s += pyd_d[i];\n  }\n")
        else:
            body = ("  double s = 0.0;\n  for (int i = 0; i < PYD_N; i++)\n"
                    "    pyd_d[i] = pyd_d[i] * 0.75 + (double)(%s %% 1000u);\n"
                    "  for (int i = 0; i < PYD_N; i += 7)\n    s += pyd_d[i];\n"
                    % self.val("pyd_b[i]", "i"))
        self.kernel(body + "  uint64_t bits;\n  memcpy(&bits, &s, sizeof bits);\n"
                    + self.mix("bits"))

    def k_stencil(self):
        dst = self.r.choice(["pyd_c", "pyd_b"])
        self.kernel("  for (int i = 1; i < PYD_N - 1; i++)\n"
                    "    %s[i] = pyd_a[i - 1] ^ (pyd_a[i + 1] * 3u) ^ %s;\n"
                    % (dst, self.val("pyd_a[i]", "i")))

    def k_prefix(self):
        """Carried through memory: must stay sequential."""
        self.kernel("  for (int i = 1; i < PYD_N; i++)\n"
                    "    pyd_c[i] = pyd_c[i - 1] + %s;\n" % self.val("pyd_b[i]", "i"),
                    expect="sequential")

    def k_histogram(self):
        self.kernel("  for (int i = 0; i < PYD_N; i++)\n"
                    "    pyd_c[pyd_a[i] %% PYD_N] += %s;\n" % self.val("pyd_b[i]", "i"),
                    expect="sequential")

    def k_search(self):
        self.kernel("  int found = -1;\n  for (int i = 0; i < PYD_N; i++)\n"
                    "    if ((%s & 255u) == 17u) { found = i; break; }\n"
                    % self.val("pyd_b[i]", "i") + self.mix("found"),
                    expect="sequential")

    def k_last(self):
        self.kernel("  int last = -1; uint32_t lv = 0;\n"
                    "  for (int i = 0; i < PYD_N; i++) {\n"
                    "    uint32_t v = %s;\n    if (v & 1u) { last = i; lv = v; }\n  }\n"
                    % self.val("pyd_a[i]", "i") + self.mix("last") + self.mix("lv"))

    def k_reverse(self):
        self.kernel("  for (int i = PYD_N - 1; i >= 0; i--)\n    pyd_c[i] = %s;\n"
                    % self.val("pyd_b[i]", "i"))

    def k_strided(self):
        s = self.r.choice([2, 3])
        self.kernel("  for (int i = 0; i < PYD_N / %d; i++)\n"
                    "    pyd_c[%d * i + %d] = %s;\n"
                    % (s, s, self.r.randrange(s), self.val("pyd_a[i]", "i")))

    def k_rows(self):
        name = "pyd_row%d" % len(self.helpers)
        self.helpers.append(
            "PYDRON_FUNCTIONAL static void %s(uint32_t *out, const uint32_t *in, int w, uint32_t s) {\n"
            "  for (int j = 0; j < w; j++)\n    out[j] = %s;\n}\n"
            % (name, self.val("in[j]", "s + (uint32_t)j")))
        self.kernel("  for (int r = 0; r < PYD_R; r++)\n"
                    "    %s(&pyd_m[r][0], &pyd_m0[r][0], PYD_C, (uint32_t)r);\n" % name)

    def k_columns(self):
        self.kernel("  for (int c = 0; c < PYD_C; c++)\n"
                    "    for (int r = 0; r < PYD_R; r++)\n"
                    "      pyd_m[r][c] = %s;\n" % self.val("pyd_m0[r][c]", "r * 7 + c"))

    def k_nested(self):
        self.kernel("  for (int r = 0; r < PYD_R; r++)\n"
                    "    for (int c = 0; c < PYD_C; c++)\n"
                    "      pyd_m0[r][c] ^= %s;\n" % self.val("pyd_m[r][c]", "r + c"))

    def k_scratch(self):
        self.kernel("  for (int i = 0; i < PYD_N; i++) {\n"
                    "    uint32_t tmp[8];\n"
                    "    for (int k = 0; k < 8; k++)\n      tmp[k] = %s;\n"
                    "    pyd_c[i] = tmp[pyd_a[i] & 7u] ^ tmp[3];\n  }\n"
                    % self.val("pyd_a[i]", "(uint32_t)k * 77u"))

    def k_cond_store(self):
        self.kernel("  for (int i = 0; i < PYD_N; i++)\n"
                    "    if ((pyd_a[i] & 3u) != 0u)\n      pyd_c[i] = %s;\n"
                    % self.val("pyd_b[i]", "i"))

    def k_idiom(self):
        which = self.r.choice(["zero", "copy"])
        if which == "zero":
            body = "  for (int i = 0; i < PYD_N; i++)\n    pyd_c[i] = 0;\n"
        else:
            body = "  for (int i = 0; i < PYD_N; i++)\n    pyd_c[i] = pyd_b[i];\n"
        self.kernel(body, expect="sequential")

    def k_io(self):
        self.kernel("  for (int i = 0; i < PYD_N; i++)\n"
                    "    if ((pyd_b[i] & 4095u) == 5u)\n"
                    "      printf(\"pydron hit %%d\\n\", i);\n", expect="sequential")

    def k_runtime_trip(self):
        """Trip count from a value only known at run time: 0, 1, ... PYD_N."""
        src = None
        if self.scalars:
            const, ctype, name = self.r.choice(self.scalars)
            src = "(uint32_t)%s" % name
        else:
            a = self.cs_array()
            if a:
                src = "(uint32_t)%s" % a.elem(0)
        if src is None:
            src = "pyd_a[0]"
        mod = self.r.choice(["PYD_N + 1", "3", "2", "PYD_N / 2 + 1"])
        self.kernel("  int n = (int)(%s %% (uint32_t)(%s));\n"
                    "  for (int i = 0; i < n; i++)\n    pyd_b[i] = %s;\n"
                    % (src, mod, self.val("pyd_c[i]", "i")))

    def k_small_ind(self):
        t, lim = self.r.choice([("uint8_t", 200), ("uint16_t", 60000), ("int64_t", 1 << 30),
                                ("unsigned", 1 << 30)])
        self.kernel("  for (%s i = 0; i < (%s)(PYD_N < %d ? PYD_N : %d); i++)\n"
                    "    pyd_c[i] = %s;\n" % (t, t, lim, lim, self.val("pyd_a[i]", "i")))

    def k_wide(self):
        self.kernel("  for (int i = 0; i < PYD_N; i++)\n"
                    "    pyd_w[i] = ((uint64_t)pyd_a[i] << 32) * 0x9e3779b97f4a7c15ull + %s;\n"
                    "  int64_t m = 0;\n  for (int i = 0; i < PYD_N; i++)\n"
                    "    m = (int64_t)pyd_w[i] > m ? (int64_t)pyd_w[i] : m;\n"
                    % self.val("pyd_b[i]", "i") + self.mix("m"))

    def k_cs_write(self):
        """Writes one of csmith's own arrays (covered by its checksum)."""
        dst = self.cs_array(writable=True)
        if dst is None:
            return self.k_map()
        src = self.cs_array()
        rd = src.elem("i %% %d" % src.count) if src is not dst else dst.elem("i")
        self.kernel("  for (int i = 0; i < %d; i++)\n    %s = (%s)%s;\n"
                    % (dst.count, dst.elem("i"), dst.ctype, self.val(rd, "i")))

    def k_cs_read(self):
        """Reads one of csmith's arrays into a fold."""
        a = self.cs_array()
        if a is None:
            return self.k_reduce()
        self.kernel("  uint64_t s = 0;\n  for (int i = 0; i < %d; i++)\n"
                    "    s += (uint64_t)%s;\n" % (a.count, self.val(a.elem("i"), "i"))
                    + self.mix("s"))

    def k_cs_shift(self):
        """In-place shift of one of csmith's arrays: carried, sequential."""
        a = self.cs_array(writable=True)
        if a is None or a.count < 2:
            return self.k_prefix()
        self.kernel("  for (int i = 1; i < %d; i++)\n    %s = (%s)((uint32_t)%s + 1u);\n"
                    % (a.count, a.elem("i"), a.ctype, a.elem("i - 1")),
                    expect="sequential")

    KERNELS = ["k_map", "k_map_params", "k_reduce", "k_multi_reduce", "k_chain",
               "k_float", "k_stencil", "k_prefix", "k_histogram", "k_search",
               "k_last", "k_reverse", "k_strided", "k_rows", "k_columns",
               "k_nested", "k_scratch", "k_cond_store", "k_idiom", "k_io",
               "k_runtime_trip", "k_small_ind", "k_wide", "k_cs_write",
               "k_cs_read", "k_cs_shift", "k_map", "k_reduce", "k_rows"]

    def generate(self):
        r = self.r
        n = r.choice([2, 3, 5, 16, 64, 333, 1000, 4096, 10007, 50000, 120000])
        rows = r.choice([1, 2, 7, 32, 100])
        cols = r.choice([1, 3, 16, 64, 250])
        self.k_init()
        for name in r.sample(self.KERNELS, r.randrange(6, 16)):
            getattr(self, name)()
        final = ("  for (int i = 0; i < PYD_N; i++)\n"
                 "    pyd_h = (pyd_h ^ pyd_a[i] ^ ((uint64_t)pyd_b[i] << 11) ^ ((uint64_t)pyd_c[i] << 29)"
                 " ^ pyd_w[i]) * 0x100000001b3ull;\n"
                 "  for (int r = 0; r < PYD_R; r++)\n"
                 "    for (int c = 0; c < PYD_C; c++)\n"
                 "      pyd_h = (pyd_h ^ pyd_m[r][c] ^ ((uint64_t)pyd_m0[r][c] << 32)) * 0x100000001b3ull;\n"
                 "  printf(\"pydron kernels: %016llx\\n\", (unsigned long long)pyd_h);\n")
        out = ["\n/* ---- generated by test/csmith/inject.py ---- */\n",
               "#define PYD_N %d\n#define PYD_R %d\n#define PYD_C %d\n" % (n, rows, cols),
               "static uint32_t pyd_a[PYD_N], pyd_b[PYD_N], pyd_c[PYD_N];\n",
               "static uint64_t pyd_w[PYD_N];\nstatic double pyd_d[PYD_N];\n",
               "static uint32_t pyd_m[PYD_R][PYD_C], pyd_m0[PYD_R][PYD_C];\n",
               "static uint64_t pyd_h = 0xcbf29ce484222325ull;\n\n"]
        out += [h + "\n" for h in self.helpers if h]
        out += [f + "\n" for f in self.funcs]
        out.append("static void pydron_kernels(void) {\n")
        out += ["  %s\n" % c for c in self.calls]
        out.append(final + "}\n")
        return "".join(out)


def inject(text, seed):
    """Returns (new_text, expected) where expected counts kernels meant to be
    parallel / sequential. Raises ValueError if main's call of func_1() is
    not found."""
    rng = random.Random(seed * 7919 + 13)
    arrays, scalars = find_globals(text)
    g = Gen(rng, arrays, scalars)
    kernels = g.generate()
    lines = text.splitlines(keepends=True)
    main_at = None
    for i, line in enumerate(lines):
        if line.startswith("int main ("):
            main_at = i
    if main_at is None:
        raise ValueError("no main in the csmith program")
    call_at = None
    for i in range(main_at, len(lines)):
        if lines[i].strip() == "func_1();":
            call_at = i
            break
    if call_at is None:
        raise ValueError("no call of func_1() in main")
    head = ("#include <pydron.h>\n#include <math.h>\n#include <stdio.h>\n"
            "#include <string.h>\n")
    new = (head + "".join(lines[:main_at]) + kernels + "\n"
           + "".join(lines[main_at:call_at + 1])
           + "    pydron_kernels();\n" + "".join(lines[call_at + 1:]))
    return new, dict(g.expected)


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: inject.py INPUT.c SEED > OUTPUT.c\n")
        return 2
    with open(sys.argv[1]) as fp:
        text = fp.read()
    new, _ = inject(text, int(sys.argv[2]))
    sys.stdout.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
