//===- Outliner.cpp - Turning a parallel loop into chunks -----------------===//
//
// The transformation, for a loop the legality analysis found parallel:
//
//   preheader:                         preheader:
//     br header                          tc = <trip count>; checks...
//   header: ...                          br ok, dispatch, seq.preheader
//   latch: br c, header, exit          dispatch:
//   exit: %v = phi [x, latch]            env = {invariants, steps}
//                                        result = {fold start values}
//                                        r = pydron_parallel_for(desc, tc,
//                                                                env, result)
//                                        br r, done, seq.preheader
//                                      done: folded values from result,
//                                            counters from SCEV; br exit
//                                      seq.preheader: br header (unchanged)
//                                      exit: %v = phi [x, latch], [y, done]
//
// and a chunk function
//   void F.pydron.chunk.N(i64 lo, i64 hi, ptr env, ptr partial)
// holding a clone of the loop driven by a new counter from lo to hi, every
// induction starting at its value for iteration lo, every folded value
// starting from the partial buffer (which the runtime fills with the
// operation's identity) and stored back there at the end.
//
// The loop itself stays as the sequential path, taken when the runtime
// declines or a run-time overlap check fails. A constant descriptor per loop
// and one constructor per module register everything with the runtime.
//
//===----------------------------------------------------------------------===//
#include "Outliner.h"
#include "Footprints.h"
#include "LoopTags.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/Analysis/ScalarEvolutionExpressions.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/DIBuilder.h"
#include "llvm/IR/DebugInfo.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/ReplaceConstant.h"
#include "llvm/Support/MD5.h"
#include "llvm/Support/Path.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"
#include "llvm/Transforms/Utils/ScalarEvolutionExpander.h"
#include "llvm/Transforms/Utils/ValueMapper.h"
#include <functional>

using namespace llvm;

namespace pydron {

namespace {

constexpr unsigned FoldSlotBytes = 8;

StructType *loopDescType(LLVMContext &C) {
  if (auto *T = StructType::getTypeByName(C, "pydron.loop"))
    return T;
  Type *I16 = Type::getInt16Ty(C), *I32 = Type::getInt32Ty(C),
       *I64 = Type::getInt64Ty(C), *Ptr = PointerType::getUnqual(C);
  (void)I16;
  // Mirrors struct pydron_loop in pydron_abi.h.
  return StructType::create(C, {I32, I32, Ptr, Ptr, Ptr, I32, I32, Ptr,
                                I32, I32, I32, Ptr, Ptr, I32, I32, I64,
                                Ptr, I32, I32, Ptr, I32, I32, Ptr, Ptr},
                            "pydron.loop");
}

Constant *cString(Module &M, StringRef S, const Twine &Name) {
  return IRBuilder<>(M.getContext()).CreateGlobalStringPtr(S, Name, 0, &M);
}

/// Where the user's source loop is: "file", line, column.
struct SourcePlace {
  std::string File;
  unsigned Line = 0, Col = 0;
};

SourcePlace placeOf(Loop &L) {
  SourcePlace P;
  // Without debug locations, at least the file.
  P.File = sys::path::filename(L.getHeader()->getModule()->getSourceFileName())
               .str();
  DebugLoc DL = L.getStartLoc();
  if (DL) {
    P.File = DL->getFilename().str();
    P.Line = DL.getLine();
    P.Col = DL.getCol();
  }
  return P;
}

/// Copies \p Orig's llvm.loop metadata without Pydron's tag.
MDNode *loopIDWithoutTag(MDNode *Orig, LLVMContext &C) {
  if (!Orig)
    return nullptr;
  SmallVector<Metadata *, 4> Ops{nullptr};
  for (unsigned K = 1; K < Orig->getNumOperands(); ++K) {
    auto *N = dyn_cast<MDNode>(Orig->getOperand(K));
    if (N && N->getNumOperands() == 2)
      if (auto *S = dyn_cast<MDString>(N->getOperand(0)))
        if (S->getString() == "pydron.loop.id")
          continue;
    Ops.push_back(Orig->getOperand(K));
  }
  if (Ops.size() == 1)
    return nullptr;
  MDNode *ID = MDNode::getDistinct(C, Ops);
  ID->replaceOperandWith(0, ID);
  return ID;
}

/// Gives \p Chunk its own debug subprogram, so that the cloned locations
/// stay valid (and the chunk shows up in debuggers and profiles).
void fixDebugInfo(Function &F, Function &Chunk) {
  DISubprogram *SP = F.getSubprogram();
  LLVMContext &C = Chunk.getContext();
  for (BasicBlock &BB : Chunk)
    for (Instruction &I : make_early_inc_range(BB)) {
      I.dropDbgRecords();
      if (isa<DbgInfoIntrinsic>(I))
        I.eraseFromParent();
    }
  if (!SP) {
    for (BasicBlock &BB : Chunk)
      for (Instruction &I : BB)
        I.setDebugLoc(DebugLoc());
    return;
  }
  DIBuilder DIB(*F.getParent(), false, SP->getUnit());
  auto *Ty = DIB.createSubroutineType(DIB.getOrCreateTypeArray({}));
  DISubprogram *NewSP = DIB.createFunction(
      SP->getFile(), Chunk.getName(), Chunk.getName(), SP->getFile(),
      SP->getLine(), Ty, SP->getScopeLine(), DINode::FlagArtificial,
      DISubprogram::SPFlagDefinition | DISubprogram::SPFlagOptimized |
          DISubprogram::SPFlagLocalToUnit);
  Chunk.setSubprogram(NewSP);
  DenseMap<const MDNode *, MDNode *> Cache;
  DILocation *Fallback = DILocation::get(C, SP->getLine(), 0, NewSP);
  for (BasicBlock &BB : Chunk)
    for (Instruction &I : BB) {
      if (DebugLoc DL = I.getDebugLoc())
        I.setDebugLoc(
            DebugLoc::replaceInlinedAtSubprogram(DL, *NewSP, C, Cache));
      else if (isa<CallBase>(I))
        I.setDebugLoc(Fallback);
      updateLoopMetadataDebugLocations(I, [&](Metadata *MD) -> Metadata * {
        if (auto *Loc = dyn_cast_or_null<DILocation>(MD))
          return DebugLoc::replaceInlinedAtSubprogram(Loc, *NewSP, C, Cache);
        return MD;
      });
    }
  DIB.finalizeSubprogram(NewSP);
  DIB.finalize();
}

class Outliner {
public:
  Outliner(LoopResult &R, unsigned Tag, AnalysisContext &Ctx, ModuleLoops &Out)
      : R(R), L(*R.L), Tag(Tag), Ctx(Ctx), F(Ctx.F), M(*F.getParent()),
        C(F.getContext()), DL(M.getDataLayout()), Out(Out) {}
  bool run(std::string &Why);

private:
  LoopResult &R;
  Loop &L;
  unsigned Tag;
  AnalysisContext &Ctx;
  Function &F;
  Module &M;
  LLVMContext &C;
  const DataLayout &DL;
  ModuleLoops &Out;

  SetVector<Value *> Inputs;               // loop invariants the body uses
  SetVector<Instruction *> PrivateDerived; // addresses into private objects
  std::vector<Value *> StepVals; // per induction: step (in the dispatch)
  StructType *EnvTy = nullptr;
  unsigned NumChunkSlots = 0; // slots the chunk reads; the rest: footprints
  unsigned NumMasterBase = 0; // slot number of the first footprint input
  Function *Chunk = nullptr;

  void collectInputs();
  BasicBlock *SeqPreheader = nullptr;
  Function *helperFunction(FunctionType *FT, StringRef What);
  Function *buildChunk();
  Function *buildChain();
  Function *ChainFn = nullptr;
  /// One footprint range: begin/end of iteration i are Start + Step * i
  /// (Step null: the same for every iteration), as env slot numbers.
  struct RangeSlots {
    int LoStart = -1, LoStep = -1, HiStart = -1, HiStep = -1;
    bool LoUp = true, HiUp = true, LoKnownSign = true, HiKnownSign = true;
    bool Write = false;
    bool Image = false; // a global refreshed in the worker's own image
    int BaseSlot = -1;  // the env slot of the pointer it goes through
  };
  std::vector<RangeSlots> Ranges;
  std::vector<Value *> MasterVals; // footprint inputs, after the chunk's slots
  Function *FootprintFn = nullptr;
  Constant *Descriptor = nullptr;
  void planFootprint(IRBuilder<> &B, SCEVExpander &Exp, Instruction *At);
  Function *buildFootprint();
  uint64_t valuesOffset() const {
    return (R.Folds.size() * FoldSlotBytes + 15) & ~15ull;
  }
  uint64_t valueSize() const { return 8 * R.InOrder.Values.size(); }
  uint64_t stateOffset() const { return R.Folds.size() * FoldSlotBytes; }
  Constant *buildDescriptor();
  bool replaceLoop(Constant *Desc, std::string &Why);
};

/// Whether \p V is the address of a private object, or computed from one
/// (a GEP the optimizer hoisted out of the loop).
static bool derivesFromPrivate(Value *V,
                               const SmallPtrSetImpl<Value *> &Privates) {
  for (int Depth = 0; Depth < 16; ++Depth) {
    if (Privates.count(V))
      return true;
    if (auto *GEP = dyn_cast<GetElementPtrInst>(V))
      V = GEP->getPointerOperand();
    else if (auto *Cast = dyn_cast<CastInst>(V))
      V = Cast->getOperand(0);
    else
      return false;
  }
  return false;
}

/// A new internal function F.pydron.<What>.<tag> with F's target and
/// floating-point attributes (so it is optimized like F's own code).
Function *Outliner::helperFunction(FunctionType *FT, StringRef What) {
  Function *H =
      Function::Create(FT, GlobalValue::InternalLinkage,
                       F.getName() + ".pydron." + What + "." + Twine(Tag), M);
  for (Attribute A : F.getAttributes().getFnAttrs())
    H->addFnAttr(A);
  for (auto Kind : {Attribute::NoInline, Attribute::OptimizeNone,
                    Attribute::Memory, Attribute::AlwaysInline})
    H->removeFnAttr(Kind);
  for (StringRef A : {"pydron-schedule", "pydron-functional"})
    H->removeFnAttr(A);
  H->addFnAttr("pydron-chunk");
  H->addFnAttr(Attribute::NoUnwind);
  return H;
}

void Outliner::collectInputs() {
  SmallVector<Value *, 8> Work;
  for (BasicBlock *BB : L.blocks())
    for (Instruction &I : *BB)
      for (Value *Op : I.operands())
        Work.push_back(Op);
  SmallPtrSet<Value *, 16> Seen;
  while (!Work.empty()) {
    Value *Op = Work.pop_back_val();
    if (!Seen.insert(Op).second)
      continue;
    if (isa<Argument>(Op)) {
      Inputs.insert(Op);
      continue;
    }
    // Mutable globals travel in env, so that workers can rebase them.
    if (auto *GV = dyn_cast<GlobalVariable>(Op)) {
      if (!GV->isConstant() && !GV->isThreadLocal())
        Inputs.insert(GV);
      continue;
    }
    auto *OI = dyn_cast<Instruction>(Op);
    if (!OI || L.contains(OI) || R.Privates.count(OI))
      continue; // private objects are cloned into the chunk
    if (derivesFromPrivate(OI, R.Privates)) {
      // Recomputed in the chunk from the chunk's own copy of the object.
      PrivateDerived.insert(OI);
      for (Value *X : OI->operands())
        Work.push_back(X);
      continue;
    }
    Inputs.insert(OI);
  }
}

Function *Outliner::buildChunk() {
  Type *I64 = Type::getInt64Ty(C), *Ptr = PointerType::getUnqual(C);
  auto *FT = FunctionType::get(Type::getVoidTy(C), {I64, I64, Ptr, Ptr}, false);
  Function *Ch = helperFunction(FT, "chunk");
  Argument *Lo = Ch->getArg(0), *Hi = Ch->getArg(1), *Env = Ch->getArg(2),
           *Partial = Ch->getArg(3);
  Lo->setName("lo");
  Hi->setName("hi");
  Env->setName("env");
  Partial->setName("partial");

  BasicBlock *Entry = BasicBlock::Create(C, "entry", Ch);
  IRBuilder<> B(Entry);
  ValueToValueMapTy VMap;
  // Invariants from env.
  for (unsigned K = 0; K < Inputs.size(); ++K) {
    Value *Slot = B.CreateStructGEP(EnvTy, Env, K);
    VMap[Inputs[K]] =
        B.CreateLoad(Inputs[K]->getType(), Slot, Inputs[K]->getName() + ".env");
  }
  std::vector<Value *> Steps;
  for (unsigned K = 0; K < StepVals.size(); ++K) {
    Value *Slot = B.CreateStructGEP(EnvTy, Env, Inputs.size() + K);
    Steps.push_back(B.CreateLoad(StepVals[K]->getType(), Slot, "step"));
  }
  // Private objects that live outside the loop get their own copy.
  for (Value *P : R.Privates)
    if (auto *AI = dyn_cast<AllocaInst>(P))
      if (!L.contains(AI)) {
        Instruction *Copy = AI->clone();
        Copy->insertInto(Entry, Entry->end());
        Copy->setName(AI->getName());
        VMap[AI] = Copy;
      }

  // Addresses into private objects computed before the loop, in the order
  // the function computes them.
  std::function<void(Instruction *)> CloneDerived = [&](Instruction *I) {
    if (VMap.count(I))
      return;
    for (Value *Op : I->operands()) // operands first
      if (auto *OI = dyn_cast<Instruction>(Op))
        if (PrivateDerived.count(OI))
          CloneDerived(OI);
    Instruction *Copy = I->clone();
    Copy->insertInto(Entry, Entry->end());
    RemapInstruction(Copy, VMap,
                     RF_NoModuleLevelChanges | RF_IgnoreMissingLocals);
    VMap[I] = Copy;
  };
  for (Instruction *I : PrivateDerived)
    CloneDerived(I);

  // Clone the loop.
  SmallVector<BasicBlock *, 8> Blocks;
  for (BasicBlock *BB : L.blocks()) {
    BasicBlock *NB = CloneBasicBlock(BB, VMap, ".chunk", Ch);
    VMap[BB] = NB;
    Blocks.push_back(NB);
  }
  BasicBlock *Done = BasicBlock::Create(C, "chunk.done", Ch);
  VMap[SeqPreheader] = Entry;
  remapInstructionsInBlocks(Blocks, VMap);

  auto *Header = cast<BasicBlock>(VMap[L.getHeader()]);
  auto *Latch = cast<BasicBlock>(VMap[L.getLoopLatch()]);

  // Inductions start at their value for iteration lo.
  for (unsigned K = 0; K < R.Inductions.size(); ++K) {
    const Induction &Ind = R.Inductions[K];
    auto *Phi = cast<PHINode>(VMap[Ind.Phi]);
    Value *Start = Phi->getIncomingValueForBlock(Entry);
    Value *Begin;
    if (Ind.Phi->getType()->isPointerTy()) {
      Value *Off = B.CreateMul(Lo, B.CreateSExtOrTrunc(Steps[K], I64));
      Begin = B.CreateGEP(B.getInt8Ty(), Start, Off, "ind.begin");
    } else {
      Value *LoT = B.CreateTrunc(Lo, Ind.Phi->getType());
      Begin = B.CreateAdd(Start, B.CreateMul(LoT, Steps[K]), "ind.begin");
    }
    Phi->setIncomingValueForBlock(Entry, Begin);
  }
  // Folded partial results may overflow where the sequential running
  // value does not: their arithmetic wraps in the chunk (no nsw/nuw).
  for (const Fold &Fo : R.Folds)
    for (Instruction *I : Fo.Steps)
      if (auto *Copy = dyn_cast_or_null<Instruction>(VMap.lookup(I)))
        if (isa<OverflowingBinaryOperator>(Copy))
          Copy->dropPoisonGeneratingFlags();
  // Folded values start from the partial buffer.
  for (unsigned K = 0; K < R.Folds.size(); ++K) {
    if (!R.Folds[K].Phi)
      continue; // the last value: nothing carried in
    auto *Phi = cast<PHINode>(VMap[R.Folds[K].Phi]);
    Value *Slot =
        B.CreateConstGEP1_64(B.getInt8Ty(), Partial, K * FoldSlotBytes);
    Phi->setIncomingValueForBlock(
        Entry, B.CreateLoad(Phi->getType(), Slot, "fold.start"));
  }
  B.CreateBr(Header);

  // A counter from lo to hi drives the clone.
  PHINode *Ctr = PHINode::Create(I64, 2, "chunk.iv");
  Ctr->insertBefore(Header->getFirstNonPHIIt());
  Ctr->addIncoming(Lo, Entry);
  auto *OldTerm = cast<BranchInst>(Latch->getTerminator());
  IRBuilder<> LB(OldTerm);
  Value *Next = LB.CreateAdd(Ctr, ConstantInt::get(I64, 1), "chunk.iv.next",
                             /*NUW=*/true, /*NSW=*/true);
  Ctr->addIncoming(Next, Latch);
  Value *More = LB.CreateICmpNE(Next, Hi, "chunk.more");
  BranchInst *NewTerm = LB.CreateCondBr(More, Header, Done);
  if (MDNode *ID = loopIDWithoutTag(L.getLoopID(), C))
    NewTerm->setMetadata(LLVMContext::MD_loop, ID);
  NewTerm->setDebugLoc(OldTerm->getDebugLoc());
  OldTerm->eraseFromParent();

  // In-order chain: store what the chain reads, per iteration, and leave
  // the chain itself to the chain function.
  if (!R.InOrder.empty()) {
    IRBuilder<> SB(Latch->getTerminator());
    Value *Base =
        SB.CreateConstGEP1_64(SB.getInt8Ty(), Partial, valuesOffset());
    Value *Row =
        SB.CreateMul(SB.CreateSub(Ctr, Lo), ConstantInt::get(I64, valueSize()));
    for (unsigned K = 0; K < R.InOrder.Values.size(); ++K) {
      Value *Slot =
          SB.CreateGEP(SB.getInt8Ty(), Base,
                       SB.CreateAdd(Row, ConstantInt::get(I64, 8 * K)));
      SB.CreateStore(VMap[R.InOrder.Values[K]], Slot);
    }
    SmallVector<Instruction *, 16> Dead;
    for (PHINode *P : R.InOrder.Phis)
      Dead.push_back(cast<Instruction>(VMap[P]));
    for (Instruction *I : R.InOrder.Insts)
      Dead.push_back(cast<Instruction>(VMap[I]));
    for (Instruction *I : Dead)
      I->replaceAllUsesWith(PoisonValue::get(I->getType()));
    for (Instruction *I : Dead)
      I->eraseFromParent();
  }

  // Store the partials.
  IRBuilder<> DB(Done);
  for (unsigned K = 0; K < R.Folds.size(); ++K) {
    Value *Slot =
        DB.CreateConstGEP1_64(DB.getInt8Ty(), Partial, K * FoldSlotBytes);
    DB.CreateStore(VMap[R.Folds[K].Update], Slot);
  }
  DB.CreateRetVoid();
  fixDebugInfo(F, *Ch);
  return Ch;
}

Function *Outliner::buildChain() {
  Type *I64 = Type::getInt64Ty(C), *Ptr = PointerType::getUnqual(C);
  auto *FT =
      FunctionType::get(Type::getVoidTy(C), {I64, I64, Ptr, Ptr, Ptr}, false);
  Function *Ch = helperFunction(FT, "chain");
  Argument *Lo = Ch->getArg(0), *Hi = Ch->getArg(1), *Env = Ch->getArg(2),
           *Values = Ch->getArg(3), *State = Ch->getArg(4);
  BasicBlock *Entry = BasicBlock::Create(C, "entry", Ch);
  BasicBlock *Body = BasicBlock::Create(C, "chain", Ch);
  BasicBlock *Exit = BasicBlock::Create(C, "chain.done", Ch);
  IRBuilder<> B(Entry);
  ValueToValueMapTy VMap;
  for (unsigned K = 0; K < Inputs.size(); ++K)
    VMap[Inputs[K]] =
        B.CreateLoad(Inputs[K]->getType(), B.CreateStructGEP(EnvTy, Env, K));
  std::vector<Value *> Init;
  for (unsigned K = 0; K < R.InOrder.Phis.size(); ++K)
    Init.push_back(
        B.CreateLoad(R.InOrder.Phis[K]->getType(),
                     B.CreateConstGEP1_64(B.getInt8Ty(), State, 8 * K)));
  B.CreateBr(Body);

  IRBuilder<> LB(Body);
  PHINode *Ctr = LB.CreatePHI(I64, 2, "k");
  Ctr->addIncoming(Lo, Entry);
  std::vector<PHINode *> Phis;
  for (unsigned K = 0; K < R.InOrder.Phis.size(); ++K) {
    PHINode *P = LB.CreatePHI(R.InOrder.Phis[K]->getType(), 2);
    P->addIncoming(Init[K], Entry);
    VMap[R.InOrder.Phis[K]] = P;
    Phis.push_back(P);
  }
  Value *Row =
      LB.CreateMul(LB.CreateSub(Ctr, Lo), ConstantInt::get(I64, valueSize()));
  for (unsigned K = 0; K < R.InOrder.Values.size(); ++K) {
    Value *V = R.InOrder.Values[K];
    Value *Slot = LB.CreateGEP(LB.getInt8Ty(), Values,
                               LB.CreateAdd(Row, ConstantInt::get(I64, 8 * K)));
    VMap[V] = LB.CreateLoad(V->getType(), Slot);
  }
  for (Instruction *I : R.InOrder.Insts) {
    Instruction *Copy = I->clone();
    Copy->insertInto(Body, Body->end());
    RemapInstruction(Copy, VMap,
                     RF_NoModuleLevelChanges | RF_IgnoreMissingLocals);
    VMap[I] = Copy;
  }
  LB.SetInsertPoint(Body);
  Value *Next =
      LB.CreateAdd(Ctr, ConstantInt::get(I64, 1), "k.next", true, true);
  Ctr->addIncoming(Next, Body);
  std::vector<Value *> Final;
  for (unsigned K = 0; K < Phis.size(); ++K) {
    Value *U = R.InOrder.Updates[K];
    Value *Mapped = VMap.count(U) ? static_cast<Value *>(VMap[U]) : U;
    Phis[K]->addIncoming(Mapped, Body);
    Final.push_back(Mapped);
  }
  LB.CreateCondBr(LB.CreateICmpNE(Next, Hi), Body, Exit);
  IRBuilder<> XB(Exit);
  for (unsigned K = 0; K < Final.size(); ++K) {
    PHINode *Out = XB.CreatePHI(Final[K]->getType(), 1);
    Out->addIncoming(Final[K], Body);
    XB.CreateStore(Out, XB.CreateConstGEP1_64(XB.getInt8Ty(), State, 8 * K));
  }
  XB.CreateRetVoid();
  fixDebugInfo(F, *Ch);
  return Ch;
}

/// Computes, before the loop, the values the footprint function needs: for
/// every access the start and step of its per-iteration bounds (or its
/// whole-loop hull), kept in env slots the chunk never reads.
void Outliner::planFootprint(IRBuilder<> &B, SCEVExpander &Exp,
                             Instruction *At) {
  ScalarEvolution &SE = Ctx.SE;
  Type *I64 = Type::getInt64Ty(C);
  NumMasterBase = Inputs.size() + StepVals.size();
  std::vector<Value *> Vals;
  std::vector<RangeSlots> Plan;
  auto Slot = [&](const SCEV *S) -> int {
    if (!Exp.isSafeToExpandAt(S, At))
      return -2;
    Value *V = Exp.expandCodeFor(S, S->getType(), At);
    if (V->getType()->isPointerTy())
      V = B.CreatePtrToInt(V, I64);
    else
      V = B.CreateSExtOrTrunc(V, I64);
    Vals.push_back(V);
    return NumMasterBase + Vals.size() - 1;
  };
  for (const Access &A : R.Accesses) {
    if (!A.Ptr)
      continue;
    if (A.CalleeGlobal) {
      // A callee reads this global by its symbol: the worker refreshes its
      // own copy. Constant globals are the same in every process.
      auto *GV = dyn_cast<GlobalVariable>(A.Ptr);
      if (!GV || GV->isConstant() || !A.HullLo)
        continue;
      RangeSlots RS;
      RS.Image = true;
      RS.LoStart = Slot(A.HullLo);
      RS.HiStart = Slot(A.HullHi);
      if (RS.LoStart == -2 || RS.HiStart == -2) {
        R.Shippable = false;
        R.LocalOnlyWhy = "the footprint of " + A.What +
                         " cannot be computed before the loop";
        return;
      }
      Plan.push_back(RS);
      continue;
    }
    if (Value *Obj = getUnderlyingObject(A.Ptr, 12);
        Obj && R.Privates.count(Obj))
      continue;
    RangeSlots RS;
    RS.Write = A.IsWrite;
    const SCEV *LoS, *LoSt, *HiS, *HiSt;
    // Forms valid only under conditions the loop does not check are not
    // footprints.
    bool LoOk = !A.LoNeedsConds || A.CondsAdded;
    bool HullOk = !A.HullNeedsConds || A.CondsAdded;
    if (LoOk && A.Lo && affineIn(A.Lo, L, SE, LoS, LoSt) &&
        affineIn(A.Hi, L, SE, HiS, HiSt)) {
      RS.LoStart = Slot(LoS);
      RS.LoStep = Slot(LoSt);
      RS.HiStart = Slot(HiS);
      RS.HiStep = Slot(HiSt);
      RS.LoUp = SE.isKnownNonNegative(LoSt);
      RS.LoKnownSign = RS.LoUp || SE.isKnownNonPositive(LoSt);
      RS.HiUp = SE.isKnownNonNegative(HiSt);
      RS.HiKnownSign = RS.HiUp || SE.isKnownNonPositive(HiSt);
    } else if (A.HullLo && HullOk) {
      RS.LoStart = Slot(A.HullLo);
      RS.HiStart = Slot(A.HullHi);
    } else {
      R.Shippable = false;
      R.LocalOnlyWhy = A.What + " has a footprint only under conditions "
                                "the loop does not check";
      return;
    }
    if (RS.LoStart == -2 || RS.LoStep == -2 || RS.HiStart == -2 ||
        RS.HiStep == -2) {
      R.Shippable = false;
      R.LocalOnlyWhy =
          "the footprint of " + A.What + " cannot be computed before the loop";
      return;
    }
    // The pointer the access goes through, when the chunk gets it from env.
    if (const SCEV *S = A.Lo ? A.Lo : A.HullLo)
      if (auto *U = dyn_cast<SCEVUnknown>(SE.getPointerBase(S)))
        for (unsigned K = 0; K < Inputs.size(); ++K)
          if (Inputs[K] == U->getValue())
            RS.BaseSlot = K;
    Plan.push_back(RS);
  }
  MasterVals = Vals;
  Ranges = Plan;
}

/// void fp(i64 lo, i64 hi, ptr env, ptr out): out[r] = {begin, end} of the
/// bytes iterations [lo, hi) touch through access r. A bound affine in the
/// iteration is extreme at lo or at hi - 1.
Function *Outliner::buildFootprint() {
  Type *I64 = Type::getInt64Ty(C), *Ptr = PointerType::getUnqual(C);
  auto *FT = FunctionType::get(Type::getVoidTy(C), {I64, I64, Ptr, Ptr}, false);
  Function *Fp =
      Function::Create(FT, GlobalValue::InternalLinkage,
                       F.getName() + ".pydron.footprint." + Twine(Tag), M);
  Fp->addFnAttr(Attribute::NoUnwind);
  Fp->addFnAttr("pydron-chunk");
  Argument *Lo = Fp->getArg(0), *Hi = Fp->getArg(1), *Env = Fp->getArg(2),
           *Out = Fp->getArg(3);
  IRBuilder<> B(BasicBlock::Create(C, "entry", Fp));
  Value *Last = B.CreateSub(Hi, ConstantInt::get(I64, 1));
  auto Load = [&](int Slot) {
    return B.CreateLoad(I64, B.CreateStructGEP(EnvTy, Env, Slot));
  };
  auto Bound = [&](int Start, int Step, bool Up, bool KnownSign, bool Max) {
    Value *S = Load(Start);
    if (Step < 0)
      return S;
    Value *St = Load(Step);
    Value *AtLo = B.CreateAdd(S, B.CreateMul(St, Lo));
    Value *AtLast = B.CreateAdd(S, B.CreateMul(St, Last));
    if (KnownSign)
      return (Up == Max) ? AtLast : AtLo;
    return Max ? B.CreateSelect(B.CreateICmpUGT(AtLo, AtLast), AtLo, AtLast)
               : B.CreateSelect(B.CreateICmpULT(AtLo, AtLast), AtLo, AtLast);
  };
  auto *RangeTy = StructType::get(C, {I64, I64});
  for (unsigned K = 0; K < Ranges.size(); ++K) {
    const RangeSlots &RS = Ranges[K];
    Value *Begin = Bound(RS.LoStart, RS.LoStep, RS.LoUp, RS.LoKnownSign, false);
    Value *End = Bound(RS.HiStart, RS.HiStep, RS.HiUp, RS.HiKnownSign, true);
    Value *Cell = B.CreateGEP(RangeTy, Out, {ConstantInt::get(I64, K)});
    B.CreateStore(Begin, B.CreateStructGEP(RangeTy, Cell, 0));
    B.CreateStore(End, B.CreateStructGEP(RangeTy, Cell, 1));
  }
  B.CreateRetVoid();
  return Fp;
}

Constant *Outliner::buildDescriptor() {
  Type *I16 = Type::getInt16Ty(C), *I32 = Type::getInt32Ty(C),
       *I64 = Type::getInt64Ty(C);
  auto *Ptr = PointerType::getUnqual(C);
  SourcePlace P = placeOf(L);
  std::string Base = sys::path::filename(M.getSourceFileName()).str();
  MD5 Hash;
  Hash.update(M.getModuleIdentifier());
  Hash.update(M.getSourceFileName());
  MD5::MD5Result Res;
  Hash.final(Res);
  // One identity per descriptor: the optimizer may have made several
  // versions of one source loop.
  std::string Id = Base + "#" + Res.digest().str().str().substr(0, 12) + ":" +
                   std::to_string(Tag) + "." +
                   std::to_string(Out.Descriptors.size());

  // Folds.
  auto *FoldTy = StructType::get(C, {I16, I16, I32});
  std::vector<Constant *> FoldVals;
  uint32_t Flags = FootprintFn ? PYDRON_LOOP_SHIPPABLE : 0;
  for (unsigned K = 0; K < R.Folds.size(); ++K) {
    FoldVals.push_back(ConstantStruct::get(
        FoldTy, {ConstantInt::get(I16, R.Folds[K].Op),
                 ConstantInt::get(I16, R.Folds[K].Type),
                 ConstantInt::get(I32, K * FoldSlotBytes)}));
    if (R.Folds[K].Reassoc)
      Flags |= PYDRON_LOOP_FIXED_CHUNKS;
  }
  Constant *Folds = ConstantPointerNull::get(Ptr);
  if (!FoldVals.empty()) {
    auto *ArrTy = ArrayType::get(FoldTy, FoldVals.size());
    Folds = new GlobalVariable(M, ArrTy, true, GlobalValue::PrivateLinkage,
                               ConstantArray::get(ArrTy, FoldVals),
                               "pydron.folds." + Twine(Tag));
  }
  // Env slots: what each holds, for shipping the env to workers.
  auto *SlotTy = StructType::get(C, {I32, I16, I16});
  const StructLayout *SL = DL.getStructLayout(EnvTy);
  std::vector<Constant *> SlotVals;
  for (unsigned K = 0; K < EnvTy->getNumElements(); ++K) {
    Type *T = EnvTy->getElementType(K);
    uint16_t Kind = K >= NumChunkSlots ? PYDRON_SLOT_MASTER
                    : T->isPointerTy() ? PYDRON_SLOT_POINTER
                                       : PYDRON_SLOT_VALUE;
    SlotVals.push_back(ConstantStruct::get(
        SlotTy, {ConstantInt::get(I32, SL->getElementOffset(K)),
                 ConstantInt::get(I16, DL.getTypeStoreSize(T)),
                 ConstantInt::get(I16, Kind)}));
  }
  Constant *Slots = ConstantPointerNull::get(Ptr);
  if (!SlotVals.empty()) {
    auto *ArrTy = ArrayType::get(SlotTy, SlotVals.size());
    Slots = new GlobalVariable(M, ArrTy, true, GlobalValue::PrivateLinkage,
                               ConstantArray::get(ArrTy, SlotVals),
                               "pydron.slots." + Twine(Tag));
  }
  Constant *RangeKinds = ConstantPointerNull::get(Ptr);
  if (FootprintFn) {
    std::vector<uint8_t> Kinds;
    for (const RangeSlots &RS : Ranges)
      Kinds.push_back(RS.Image   ? PYDRON_RANGE_IMAGE_READ
                      : RS.Write ? PYDRON_RANGE_WRITE
                                 : PYDRON_RANGE_READ);
    auto *KindsInit = ConstantDataArray::get(C, Kinds);
    RangeKinds = new GlobalVariable(M, KindsInit->getType(), true,
                                    GlobalValue::PrivateLinkage, KindsInit,
                                    "pydron.range.kinds." + Twine(Tag));
  }
  Constant *RangeSlotsArr = ConstantPointerNull::get(Ptr);
  if (FootprintFn) {
    std::vector<uint16_t> Bases;
    for (const RangeSlots &RS : Ranges)
      Bases.push_back(static_cast<uint16_t>(static_cast<int16_t>(RS.BaseSlot)));
    auto *BasesInit = ConstantDataArray::get(C, Bases);
    RangeSlotsArr = new GlobalVariable(M, BasesInit->getType(), true,
                                       GlobalValue::PrivateLinkage, BasesInit,
                                       "pydron.range.slots." + Twine(Tag));
  }
  StructType *DescTy = loopDescType(C);
  Constant *Fields[] = {
      ConstantInt::get(I32, PYDRON_ABI_VERSION),
      ConstantInt::get(I32, Flags),
      cString(M, Id, "pydron.id"),
      cString(M, F.getName(), "pydron.fn"),
      cString(M, P.File, "pydron.file"),
      ConstantInt::get(I32, P.Line),
      ConstantInt::get(I32, P.Col),
      Chunk,
      ConstantInt::get(I32, DL.getTypeAllocSize(EnvTy)),
      ConstantInt::get(I32, R.Folds.size() * FoldSlotBytes),
      ConstantInt::get(I32, R.Folds.size()),
      Folds,
      FootprintFn ? static_cast<Constant *>(FootprintFn)
                  : static_cast<Constant *>(ConstantPointerNull::get(Ptr)),
      ConstantInt::get(I32, FootprintFn ? Ranges.size() : 0),
      ConstantInt::get(I32, 0),
      ConstantInt::get(I64, R.Cost),
      ChainFn ? static_cast<Constant *>(ChainFn)
              : static_cast<Constant *>(ConstantPointerNull::get(Ptr)),
      ConstantInt::get(I32, valueSize()),
      ConstantInt::get(I32, 8 * R.InOrder.Phis.size()),
      RangeKinds,
      ConstantInt::get(I32, SlotVals.size()),
      ConstantInt::get(I32, 0),
      Slots,
      RangeSlotsArr};
  auto *GV = new GlobalVariable(M, DescTy, true, GlobalValue::PrivateLinkage,
                                ConstantStruct::get(DescTy, Fields),
                                "pydron.loop." + Twine(Tag));
  GV->setAlignment(Align(8));
  return GV;
}

bool Outliner::replaceLoop(Constant *Desc, std::string &Why) {
  Type *I64 = Type::getInt64Ty(C), *I32 = Type::getInt32Ty(C);
  auto *Ptr = PointerType::getUnqual(C);
  BasicBlock *Preheader = L.getLoopPreheader();
  BasicBlock *Exit = L.getUniqueExitBlock();
  BasicBlock *Latch = L.getLoopLatch();

  // preheader -> [checks] -> dispatch -> done -> exit
  //                  \           \
  //                   +-----------+--> seq (the loop's new preheader)
  BasicBlock *Seq = SplitBlock(Preheader, Preheader->getTerminator(), &Ctx.DT,
                               &Ctx.LI, nullptr, "pydron.seq");
  SeqPreheader = Seq;
  BasicBlock *Dispatch = BasicBlock::Create(C, "pydron.dispatch", &F, Seq);
  BasicBlock *Done = BasicBlock::Create(C, "pydron.done", &F, Seq);
  if (Loop *Parent = L.getParentLoop()) {
    Parent->addBasicBlockToLoop(Dispatch, Ctx.LI);
    Parent->addBasicBlockToLoop(Done, Ctx.LI);
  }

  SCEVExpander Exp(Ctx.SE, DL, "pydron");
  Instruction *At = Preheader->getTerminator();
  IRBuilder<> B(At);
  Value *TC = Exp.expandCodeFor(R.TripCount, I64, At);
  Value *Ok = B.CreateICmpSGT(TC, ConstantInt::get(I64, 1), "pydron.worth");
  for (const OverlapCheck &Chk : R.Checks) {
    auto AsInt = [&](const SCEV *S) {
      Value *V = Exp.expandCodeFor(S, S->getType(), At);
      return V->getType()->isPointerTy() ? B.CreatePtrToInt(V, I64)
                                         : B.CreateSExtOrTrunc(V, I64);
    };
    Value *EA = AsInt(Chk.EndA), *BA = AsInt(Chk.BeginA);
    Value *EB = AsInt(Chk.EndB), *BB = AsInt(Chk.BeginB);
    // A hull computed from a value range can wrap around the address
    // space (a negative index bound below a low address): then it is not
    // an interval and the check fails.
    Value *Sane = B.CreateAnd(B.CreateICmpULE(BA, EA), B.CreateICmpULE(BB, EB));
    Value *Disjoint =
        B.CreateOr(B.CreateICmpULE(EA, BB), B.CreateICmpULE(EB, BA));
    Disjoint = B.CreateAnd(Sane, Disjoint, "pydron.disjoint");
    Ok = B.CreateAnd(Ok, Disjoint);
  }
  for (const SCEVPredicate *P : R.TripPreds) {
    Value *Broken = Exp.expandCodeForPredicate(P, At);
    Ok = B.CreateAnd(Ok, B.CreateNot(Broken), "pydron.nowrap");
  }
  for (const RuntimeCond &Cond : R.Conds) {
    Value *V = Exp.expandCodeFor(Cond.Value, Cond.Value->getType(), At);
    Ok = B.CreateAnd(Ok, B.CreateICmpSGE(V, ConstantInt::get(V->getType(), 0)),
                     "pydron.cond");
  }
  // Steps of the inductions.
  for (const Induction &Ind : R.Inductions) {
    const SCEV *Step = Ind.Desc.getStep();
    StepVals.push_back(Exp.expandCodeFor(Step, Step->getType(), At));
  }
  if (R.Shippable)
    planFootprint(B, Exp, At);
  B.CreateCondBr(Ok, Dispatch, Seq);
  At->eraseFromParent();

  // The env block and the result buffer live in the entry block.
  SmallVector<Type *, 8> Fields;
  for (Value *V : Inputs)
    Fields.push_back(V->getType());
  for (Value *V : StepVals)
    Fields.push_back(V->getType());
  NumChunkSlots = Fields.size();
  for (Value *V : MasterVals)
    Fields.push_back(V->getType());
  EnvTy = StructType::get(C, Fields);
  Chunk = buildChunk();
  if (!R.InOrder.empty())
    ChainFn = buildChain();
  if (!Ranges.empty())
    FootprintFn = buildFootprint();
  Desc = buildDescriptor();
  Descriptor = Desc;

  IRBuilder<> EB(&*F.getEntryBlock().getFirstInsertionPt());
  AllocaInst *Env = EB.CreateAlloca(EnvTy, nullptr, "pydron.env");
  AllocaInst *Result = EB.CreateAlloca(
      ArrayType::get(
          I64, std::max<size_t>(1, R.Folds.size() + R.InOrder.Phis.size())),
      nullptr, "pydron.result");

  IRBuilder<> DB(Dispatch);
  for (unsigned K = 0; K < Inputs.size(); ++K)
    DB.CreateStore(Inputs[K], DB.CreateStructGEP(EnvTy, Env, K));
  for (unsigned K = 0; K < StepVals.size(); ++K)
    DB.CreateStore(StepVals[K],
                   DB.CreateStructGEP(EnvTy, Env, Inputs.size() + K));
  for (unsigned K = 0; K < MasterVals.size(); ++K)
    DB.CreateStore(MasterVals[K],
                   DB.CreateStructGEP(EnvTy, Env, NumChunkSlots + K));
  for (unsigned K = 0; K < R.Folds.size(); ++K)
    if (R.Folds[K].Phi)
      DB.CreateStore(
          R.Folds[K].Phi->getIncomingValueForBlock(Seq),
          DB.CreateConstGEP1_64(DB.getInt8Ty(), Result, K * FoldSlotBytes));
  for (unsigned K = 0; K < R.InOrder.Phis.size(); ++K)
    DB.CreateStore(
        R.InOrder.Phis[K]->getIncomingValueForBlock(Seq),
        DB.CreateConstGEP1_64(DB.getInt8Ty(), Result, stateOffset() + 8 * K));
  FunctionCallee PF = M.getOrInsertFunction(
      "pydron_parallel_for",
      FunctionType::get(I32, {Ptr, I64, Ptr, Ptr}, false));
  Value *Ran = DB.CreateCall(PF, {Desc, TC, Env, Result}, "pydron.ran");
  DB.CreateCondBr(DB.CreateICmpNE(Ran, ConstantInt::get(I32, 0)), Done, Seq);

  // After the parallel loop: live-outs for the exit block's phis.
  IRBuilder<> XB(Done);
  BranchInst *ToExit = XB.CreateBr(Exit);
  XB.SetInsertPoint(ToExit);
  for (PHINode &P : Exit->phis()) {
    Value *V = P.getIncomingValueForBlock(Latch);
    Value *Out = nullptr;
    for (unsigned K = 0; K < R.Folds.size(); ++K)
      if (R.Folds[K].Update == V)
        Out = XB.CreateLoad(
            V->getType(),
            XB.CreateConstGEP1_64(XB.getInt8Ty(), Result, K * FoldSlotBytes),
            "pydron.folded");
    for (unsigned K = 0; K < R.InOrder.Phis.size() && !Out; ++K)
      if (R.InOrder.Updates[K] == V)
        Out = XB.CreateLoad(V->getType(),
                            XB.CreateConstGEP1_64(XB.getInt8Ty(), Result,
                                                  stateOffset() + 8 * K),
                            "pydron.chained");
    if (!Out) {
      auto *I = dyn_cast<Instruction>(V);
      if (!I || !L.contains(I)) {
        Out = V;
      } else {
        const SCEV *S = Ctx.SE.getSCEVAtScope(V, L.getParentLoop());
        Out = Exp.expandCodeFor(S, V->getType(), ToExit);
      }
    }
    P.addIncoming(Out, Done);
  }
  Ctx.DT.recalculate(F);
  // F now starts threads and calls into the runtime: what the optimizer
  // inferred about its synchronization and memory no longer holds.
  for (auto Kind : {Attribute::NoSync, Attribute::NoFree, Attribute::Memory,
                    Attribute::NoRecurse})
    F.removeFnAttr(Kind);
  (void)Why;
  return true;
}

bool Outliner::run(std::string &Why) {
  if (!L.getLoopPreheader() || !L.getUniqueExitBlock() || !L.getLoopLatch() ||
      !isa<BranchInst>(L.getLoopLatch()->getTerminator())) {
    Why = "the loop is not in the form the outliner needs";
    return false;
  }
  for (PHINode &P : L.getUniqueExitBlock()->phis())
    if (P.getNumIncomingValues() != 1) {
      Why = "the loop's exit is shared";
      return false;
    }
  // Everything evaluated before the loop must be safe to evaluate there.
  SCEVExpander Probe(Ctx.SE, DL, "pydron");
  Instruction *At = L.getLoopPreheader()->getTerminator();
  std::vector<const SCEV *> Needed{R.TripCount};
  for (const OverlapCheck &Chk : R.Checks)
    Needed.insert(Needed.end(), {Chk.BeginA, Chk.EndA, Chk.BeginB, Chk.EndB});
  for (const RuntimeCond &Cond : R.Conds)
    Needed.push_back(Cond.Value);
  for (const Induction &Ind : R.Inductions)
    Needed.push_back(Ind.Desc.getStep());
  for (const SCEV *S : Needed)
    if (!Probe.isSafeToExpandAt(S, At)) {
      Why = "a bound or check it needs cannot be computed before the loop";
      return false;
    }
  // Constant expressions on mutable globals (a GEP into a global array)
  // become instructions, so that the global itself is an operand.
  std::vector<Constant *> Globals;
  for (BasicBlock *BB : L.blocks())
    for (Instruction &I : *BB)
      for (Value *Op : I.operands())
        if (auto *CE = dyn_cast<ConstantExpr>(Op))
          for (Value *Inner : CE->operands())
            if (auto *GV = dyn_cast<GlobalVariable>(Inner->stripPointerCasts()))
              if (!GV->isConstant())
                Globals.push_back(GV);
  if (!Globals.empty())
    convertUsersOfConstantsToInstructions(Globals, &F);
  collectInputs();
  if (!replaceLoop(nullptr, Why))
    return false;
  Out.Descriptors.push_back(Descriptor);
  return true;
}

} // namespace

bool outlineLoop(LoopResult &R, unsigned Tag, AnalysisContext &Ctx,
                 ModuleLoops &Out, std::string &Why) {
  return Outliner(R, Tag, Ctx, Out).run(Why);
}

void emitRegistration(Module &M, ModuleLoops &Loops) {
  LLVMContext &C = M.getContext();
  Type *I32 = Type::getInt32Ty(C);
  auto *Ptr = PointerType::getUnqual(C);
  auto *ArrTy = ArrayType::get(Ptr, Loops.Descriptors.size());
  auto *Arr = new GlobalVariable(M, ArrTy, true, GlobalValue::PrivateLinkage,
                                 ConstantArray::get(ArrTy, Loops.Descriptors),
                                 "pydron.loops.table");
  auto *ModTy = StructType::get(C, {I32, I32, Ptr, Ptr});
  std::string Id = sys::path::filename(M.getSourceFileName()).str();
  auto *Mod = new GlobalVariable(
      M, ModTy, true, GlobalValue::PrivateLinkage,
      ConstantStruct::get(ModTy,
                          {ConstantInt::get(I32, PYDRON_ABI_VERSION),
                           ConstantInt::get(I32, Loops.Descriptors.size()),
                           cString(M, Id, "pydron.module.id"), Arr}),
      "pydron.module");
  Mod->setAlignment(Align(8));
  auto *Ctor =
      Function::Create(FunctionType::get(Type::getVoidTy(C), false),
                       GlobalValue::InternalLinkage, "pydron.register", M);
  Ctor->addFnAttr(Attribute::NoUnwind);
  IRBuilder<> B(BasicBlock::Create(C, "entry", Ctor));
  FunctionCallee Reg = M.getOrInsertFunction(
      "pydron_register_module",
      FunctionType::get(Type::getVoidTy(C), {Ptr}, false));
  B.CreateCall(Reg, {Mod});
  B.CreateRetVoid();
  appendToGlobalCtors(M, Ctor, 101);
}

} // namespace pydron
