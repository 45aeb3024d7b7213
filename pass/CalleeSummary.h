//===- CalleeSummary.h - What a functional function reads and writes ------===//
//
// For every PYDRON_FUNCTIONAL function, per pointer parameter, the byte
// offsets it may read and write relative to where the parameter points.
// SCEVs cannot cross functions, so the bounds are kept as small expressions
// over the function's parameters (Expr) and rebuilt as SCEVs of the actual
// arguments at each call site.
//
//===----------------------------------------------------------------------===//
#ifndef PYDRON_CALLEESUMMARY_H
#define PYDRON_CALLEESUMMARY_H

#include "llvm/ADT/DenseMap.h"
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class CallBase;
class Function;
class GlobalVariable;
class LoopInfo;
class SCEV;
class ScalarEvolution;
class TargetLibraryInfo;
} // namespace llvm

namespace pydron {

/// An integer expression over the parameters of one function.
struct Expr {
  enum Kind {
    Const,
    Param,
    Add,
    Mul,
    SExt,
    ZExt,
    Trunc,
    SMax,
    UMax,
    SMin,
    UMin
  };
  Kind K = Const;
  int64_t Value = 0; // Const: the value; Param: the parameter number
  unsigned Bits = 64;
  std::vector<Expr> Ops;

  std::string str() const;
};

/// [Lo, Hi) byte offsets from a pointer parameter.
struct Extent {
  bool Known = false;
  std::string Why; // when not known
  Expr Lo, Hi;
  bool Declared = false; // from PYDRON_READS / PYDRON_WRITES
};

struct ParamSummary {
  bool Reads = false, Writes = false;
  Extent Read, Write;
};

struct Summary {
  std::vector<ParamSummary> Params; // one per parameter (pointers only used)
  /// Non-empty when calls to the function cannot run in parallel.
  std::string SyncWhy;
  bool ReadsGlobals = false; // through pointers it loaded, or unknown calls
  std::vector<llvm::GlobalVariable *> GlobalsRead; // named globals it reads
};

/// Per-function analyses, provided by the pass.
struct FunctionAnalyses {
  llvm::ScalarEvolution &SE;
  llvm::LoopInfo &LI;
  const llvm::TargetLibraryInfo &TLI;
};
using AnalysesFor = std::function<FunctionAnalyses(llvm::Function &)>;

struct CalleeSummaries {
  explicit CalleeSummaries(AnalysesFor Get) : Get(std::move(Get)) {}
  /// The summary of functional function \p F (computed on first use).
  const Summary &of(llvm::Function &F) const;
  /// Warnings found while summarizing: function, message.
  mutable std::vector<std::pair<llvm::Function *, std::string>> Warnings;

private:
  AnalysesFor Get;
  mutable llvm::DenseMap<const llvm::Function *, std::unique_ptr<Summary>> Map;
  mutable llvm::DenseMap<const llvm::Function *, bool> InProgress;
  Summary compute(llvm::Function &F) const;
  void checkDeclaredWrite(llvm::Function &F, unsigned P, const Extent &Computed,
                          const Expr &DeclaredHi) const;
};

/// Rebuilds \p E at call site \p CB as a SCEV of the caller.
const llvm::SCEV *instantiate(const Expr &E, const llvm::CallBase &CB,
                              llvm::ScalarEvolution &SE);

} // namespace pydron

#endif
