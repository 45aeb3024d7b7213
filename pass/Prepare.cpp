//===- Prepare.cpp - pydron-prepare: annotations, call sites, loop tags ---===//
//
// Runs first, on the IR as the front end made it:
//  - moves the PYDRON_* annotations into function attributes;
//  - marks schedule functions noinline, and functional functions noinline
//    too, so that their calls stay calls until the pydron pass has seen
//    them (also when a helper calling them is inlined somewhere); the pydron
//    pass lifts this again and inlines small functional callees itself;
//  - gives functional declarations the memory effects the contract
//    promises: they may read anything and write only through their pointer
//    arguments, and they return;
//  - tags every loop of every schedule function (LoopTags.h);
//  - says why nothing is parallelized in optnone (-O0) schedule functions.
//
//===----------------------------------------------------------------------===//
#include "Annotations.h"
#include "LoopTags.h"
#include "Passes.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/OptimizationRemarkEmitter.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/InstrTypes.h"
#include "llvm/IR/Module.h"

using namespace llvm;

namespace pydron {

/// A warning about function \p F with -Wpass-failed=pydron. Such
/// diagnostics hang off a basic block: for a declaration, one that calls it.
void warnAbout(Function &F, StringRef Name, const std::string &Msg) {
  const BasicBlock *Region = nullptr;
  DiagnosticLocation Loc(F.getSubprogram());
  if (!F.isDeclaration()) {
    Region = &F.getEntryBlock();
  } else {
    for (User *U : F.users())
      if (auto *CB = dyn_cast<CallBase>(U)) {
        Region = CB->getParent();
        Loc = DiagnosticLocation(CB->getDebugLoc());
        break;
      }
  }
  if (!Region)
    return; // never called: nothing to warn about
  F.getContext().diagnose(DiagnosticInfoOptimizationFailure(
                              "pydron", Name.str().c_str(), Loc, Region)
                          << Msg);
}

PreservedAnalyses PreparePass::run(Module &M, ModuleAnalysisManager &AM) {
  auto Problems = importAnnotations(M);
  for (auto &[F, Msg] : Problems)
    warnAbout(*F, "BadAnnotation", Msg);

  auto &FAM = AM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
  unsigned NextId = 1;
  if (NamedMDNode *Old = M.getNamedMetadata("pydron.loops"))
    NextId += Old->getNumOperands();
  for (Function &F : M) {
    if (isFunctional(F)) {
      if (!F.hasFnAttribute(Attribute::NoInline) &&
          !F.hasFnAttribute(Attribute::AlwaysInline) && !F.isDeclaration()) {
        F.addFnAttr(Attribute::NoInline);
        F.addFnAttr(AddedNoInlineAttr);
      }
      if (F.isDeclaration()) {
        F.setMemoryEffects(MemoryEffects::readOnly() |
                           MemoryEffects::argMemOnly(ModRefInfo::ModRef));
        F.setWillReturn();
        F.setDoesNotThrow();
      }
    }
    if (!isSchedule(F))
      continue;
    if (!F.hasFnAttribute(Attribute::NoInline) &&
        !F.hasFnAttribute(Attribute::AlwaysInline) && scheduleAll()) {
      // -pydron-schedule-all keeps functions inlinable: only loops that
      // survive into the function they end up in are parallelized.
    }
    LoopInfo &LI = FAM.getResult<LoopAnalysis>(F);
    if (F.hasOptNone()) {
      OptimizationRemarkEmitter ORE(&F);
      for (Loop *L : LI.getLoopsInPreorder())
        ORE.emit(
            OptimizationRemarkMissed("pydron", "Optnone", L->getStartLoc(),
                                     L->getHeader())
            << "loop not parallelized: the function is compiled without "
               "optimization (-O0 or optnone); compile with -O1 or higher");
      continue;
    }
    tagLoops(F, LI, NextId);
  }
  PreservedAnalyses PA = PreservedAnalyses::none();
  return PA;
}

} // namespace pydron
