//===- LoopAnalysis.h - What the plugin knows about one loop --------------===//
//
// The result of analyzing one loop of a schedule function: whether its
// iterations are independent (and if not, why), and everything the outliner
// needs to run it in chunks: inductions, folded recurrences, private
// objects, accesses with their per-iteration footprints, and the run-time
// overlap checks that guard the parallel path.
//
//===----------------------------------------------------------------------===//
#ifndef PYDRON_LOOPANALYSIS_H
#define PYDRON_LOOPANALYSIS_H

#include "Reasons.h"
#include "pydron_abi.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Analysis/IVDescriptors.h"
#include <string>
#include <vector>

namespace llvm {
class AAResults;
class AssumptionCache;
class DependenceInfo;
class DominatorTree;
class Loop;
class LoopInfo;
class ScalarEvolution;
class SCEV;
class SCEVPredicate;
class TargetLibraryInfo;
class Function;
} // namespace llvm

namespace pydron {

struct CalleeSummaries;

/// One memory access of the loop body. Its per-iteration footprint is
/// [Lo, Hi) where Lo and Hi are loop-invariant or affine in the loop.
struct Access {
  llvm::Instruction *I = nullptr;
  llvm::Value *Ptr = nullptr;
  bool IsWrite = false;
  const llvm::SCEV *Begin = nullptr; // first byte, as the body computes it
  const llvm::SCEV *End = nullptr;   // one past the last byte
  const llvm::SCEV *Lo = nullptr;    // per iteration; null: not affine
  const llvm::SCEV *Hi = nullptr;
  const llvm::SCEV *HullLo = nullptr; // over the whole loop; null: unknown
  const llvm::SCEV *HullHi = nullptr;
  bool HullNeedsConds = false;     // the hull is exact only under Conds
  bool LoNeedsConds = false;       // Lo/Hi are exact only under Conds
  bool Widened = false;            // Begin/End are the widened forms
  mutable bool CondsAdded = false; // Conds are among the loop's checks
  bool CalleeGlobal = false;       // a global a functional callee reads itself
  /// Run-time conditions under which Begin/End are exact (narrow index
  /// arithmetic does not wrap); needed only when the tests rely on them.
  std::vector<const llvm::SCEV *> Conds;
  std::string Why;  // when the extent is unknown
  std::string What; // "store to 'a'", "'f' writing through argument 2"
};

struct Induction {
  llvm::PHINode *Phi = nullptr;
  llvm::InductionDescriptor Desc;
};

struct Fold {
  llvm::PHINode *Phi = nullptr;
  llvm::Value *Update = nullptr; // value coming from the latch
  pydron_fold_op Op = PYDRON_FOLD_ADD;
  pydron_fold_type Type = PYDRON_TYPE_I32;
  bool Reassoc = false; // a float fold: fixed chunks
  /// The instructions of the update; in chunks they must wrap (partial
  /// results overflow where the sequential running value would not).
  std::vector<llvm::Instruction *> Steps;
};

/// Values carried across iterations that are applied in iteration order:
/// the chunks compute and store the per-iteration inputs (Values), a chain
/// function replays the update instructions (Insts, in program order) on one
/// thread.
struct Chain {
  std::vector<llvm::PHINode *> Phis;      // carried values (state)
  std::vector<llvm::Value *> Updates;     // their latch values
  std::vector<llvm::Instruction *> Insts; // the update instructions, in order
  std::vector<llvm::Value *> Values;      // per-iteration inputs, from chunks
  bool empty() const { return Phis.empty(); }
};

/// [Begin, End) of two accesses that must not overlap at run time.
struct OverlapCheck {
  const llvm::SCEV *BeginA, *EndA, *BeginB, *EndB;
  std::string NameA, NameB;
};

/// A condition on loop invariants (LHS >= 0, signed) that the parallel path
/// needs, checked at run time when it cannot be proven at compile time.
struct RuntimeCond {
  const llvm::SCEV *Value;
  std::string What;
};

struct LoopResult {
  llvm::Loop *L = nullptr;
  Reason Rejected; // null: parallel
  const llvm::SCEV *TripCount = nullptr;
  const llvm::SCEV *BTC = nullptr; // backedge-taken count
  /// Predicates (no wrap of an induction) under which TripCount is right,
  /// checked at run time; owned by ScalarEvolution.
  std::vector<const llvm::SCEVPredicate *> TripPreds;
  std::vector<Induction> Inductions;
  std::vector<Fold> Folds;
  Chain InOrder;
  llvm::SmallPtrSet<llvm::Value *, 4> Privates; // allocas, malloc results
  std::vector<Access> Accesses;
  std::vector<OverlapCheck> Checks;
  std::vector<RuntimeCond> Conds;
  std::vector<std::string> PureCalls; // names, for the remark
  std::vector<std::string> Evidence;  // dependence evidence (printer)
  bool Shippable = true;
  std::string LocalOnlyWhy;
  uint64_t Cost = 0; // instructions per iteration, estimated
};

struct AnalysisContext {
  llvm::Function &F;
  llvm::LoopInfo &LI;
  llvm::DominatorTree &DT;
  llvm::ScalarEvolution &SE;
  llvm::AAResults &AA;
  llvm::DependenceInfo &DI;
  llvm::AssumptionCache &AC;
  const llvm::TargetLibraryInfo &TLI;
  const CalleeSummaries &Summaries;
};

/// Decides whether the iterations of \p L are independent.
LoopResult analyzeLoop(llvm::Loop &L, AnalysisContext &Ctx);

/// Finds the folded recurrences among the header phis of \p L that are not
/// inductions. Returns a reason when one of them cannot be folded.
Reason findFolds(llvm::Loop &L, AnalysisContext &Ctx,
                 const llvm::SmallPtrSetImpl<llvm::PHINode *> &Inductions,
                 std::vector<Fold> &Folds,
                 std::vector<std::pair<llvm::PHINode *, std::string>> &Others);

/// Puts the carried values that cannot be folded (\p Others) into an
/// in-order chain, moving folds into it where the chain needs their running
/// value. Returns why not when it cannot.
Reason
findChain(llvm::Loop &L, AnalysisContext &Ctx,
          const llvm::SmallPtrSetImpl<llvm::PHINode *> &Inductions,
          std::vector<Fold> &Folds,
          const std::vector<std::pair<llvm::PHINode *, std::string>> &Others,
          Chain &Out);

/// Footprint of the bytes [Begin, End) that \p Ptr touches in one iteration
/// of \p L, End being Begin + \p Size for the highest address. Returns false
/// (with \p Why) when it is not affine in the loop.
bool iterationRange(const llvm::SCEV *Begin, const llvm::SCEV *End,
                    llvm::Loop &L, const llvm::LoopInfo &LI,
                    llvm::ScalarEvolution &SE, const llvm::SCEV *&Lo,
                    const llvm::SCEV *&Hi, std::string &Why);

} // namespace pydron

#endif
