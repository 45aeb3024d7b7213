//===- PydronPass.cpp - pydron: one verdict per source loop ---------------===//
//
// For every schedule function, outermost loops first: put the loop in
// canonical form (simplifyLoop, LCSSA: at this point loops often have no
// dedicated preheader, and recurrence analysis needs one), decide legality
// (Legality.cpp), and outline the parallel ones (Outliner.cpp). Loops
// nested in a parallel loop run inside its chunks; the inner loops of a
// loop that is not parallel are tried in turn.
//
// Every tag recorded by pydron-prepare gets exactly one remark: the
// verdict for the loops that still carry it (all of them, when the
// optimizer duplicated it), or what the optimizer did to it when no loop
// carries it any more (fully unrolled, replaced by memset/memcpy, deleted).
//
//===----------------------------------------------------------------------===//
#include "Annotations.h"
#include "CalleeSummary.h"
#include "LoopAnalysis.h"
#include "LoopTags.h"
#include "Outliner.h"
#include "Passes.h"
#include "Purity.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/Analysis/AliasAnalysis.h"
#include "llvm/Analysis/AssumptionCache.h"
#include "llvm/Analysis/DependenceAnalysis.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/OptimizationRemarkEmitter.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/Analysis/ScalarEvolutionExpressions.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/LoopSimplify.h"
#include "llvm/Transforms/Utils/LoopUtils.h"

using namespace llvm;

static cl::opt<bool> PrintAnalysis(
    "pydron-print-analysis", cl::init(false),
    cl::desc("Print the analysis of every tagged loop to stderr, as "
             "print<pydron> does, while compiling"));
static cl::opt<bool> PrintIR(
    "pydron-print-ir", cl::init(false),
    cl::desc("Print each schedule function before the pydron pass analyzes "
             "it (debugging)"));

namespace pydron {

namespace {

struct Verdict {
  Function *Fn = nullptr; // LoopResult::L dies with F's LoopInfo
  LoopResult Result;
  bool Outlined = false;
  std::string OutlineWhy;
};

struct TagState {
  LoopTag Tag;
  std::vector<Verdict> Verdicts;
  const Loop *InsideOf = nullptr; // tag of an outer parallel loop
  unsigned OuterTag = 0;
  bool Seen = false;
};

std::string joinNames(const std::vector<std::string> &Names) {
  std::vector<std::string> U;
  for (const std::string &N : Names)
    if (!N.empty() && std::find(U.begin(), U.end(), N) == U.end())
      U.push_back(N);
  std::string S;
  for (size_t I = 0; I < U.size(); ++I)
    S += (I ? ", '" : "'") + U[I] + "'";
  return S;
}

std::vector<std::string> conditionsOf(const LoopResult &R) {
  std::vector<std::string> Conds;
  for (const RuntimeCond &C : R.Conds)
    if (std::find(Conds.begin(), Conds.end(), C.What) == Conds.end())
      Conds.push_back(C.What);
  return Conds;
}

std::string describeParallel(const Verdict &V) {
  const LoopResult &R = V.Result;
  std::string S = "loop parallelized";
  std::string Calls = joinNames(R.PureCalls);
  if (!Calls.empty())
    S += " (calls " + Calls + ")";
  size_t Last = 0;
  for (const Fold &F : R.Folds)
    Last += F.Op == PYDRON_FOLD_LAST;
  size_t Folded = R.Folds.size() - Last;
  if (Folded)
    S += ", " + std::to_string(Folded) + " folded value" +
         (Folded > 1 ? "s" : "");
  if (Last)
    S += ", " + std::to_string(Last) + " value" + (Last > 1 ? "s" : "") +
         " of the last iteration kept";
  if (!R.InOrder.empty())
    S += ", " + std::to_string(R.InOrder.Phis.size()) + " value" +
         (R.InOrder.Phis.size() > 1 ? "s" : "") + " applied in iteration order";
  if (R.Shippable)
    S += "; shippable";
  else
    S += "; local-only: " + R.LocalOnlyWhy;
  if (!R.Checks.empty()) {
    S += "; with a run-time check that ";
    std::vector<std::string> Pairs;
    for (const OverlapCheck &C : R.Checks) {
      std::string P = C.NameA < C.NameB ? C.NameA + " and " + C.NameB
                                        : C.NameB + " and " + C.NameA;
      if (std::find(Pairs.begin(), Pairs.end(), P) == Pairs.end())
        Pairs.push_back(P);
    }
    for (size_t I = 0; I < Pairs.size(); ++I)
      S += (I ? ", " : "") + Pairs[I];
    S += " do not overlap (restrict on the pointer parameters would remove "
         "it)";
  }
  std::vector<std::string> Conds = conditionsOf(R);
  if (Conds.size() == 1)
    S += "; with a run-time check that " + Conds.front();
  else if (!Conds.empty())
    S += "; with " + std::to_string(Conds.size()) +
         " run-time checks on its access pattern (listed with "
         "-Rpass-analysis=pydron)";
  return S;
}

class Driver {
public:
  Driver(Module &M, ModuleAnalysisManager &MAM, raw_ostream *OS)
      : M(M),
        FAM(MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager()),
        OS(OS), Summaries([this](Function &F) {
          return FunctionAnalyses{FAM.getResult<ScalarEvolutionAnalysis>(F),
                                  FAM.getResult<LoopAnalysis>(F),
                                  FAM.getResult<TargetLibraryAnalysis>(F)};
        }) {}

  bool run();

private:
  Module &M;
  FunctionAnalysisManager &FAM;
  raw_ostream *OS;
  CalleeSummaries Summaries;
  MapVector<unsigned, TagState> Tags;
  ModuleLoops Outlined;

  bool runOnFunction(Function &F);
  void visit(Loop &L, AnalysisContext &Ctx, const Loop *ParallelOuter,
             unsigned OuterTag);
  void remarkTag(TagState &T);
  void print(TagState &T);
  bool inlineSmallFunctionalCallees();
};

void Driver::visit(Loop &L, AnalysisContext &Ctx, const Loop *ParallelOuter,
                   unsigned OuterTag) {
  auto Tag = tagOf(L);
  if (ParallelOuter) {
    if (Tag && Tags.count(*Tag)) {
      TagState &T = Tags[*Tag];
      T.Seen = true;
      T.InsideOf = ParallelOuter;
      T.OuterTag = OuterTag;
    }
    for (Loop *Sub : L)
      visit(*Sub, Ctx, ParallelOuter, OuterTag);
    return;
  }
  if (!Tag || !Tags.count(*Tag)) {
    for (Loop *Sub : L)
      visit(*Sub, Ctx, nullptr, 0);
    return;
  }
  TagState &T = Tags[*Tag];
  T.Seen = true;
  Verdict V;
  V.Fn = &Ctx.F;
  V.Result = analyzeLoop(L, Ctx);
  bool Parallel = !V.Result.Rejected;
  T.Verdicts.push_back(V);
  SmallVector<Loop *, 4> Subs(L.begin(), L.end());
  for (Loop *Sub : Subs)
    visit(*Sub, Ctx, Parallel ? &L : nullptr, Parallel ? *Tag : 0);
}

/// Rotation can leave a latch phi merging identical increments
/// (phi [i + 1, a], [i + 1, b]) that no later pass cleans up; SCEV then
/// cannot see the induction. Replace such phis with one instruction.
static bool mergeIdenticalIncoming(Function &F, DominatorTree &DT) {
  bool Changed = false;
  for (BasicBlock &BB : F)
    for (PHINode &P : make_early_inc_range(BB.phis())) {
      auto *First = dyn_cast<BinaryOperator>(P.getIncomingValue(0));
      if (!First || P.getNumIncomingValues() < 2)
        continue;
      bool Same = true;
      for (Value *In : P.incoming_values()) {
        auto *BO = dyn_cast<BinaryOperator>(In);
        Same &= BO && BO->isIdenticalToWhenDefined(First);
      }
      Instruction *At = &*BB.getFirstInsertionPt();
      for (Value *Op : First->operands())
        if (auto *OI = dyn_cast<Instruction>(Op))
          Same &= DT.dominates(OI, At);
      if (!Same)
        continue;
      Instruction *New = First->clone();
      // Flags must hold on every path: keep only the common ones.
      for (Value *In : P.incoming_values())
        New->andIRFlags(cast<Instruction>(In));
      New->insertBefore(At);
      New->setName(P.getName());
      P.replaceAllUsesWith(New);
      P.eraseFromParent();
      Changed = true;
    }
  return Changed;
}

bool Driver::runOnFunction(Function &F) {
  if (F.hasOptNone())
    return false;
  if (PrintIR)
    F.print(errs());
  auto &LI = FAM.getResult<LoopAnalysis>(F);
  auto &DT = FAM.getResult<DominatorTreeAnalysis>(F);
  auto &SE = FAM.getResult<ScalarEvolutionAnalysis>(F);
  auto &AC = FAM.getResult<AssumptionAnalysis>(F);
  bool Changed = false;
  if (mergeIdenticalIncoming(F, DT)) {
    Changed = true;
    SE.forgetAllLoops();
  }
  for (Loop *L : LI.getLoopsInPreorder()) {
    Changed |= simplifyLoop(L, &DT, &LI, &SE, &AC, nullptr, false);
  }
  for (Loop *L : LI)
    Changed |= formLCSSARecursively(*L, DT, &LI, &SE);
  if (Changed) {
    PreservedAnalyses PA;
    PA.preserve<LoopAnalysis>();
    PA.preserve<DominatorTreeAnalysis>();
    PA.preserve<ScalarEvolutionAnalysis>();
    PA.preserve<AssumptionAnalysis>();
    FAM.invalidate(F, PA);
  }
  auto &AA = FAM.getResult<AAManager>(F);
  auto &DI = FAM.getResult<DependenceAnalysis>(F);
  auto &TLI = FAM.getResult<TargetLibraryAnalysis>(F);
  AnalysisContext Ctx{F, LI, DT, SE, AA, DI, AC, TLI, Summaries};

  size_t Before = Tags.size();
  (void)Before;
  std::vector<std::pair<unsigned, size_t>> ThisFunction; // tag, verdict index
  for (Loop *L : LI)
    visit(*L, Ctx, nullptr, 0);

  if (OS)
    return Changed;
  if (PrintAnalysis) {
    OS = &errs();
    for (auto &[Id, T] : Tags)
      if (!T.Verdicts.empty() && T.Verdicts.front().Fn == &F)
        print(T);
    OS = nullptr;
  }
  // Outline the parallel loops of this function, outermost first.
  for (auto &[Id, T] : Tags)
    for (Verdict &V : T.Verdicts)
      if (V.Fn == &F && !V.Result.Rejected && !V.Outlined &&
          V.OutlineWhy.empty()) {
        std::string Why;
        if (outlineLoop(V.Result, Id, Ctx, Outlined, Why)) {
          V.Outlined = true;
          Changed = true;
        } else {
          V.OutlineWhy = Why.empty() ? "it could not be outlined" : Why;
        }
      }
  if (Changed)
    FAM.invalidate(F, PreservedAnalyses::none());
  return Changed;
}

void Driver::remarkTag(TagState &T) {
  Function *F = M.getFunction(T.Tag.Function);
  if (!F)
    return;
  OptimizationRemarkEmitter ORE(F);
  DiagnosticLocation Loc(DebugLoc(T.Tag.Loc));
  const BasicBlock *Region = &F->getEntryBlock();
  auto Missed = [&](const char *Name, const std::string &Msg) {
    ORE.emit(OptimizationRemarkMissed("pydron", Name, Loc, Region)
             << "loop not parallelized: " << Msg);
  };
  if (T.InsideOf) {
    TagState &Outer = Tags[T.OuterTag];
    std::string Where =
        Outer.Tag.Line ? " at line " + std::to_string(Outer.Tag.Line) : "";
    ORE.emit(
        OptimizationRemarkAnalysis("pydron", "InsideParallelLoop", Loc, Region)
        << "loop runs inside the chunks of the parallel loop" << Where);
    return;
  }
  if (T.Verdicts.empty()) {
    // No loop carries the tag any more: what did the optimizer do?
    unsigned Copies = 0, MemIntrinsics = 0;
    for (Function &G : M)
      for (Instruction &I : instructions(G)) {
        if (&G == F && isa<MemIntrinsic>(I))
          ++MemIntrinsics;
        if (auto Id = bodyTagOf(I))
          Copies += *Id == T.Tag.Id;
      }
    if (Copies)
      Missed("FullyUnrolled",
             "the optimizer fully unrolled it (too few iterations to gain "
             "from running in parallel)");
    else if (MemIntrinsics > T.Tag.MemIntrinsicsBefore)
      Missed("ReplacedByIdiom", "the optimizer replaced it by memset/memcpy");
    else
      Missed("RemovedByOptimizer",
             "the optimizer removed it (its result was not needed, or was "
             "computed at compile time)");
    return;
  }
  // All copies must be parallel for the verdict to say so.
  const Verdict *Bad = nullptr;
  for (const Verdict &V : T.Verdicts)
    if (V.Result.Rejected || !V.Outlined)
      if (!Bad)
        Bad = &V;
  std::string Copies = T.Verdicts.size() > 1
                           ? " (the optimizer made " +
                                 std::to_string(T.Verdicts.size()) +
                                 " versions of this loop)"
                           : "";
  if (!Bad) {
    ORE.emit(OptimizationRemark("pydron", "Parallelized", Loc, Region)
             << describeParallel(T.Verdicts.front()) << Copies);
    std::vector<std::string> Conds = conditionsOf(T.Verdicts.front().Result);
    if (Conds.size() > 1)
      for (const std::string &C : Conds)
        ORE.emit(
            OptimizationRemarkAnalysis("pydron", "RuntimeCheck", Loc, Region)
            << "run-time check: " << C);
    return;
  }
  if (Bad->Result.Rejected) {
    const RejectReason &Why = *Bad->Result.Rejected;
    Missed(Why.name(), Why.message() + Copies);
    return;
  }
  Missed("NotOutlined", Bad->OutlineWhy + Copies);
}

void Driver::print(TagState &T) {
  raw_ostream &O = *OS;
  O << "loop " << T.Tag.Id << " in " << T.Tag.Function << " at " << T.Tag.File
    << ":" << T.Tag.Line << ":" << T.Tag.Column << ": ";
  if (T.InsideOf) {
    O << "inside parallel loop " << T.OuterTag << "\n";
    return;
  }
  if (T.Verdicts.empty()) {
    O << "removed by the optimizer\n";
    return;
  }
  for (const Verdict &V : T.Verdicts) {
    const LoopResult &R = V.Result;
    if (R.Rejected)
      O << "not parallel: " << R.Rejected->name() << ": "
        << R.Rejected->message() << "\n";
    else
      O << "parallel" << (R.Shippable ? ", shippable" : ", local-only: ")
        << (R.Shippable ? "" : R.LocalOnlyWhy) << "\n";
    if (R.TripCount)
      O << "  trip count: " << *R.TripCount << "\n";
    for (const Induction &I : R.Inductions)
      O << "  induction: " << nameOf(I.Phi) << " start "
        << *I.Desc.getStartValue() << " step " << *I.Desc.getStep() << "\n";
    for (const Fold &F : R.Folds)
      O << "  fold: " << nameOf(F.Phi) << " op " << F.Op << " type " << F.Type
        << (F.Reassoc ? " reassoc" : "") << "\n";
    for (PHINode *P : R.InOrder.Phis)
      O << "  in order: " << nameOf(P) << "\n";
    O << (R.InOrder.empty() ? "" : "  chain: ");
    if (!R.InOrder.empty())
      O << R.InOrder.Insts.size() << " instructions, "
        << R.InOrder.Values.size() << " values per iteration\n";
    for (Value *P : R.Privates)
      O << "  private: " << nameOf(P) << "\n";
    for (const Access &A : R.Accesses) {
      O << "  access: " << A.What;
      if (A.Lo)
        O << " [" << *A.Lo << ", " << *A.Hi << ")";
      else
        O << " unknown extent: " << A.Why;
      O << "\n";
    }
    for (const RuntimeCond &C : R.Conds)
      O << "  run-time condition: " << *C.Value << " >= 0 (" << C.What << ")\n";
    for (const OverlapCheck &C : R.Checks)
      O << "  run-time check: " << C.NameA << " [" << *C.BeginA << ", "
        << *C.EndA << ") vs " << C.NameB << " [" << *C.BeginB << ", " << *C.EndB
        << ")\n";
    for (const std::string &E : R.Evidence)
      O << "  evidence: " << E << "\n";
  }
}

/// Lifts the noinline that pydron-prepare put on functional functions and
/// inlines the small ones, so that fine-grained loops still vectorize.
bool Driver::inlineSmallFunctionalCallees() {
  bool Changed = false;
  SmallVector<CallBase *, 16> Calls;
  for (Function &F : M) {
    if (!F.hasFnAttribute(AddedNoInlineAttr))
      continue;
    F.removeFnAttr(Attribute::NoInline);
    F.removeFnAttr(AddedNoInlineAttr);
    Changed = true;
    unsigned Size = 0;
    for (BasicBlock &BB : F)
      Size += BB.size();
    if (Size > 60 || F.isVarArg())
      continue;
    for (User *U : F.users())
      if (auto *CB = dyn_cast<CallBase>(U))
        if (CB->getCalledFunction() == &F && CB->getFunction() != &F)
          Calls.push_back(CB);
  }
  for (CallBase *CB : Calls) {
    InlineFunctionInfo IFI;
    Changed |= InlineFunction(*CB, IFI).isSuccess();
  }
  return Changed;
}

/// A function of the module that writes \p GV, if any.
static Function *writerOf(GlobalVariable &GV) {
  for (Function &F : *GV.getParent())
    for (Instruction &I : instructions(F)) {
      Value *Ptr = nullptr;
      if (auto *SI = dyn_cast<StoreInst>(&I))
        Ptr = SI->getPointerOperand();
      else if (auto *MI = dyn_cast<MemIntrinsic>(&I))
        Ptr = MI->getDest();
      else if (auto *RMW = dyn_cast<AtomicRMWInst>(&I))
        Ptr = RMW->getPointerOperand();
      if (Ptr && getUnderlyingObject(Ptr, 12) == &GV)
        return &F;
    }
  return nullptr;
}

bool Driver::run() {
  std::vector<Function *> Schedule;
  for (Function &F : M)
    if (isSchedule(F) && !F.hasOptNone())
      Schedule.push_back(&F);
  for (Function *F : Schedule)
    for (const LoopTag &T : tagsOf(M, F->getName()))
      Tags[T.Id].Tag = T;

  bool Changed = false;
  for (Function *F : Schedule)
    Changed |= runOnFunction(*F);

  for (auto &[Id, T] : Tags) {
    if (OS)
      print(T);
    else
      remarkTag(T);
  }
  // Contract checks for every functional definition: summarizing finds
  // writes to globals and calls with side effects; a global it reads must
  // not be written anywhere in the module.
  if (!OS) {
    for (Function &F : M)
      if (isFunctional(F) && !F.isDeclaration())
        for (GlobalVariable *GV : Summaries.of(F).GlobalsRead)
          if (!GV->isConstant())
            if (Function *Writer = writerOf(*GV))
              Summaries.Warnings.push_back(
                  {&F, "functional function '" + F.getName().str() +
                           "' reads global '" + GV->getName().str() +
                           "', which '" + Writer->getName().str() +
                           "' writes; the functional contract wants the "
                           "globals it reads unchanged while loops run "
                           "(fine if every write happens before)"});
  }
  for (auto &[F, Msg] : Summaries.Warnings)
    warnAbout(*F, "ContractViolation", Msg);
  if (OS)
    return false;
  if (!Outlined.Descriptors.empty()) {
    emitRegistration(M, Outlined);
    Changed = true;
  }
  if (!Tags.empty()) {
    for (Function &F : M)
      dropBodyTags(F);
    // Every tag has its verdict: a later run (the LTO link step, a second
    // pipeline) must not analyze the sequential copies again.
    if (NamedMDNode *List = M.getNamedMetadata("pydron.loops"))
      M.eraseNamedMetadata(List);
    Changed = true;
  }
  Changed |= inlineSmallFunctionalCallees();
  return Changed;
}

} // namespace

PreservedAnalyses PydronPass::run(Module &M, ModuleAnalysisManager &MAM) {
  Driver D(M, MAM, OS);
  if (!D.run())
    return PreservedAnalyses::all();
  return PreservedAnalyses::none();
}

} // namespace pydron
