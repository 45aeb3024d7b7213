/* pydron.h - the whole user API of Pydron for C.
 *
 * Mark the functions whose loops should run in parallel with PYDRON_SCHEDULE
 * and the functions they call with PYDRON_FUNCTIONAL. Without the Pydron
 * plugin these macros change nothing: plain clang (or any C compiler) builds
 * the same program sequentially.
 *
 * The functional contract: the function writes no global state and has no
 * other side effects; globals it reads do not change while the program runs;
 * its arguments and result are plain data. It may write through its pointer
 * parameters, but only inside a known footprint: inferred by the plugin from
 * the definition, or declared with PYDRON_WRITES.
 *
 * PYDRON_READS(param, type, count) / PYDRON_WRITES(param, type, count) say
 * that the pointer parameter `param` reads / writes `count` elements of
 * `type` from where it points. `param` is the parameter's name or its
 * position written as #1, #2, ... Positions always work. Names work on a
 * definition compiled with pydron-cc (which keeps parameter names) or with
 * -g; a declaration of a function defined elsewhere has no parameter names
 * in the compiler's IR, so use positions there. `count` is a constant, a
 * parameter, or a product of them ("n", "16", "w * 3", "rows * #4").
 *
 * On a declaration, PYDRON_READS/PYDRON_WRITES describe the function
 * completely: a pointer parameter without PYDRON_WRITES is not written, and
 * one with PYDRON_WRITES reads only inside what it writes. A declaration
 * without any may write through every pointer (its calls are sync points).
 *
 *   PYDRON_FUNCTIONAL void calibrate_row(const float *raw, float *out, int w)
 *       PYDRON_READS(raw, float, w) PYDRON_WRITES(out, float, w);
 */
#ifndef PYDRON_H
#define PYDRON_H

#if defined(__clang__)
#define PYDRON_SCHEDULE __attribute__((annotate("pydron.schedule"), noinline))
#define PYDRON_FUNCTIONAL __attribute__((annotate("pydron.functional")))
#define PYDRON_READS(param, type, count)                                       \
  __attribute__((annotate("pydron.reads", #param, #count, sizeof(type))))
#define PYDRON_WRITES(param, type, count)                                      \
  __attribute__((annotate("pydron.writes", #param, #count, sizeof(type))))
#else
#define PYDRON_SCHEDULE
#define PYDRON_FUNCTIONAL
#define PYDRON_READS(param, type, count)
#define PYDRON_WRITES(param, type, count)
#endif

#endif /* PYDRON_H */
