//===- Passes.h - The plugin's passes -------------------------------------===//
//
// pydron-prepare (at PipelineStart): reads the annotations, keeps functional
// calls as calls, tags the source loops of schedule functions.
// pydron (at OptimizerEarly): decides, per tagged loop, whether it runs in
// parallel, says why with a remark, and outlines the parallel ones.
// print<pydron>: pydron's analysis, printed instead of remarks.
//
//===----------------------------------------------------------------------===//
#ifndef PYDRON_PASSES_H
#define PYDRON_PASSES_H

#include "llvm/IR/PassManager.h"

#include <string>

namespace llvm {
class Function;
class raw_ostream;
} // namespace llvm

namespace pydron {

/// Emits a -Wpass-failed=pydron warning about \p F (also a declaration).
void warnAbout(llvm::Function &F, llvm::StringRef Name, const std::string &Msg);

struct PreparePass : llvm::PassInfoMixin<PreparePass> {
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &AM);
  static bool isRequired() { return true; }
};

struct PydronPass : llvm::PassInfoMixin<PydronPass> {
  /// With \p OS, analyze and print; without, analyze, remark and transform.
  explicit PydronPass(llvm::raw_ostream *OS = nullptr) : OS(OS) {}
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &AM);
  static bool isRequired() { return true; }

private:
  llvm::raw_ostream *OS;
};

} // namespace pydron

#endif
