//===- Outliner.h - Turning a parallel loop into chunks -------------------===//
#ifndef PYDRON_OUTLINER_H
#define PYDRON_OUTLINER_H

#include "LoopAnalysis.h"

#include <vector>

namespace llvm {
class Constant;
class Module;
} // namespace llvm

namespace pydron {

/// The descriptors of the loops outlined in one module.
struct ModuleLoops {
  std::vector<llvm::Constant *> Descriptors;
};

/// Outlines \p R's loop into a chunk function and replaces it by a call to
/// pydron_parallel_for, keeping the loop as the sequential path. Returns
/// false (and changes nothing) when it cannot.
bool outlineLoop(LoopResult &R, unsigned Tag, AnalysisContext &Ctx,
                 ModuleLoops &Out, std::string &Why);

/// Emits the module descriptor and the constructor registering it.
void emitRegistration(llvm::Module &M, ModuleLoops &Loops);

} // namespace pydron

#endif
