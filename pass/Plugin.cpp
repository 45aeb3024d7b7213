//===- Plugin.cpp - Registration of the Pydron pass plugin ----------------===//
//
// clang -fpass-plugin=libpydron.so at -O1..-O3 runs pydron-prepare at
// PipelineStart and pydron at OptimizerEarly (also in the LTO pre-link
// pipeline, so with -flto the work happens before linking). At -O0 only
// pydron-prepare runs, to say why nothing is parallelized.
// opt -load-pass-plugin=libpydron.so -passes=pydron-prepare,pydron or
// -passes='print<pydron>' runs them by name.
//
//===----------------------------------------------------------------------===//
#include "Passes.h"

#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

static void registerPasses(PassBuilder &PB) {
  PB.registerPipelineStartEPCallback(
      [](ModulePassManager &MPM, OptimizationLevel) {
        MPM.addPass(pydron::PreparePass());
      });
  PB.registerOptimizerEarlyEPCallback(
      [](ModulePassManager &MPM, OptimizationLevel Level) {
        if (Level != OptimizationLevel::O0)
          MPM.addPass(pydron::PydronPass());
      });
  PB.registerPipelineParsingCallback(
      [](StringRef Name, ModulePassManager &MPM,
         ArrayRef<PassBuilder::PipelineElement>) {
        if (Name == "pydron-prepare") {
          MPM.addPass(pydron::PreparePass());
          return true;
        }
        if (Name == "pydron") {
          MPM.addPass(pydron::PydronPass());
          return true;
        }
        if (Name == "print<pydron>") {
          MPM.addPass(pydron::PydronPass(&outs()));
          return true;
        }
        return false;
      });
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "pydron", "0.1.0", registerPasses};
}
