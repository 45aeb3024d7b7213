//===- Footprints.h - Byte ranges an access touches -----------------------===//
//
// An access inside loop L (possibly in loops nested in L) touches, in one
// iteration of L, the bytes between the lowest and the highest address its
// pointer takes over the nested loops. These functions compute those bounds
// as SCEVs by replacing every recurrence of a nested loop with its first or
// last value (by the sign of its step), and narrow non-affine indices by
// their known range (e.g. coeff[i % 16]).
//
//===----------------------------------------------------------------------===//
#ifndef PYDRON_FOOTPRINTS_H
#define PYDRON_FOOTPRINTS_H

#include <functional>
#include <string>
#include <vector>

namespace llvm {
class Loop;
class LoopInfo;
class SCEV;
class ScalarEvolution;
} // namespace llvm

namespace pydron {

using LoopPredicate = std::function<bool(const llvm::Loop *)>;

/// Bounds \p S from below (\p Max false) or above over the iterations of
/// every loop for which \p Eliminate returns true. Null when it cannot;
/// \p Why then says why.
/// \p KnownL / \p KnownBTC: a loop whose backedge-taken count is known
/// otherwise (predicated) and the count to use for it.
const llvm::SCEV *boundOver(const llvm::SCEV *S, bool Max,
                            const LoopPredicate &Eliminate,
                            const llvm::LoopInfo &LI, llvm::ScalarEvolution &SE,
                            std::string &Why,
                            const llvm::Loop *KnownL = nullptr,
                            const llvm::SCEV *KnownBTC = nullptr);

/// Rewrites zext/sext of affine recurrences of \p L and its inner loops into
/// recurrences of the wide type; \p Conds gets the run-time conditions
/// (each: value >= 0) under which that is exact.
const llvm::SCEV *widenExtensions(const llvm::SCEV *S, const llvm::Loop &L,
                                  llvm::ScalarEvolution &SE,
                                  std::vector<const llvm::SCEV *> &Conds);

/// Splits \p S into Start + Step * iteration of \p L (Step zero when S is
/// invariant in L). False when S is not affine in L.
bool affineIn(const llvm::SCEV *S, const llvm::Loop &L,
              llvm::ScalarEvolution &SE, const llvm::SCEV *&Start,
              const llvm::SCEV *&Step);

} // namespace pydron

#endif
