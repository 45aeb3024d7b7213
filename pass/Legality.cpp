//===- Legality.cpp - Are the iterations of a loop independent? -----------===//
//
// DOALL legality, as DESIGN §3 states it: a trip count computable when the
// loop starts; a single exit, at the latch; header phis that are integer or
// pointer inductions or foldable recurrences; no sync point; objects whose
// lifetime is one iteration are private; and no loop-carried memory
// dependence between any write and any other access.
//
// The dependence proof is ours: every access's per-iteration footprint
// [Lo(i), Hi(i)) (Footprints.cpp) must be disjoint from every write's
// footprint in every other iteration. Two tests, both on SCEVs:
//  - the slot test: both footprints move by the same step S each iteration
//    and fit, together, in one window [c, c + |S|), so different iterations
//    use different windows;
//  - the hull test: the footprints over the whole loop do not overlap.
// When neither holds only because the two pointers have different bases
// (parameters without restrict), the loop is parallel under a run-time
// check that the two hulls do not overlap. DependenceAnalysis is a second
// opinion for loads and stores: any direction other than '=' at this loop's
// level, or a confused result, counts as a dependence.
//
//===----------------------------------------------------------------------===//
#include "CalleeSummary.h"
#include "Footprints.h"
#include "LoopAnalysis.h"
#include "Purity.h"

#include "llvm/Analysis/AliasAnalysis.h"
#include "llvm/Analysis/CaptureTracking.h"
#include "llvm/Analysis/DependenceAnalysis.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/Analysis/ScalarEvolutionExpressions.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
#include <optional>

using namespace llvm;

namespace pydron {

using K = RejectReason::Kind;

namespace {

class Legality {
public:
  Legality(Loop &L, AnalysisContext &C) : L(L), C(C), SE(C.SE) {}
  LoopResult run();

private:
  Loop &L;
  AnalysisContext &C;
  ScalarEvolution &SE;
  LoopResult R;
  SmallVector<CallBase *, 4> Mallocs, Frees;
  SmallPtrSet<AllocaInst *, 4> Allocas; // allocas outside L used in L

  Reason structure();
  Reason scanInstructions();
  Reason scanCall(CallBase &CB);
  Reason privatize();
  Reason phis();
  Reason liveOuts();
  Reason dependences();
  void addAccess(Instruction *I, Value *Ptr, const SCEV *Begin, const SCEV *End,
                 bool Write, std::string What);
  Value *objectOf(const Access &A) const;
  bool isPrivate(const Access &A) const;
  bool provedDisjoint(const Access &W, const Access &A, std::string &Why,
                      bool &NeedsCheck);
  bool daAgrees(const Access &W, const Access &A, std::string &Why);
  bool hull(const Access &A, const SCEV *&Begin, const SCEV *&End);
  bool lattice(const Access &W, const Access &A, bool &NeedsCheck);
  std::optional<uint64_t> callCost(const CallBase &CB);
  bool CostUnknown = false;
  /// The proof used \p X's widened arithmetic: check it at run time.
  void requireConds(const Access &X) {
    if (X.CondsAdded || X.Conds.empty())
      return;
    X.CondsAdded = true;
    for (const SCEV *Cond : X.Conds)
      R.Conds.push_back(
          {Cond, "the index arithmetic of " + X.What + " does not overflow"});
  }
  /// Negative for every entry into the loop (using the conditions that
  /// guard it, such as n > 1).
  bool knownNegative(const SCEV *S) {
    return !isa<SCEVCouldNotCompute>(S) &&
           (SE.isKnownNegative(S) ||
            SE.isKnownNegative(SE.applyLoopGuards(S, &L)));
  }
};

} // namespace

static bool isThreadLocal(const Value *Ptr) {
  const Value *Obj = getUnderlyingObject(Ptr, 12);
  if (auto *GV = dyn_cast<GlobalVariable>(Obj))
    return GV->isThreadLocal();
  if (auto *II = dyn_cast<IntrinsicInst>(Obj))
    return II->getIntrinsicID() == Intrinsic::threadlocal_address;
  return false;
}

Reason Legality::structure() {
  BasicBlock *Latch = L.getLoopLatch();
  SmallVector<BasicBlock *, 4> Exiting;
  L.getExitingBlocks(Exiting);
  if (Exiting.size() != 1 || !L.getUniqueExitBlock()) {
    for (BasicBlock *B : Exiting)
      if (B != Latch)
        return reject(K::MultipleExits,
                      "the loop has more than one exit (a break, return or "
                      "goto leaves it)",
                      B->getTerminator());
    return reject(K::MultipleExits, "the loop has more than one exit",
                  Latch ? Latch->getTerminator() : nullptr);
  }
  if (Exiting[0] != Latch)
    return reject(K::NotRotated,
                  "the loop's exit test is not at its end (the optimizer did "
                  "not rotate it)",
                  Exiting[0]->getTerminator());
  const SCEV *BTC = SE.getBackedgeTakenCount(&L);
  if (isa<SCEVCouldNotCompute>(BTC)) {
    // Often computable if the counter does not wrap: check that at run
    // time (as LoopVersioning does).
    PredicatedScalarEvolution PSE(SE, L);
    BTC = PSE.getBackedgeTakenCount();
    if (!isa<SCEVCouldNotCompute>(BTC))
      for (const SCEVPredicate *P :
           cast<SCEVUnionPredicate>(PSE.getPredicate()).getPredicates())
        R.TripPreds.push_back(P);
  }
  if (isa<SCEVCouldNotCompute>(BTC))
    return reject(K::NoTripCount,
                  "the number of iterations cannot be computed when the loop "
                  "starts",
                  Latch->getTerminator());
  Type *I64 = Type::getInt64Ty(L.getHeader()->getContext());
  if (BTC->getType()->getIntegerBitWidth() > 64) {
    // A wide count (from a predicated analysis): fine when it fits in 62
    // bits, which is checked at run time if it cannot be proven.
    if (BTC->getType()->getIntegerBitWidth() > 128)
      return reject(K::NoTripCount, "the loop counter is wider than 64 bits",
                    Latch->getTerminator());
    if (SE.getUnsignedRangeMax(BTC).getActiveBits() > 62)
      R.Conds.push_back(
          {SE.getMinusSCEV(SE.getConstant(BTC->getType(), 1ull << 62), BTC),
           "the number of iterations fits in 62 bits"});
    BTC = SE.getTruncateExpr(BTC, I64);
  }
  R.BTC = BTC;
  R.TripCount = SE.getTripCountFromExitCount(BTC, I64, &L);
  return nullptr;
}

/// A hull from a value range of a whole narrow type (2^32 elements, say)
/// is useless for overlap checks; the widened form is better.
static bool hullIsHugeImpl(ScalarEvolution &SE, const SCEV *Lo,
                           const SCEV *Hi) {
  const SCEV *D = SE.getMinusSCEV(Hi, Lo);
  if (isa<SCEVCouldNotCompute>(D))
    return false;
  return SE.getUnsignedRangeMin(D).uge(
      APInt(64, 1ull << 32).zextOrTrunc(D->getType()->getIntegerBitWidth()));
}

void Legality::addAccess(Instruction *I, Value *Ptr, const SCEV *Begin,
                         const SCEV *End, bool Write, std::string What) {
  Access A;
  A.I = I;
  A.Ptr = Ptr;
  A.IsWrite = Write;
  A.What = std::move(What);
  const SCEV *OrigBegin = Begin, *OrigEnd = End;
  if (Begin && End) {
    // Narrow index arithmetic (int i * n) widened under run-time checks
    // that it does not wrap.
    std::vector<const SCEV *> Conds;
    Begin = widenExtensions(Begin, L, SE, Conds);
    End = widenExtensions(End, L, SE, Conds);
    A.Conds = Conds;
  }
  A.Begin = Begin;
  A.End = End;
  A.Widened = OrigBegin != Begin || OrigEnd != End;
  if (Begin && End) {
    // The hull over the whole loop: from the body's own arithmetic when
    // that is bounded (a wrapping index stays inside its range), else from
    // the widened form, valid under its conditions.
    LoopPredicate InL = [&](const Loop *M) { return L.contains(M); };
    auto Hull = [&](const SCEV *B, const SCEV *E) {
      std::string Ignored;
      A.HullLo = boundOver(B, false, InL, C.LI, SE, Ignored, &L, R.BTC);
      A.HullHi = A.HullLo
                     ? boundOver(E, true, InL, C.LI, SE, Ignored, &L, R.BTC)
                     : nullptr;
      if (!A.HullHi || !SE.isLoopInvariant(A.HullLo, &L) ||
          !SE.isLoopInvariant(A.HullHi, &L))
        A.HullLo = A.HullHi = nullptr;
      return A.HullLo != nullptr;
    };
    bool Widened = A.Widened;
    if (!Widened || !Hull(OrigBegin, OrigEnd) ||
        hullIsHugeImpl(SE, A.HullLo, A.HullHi)) {
      Hull(Begin, End);
      A.HullNeedsConds = Widened && !A.Conds.empty();
    }
  }
  // Per iteration: from the body's own arithmetic if that is affine; else
  // its whole-loop hull when that is bounded (coeff[i % 16]: the table);
  // else the widened form, under its conditions.
  if (Begin && End &&
      !iterationRange(OrigBegin, OrigEnd, L, C.LI, SE, A.Lo, A.Hi, A.Why)) {
    A.Lo = A.Hi = nullptr;
    std::string Ignored;
    if (A.HullLo && !A.HullNeedsConds &&
        !hullIsHugeImpl(SE, A.HullLo, A.HullHi)) {
      A.Lo = A.HullLo;
      A.Hi = A.HullHi;
      A.Why.clear();
    } else if (A.Widened &&
               iterationRange(Begin, End, L, C.LI, SE, A.Lo, A.Hi, Ignored)) {
      A.LoNeedsConds = !A.Conds.empty();
      A.Why.clear();
    } else {
      A.Lo = A.Hi = nullptr;
    }
  }
  if (auto *AI = dyn_cast_or_null<AllocaInst>(Ptr ? getUnderlyingObject(Ptr, 12)
                                                  : nullptr))
    if (!L.contains(AI))
      Allocas.insert(AI);
  R.Accesses.push_back(A);
}

Reason Legality::scanCall(CallBase &CB) {
  if (auto *II = dyn_cast<IntrinsicInst>(&CB)) {
    switch (II->getIntrinsicID()) {
    case Intrinsic::threadlocal_address:
      return reject(
          K::ThreadLocal,
          "it uses thread-local variable " + nameOf(II->getArgOperand(0)), &CB);
    case Intrinsic::stacksave:
    case Intrinsic::stackrestore:
      return nullptr; // scope of a variable-length array in the body
    default:
      break;
    }
  }
  CallClass CC = classifyCall(CB, C.TLI);
  std::string Name = calleeName(CB);
  const DataLayout &DL = CB.getModule()->getDataLayout();
  Type *I64 = Type::getInt64Ty(CB.getContext());
  switch (CC.Kind) {
  case CallKind::Ignored:
    return nullptr;
  case CallKind::NoMemory:
    if (!isa<IntrinsicInst>(CB))
      R.PureCalls.push_back(Name);
    return nullptr;
  case CallKind::Sync:
    if (Name.empty())
      return reject(K::SyncPoint,
                    "an indirect call is a sync point (its callee is not "
                    "known to be functional)",
                    &CB);
    return reject(K::SyncPoint,
                  "call to '" + Name +
                      "' is a sync point (not PYDRON_FUNCTIONAL, and not "
                      "known to be free of side effects)",
                  &CB);
  case CallKind::Malloc:
    Mallocs.push_back(&CB);
    return nullptr;
  case CallKind::Free:
    Frees.push_back(&CB);
    return nullptr;
  case CallKind::ReadsArgs:
    R.PureCalls.push_back(Name);
    for (Value *Arg : CB.args())
      if (Arg->getType()->isPointerTy())
        addAccess(&CB, Arg, nullptr, nullptr, false,
                  "'" + Name + "' reading through " +
                      nameOf(getUnderlyingObject(Arg)));
    for (Access &A : R.Accesses)
      if (A.I == &CB && A.Why.empty())
        A.Why = "'" + Name + "' reads a string of unknown length";
    return nullptr;
  case CallKind::ReadsAnything: {
    R.PureCalls.push_back(Name);
    Access A;
    A.I = &CB;
    A.What = "'" + Name + "'";
    A.Why = "'" + Name + "' may read any memory";
    R.Accesses.push_back(A);
    return nullptr;
  }
  case CallKind::MemIntrinsic: {
    auto *MI = cast<MemIntrinsic>(&CB);
    const SCEV *Len =
        SE.getTruncateOrZeroExtend(SE.getSCEV(MI->getLength()), I64);
    const SCEV *D = SE.getSCEV(MI->getDest());
    addAccess(&CB, MI->getDest(), D, SE.getAddExpr(D, Len), true,
              std::string(isa<MemSetInst>(MI) ? "memset" : "memcpy") + " of " +
                  nameOf(getUnderlyingObject(MI->getDest())));
    if (auto *MT = dyn_cast<MemTransferInst>(MI)) {
      const SCEV *S = SE.getSCEV(MT->getSource());
      addAccess(&CB, MT->getSource(), S, SE.getAddExpr(S, Len), false,
                "memcpy from " + nameOf(getUnderlyingObject(MT->getSource())));
    }
    (void)DL;
    return nullptr;
  }
  case CallKind::Functional: {
    Function &Callee = *CB.getCalledFunction();
    const Summary &S = C.Summaries.of(Callee);
    if (!S.SyncWhy.empty())
      return reject(K::SyncPoint,
                    "call to PYDRON_FUNCTIONAL '" + Name +
                        "' is a sync point: " + S.SyncWhy,
                    &CB);
    R.PureCalls.push_back(Name);
    for (GlobalVariable *GV : S.GlobalsRead) {
      // The whole global: a read of known extent.
      uint64_t Bytes = DL.getTypeAllocSize(GV->getValueType());
      const SCEV *B = SE.getSCEV(GV);
      addAccess(&CB, GV, B, SE.getAddExpr(B, SE.getConstant(I64, Bytes)), false,
                "'" + Name + "' reading " + nameOf(GV));
      R.Accesses.back().CalleeGlobal = true;
    }
    if (S.ReadsGlobals) {
      Access A;
      A.I = &CB;
      A.What = "'" + Name + "' reading globals";
      A.Why = "'" + Name + "' reads global memory";
      A.IsWrite = false;
      // Reads of constant globals: checked against writes by alias analysis
      // on the call (below, Ptr null means "any global").
      R.Accesses.push_back(A);
      R.Accesses.back().Ptr = nullptr;
    }
    for (unsigned P = 0; P < CB.arg_size() && P < S.Params.size(); ++P) {
      const ParamSummary &PS = S.Params[P];
      Value *Arg = CB.getArgOperand(P);
      if (!Arg->getType()->isPointerTy())
        continue;
      const SCEV *ArgS = SE.getSCEV(Arg);
      for (bool W : {false, true}) {
        if (!(W ? PS.Writes : PS.Reads))
          continue;
        const Extent &E = W ? PS.Write : PS.Read;
        std::string What = "'" + Name + "' " + (W ? "writing" : "reading") +
                           " through argument " + std::to_string(P + 1) + " (" +
                           nameOf(getUnderlyingObject(Arg)) + ")";
        if (!E.Known) {
          if (W)
            return reject(K::NoFootprint,
                          "call to PYDRON_FUNCTIONAL '" + Name +
                              "' is a sync point: its writes through "
                              "argument " +
                              std::to_string(P + 1) +
                              " have no known footprint (" + E.Why +
                              "; declare it with PYDRON_WRITES)",
                          &CB);
          addAccess(&CB, Arg, nullptr, nullptr, false, What);
          R.Accesses.back().Why = "'" + Name + "' " + E.Why;
          continue;
        }
        const SCEV *Lo = instantiate(E.Lo, CB, SE);
        const SCEV *Hi = instantiate(E.Hi, CB, SE);
        if (Lo && Hi) {
          Lo = SE.getTruncateOrSignExtend(Lo, I64);
          Hi = SE.getTruncateOrSignExtend(Hi, I64);
          addAccess(&CB, Arg, SE.getAddExpr(ArgS, Lo), SE.getAddExpr(ArgS, Hi),
                    W, What);
        } else {
          addAccess(&CB, Arg, nullptr, nullptr, W, What);
          R.Accesses.back().Why = "its extent could not be rebuilt";
        }
      }
    }
    return nullptr;
  }
  }
  return nullptr;
}

Reason Legality::scanInstructions() {
  const DataLayout &DL = L.getHeader()->getModule()->getDataLayout();
  Type *I64 = Type::getInt64Ty(L.getHeader()->getContext());
  for (BasicBlock *BB : L.blocks()) {
    for (Instruction &I : *BB) {
      if (auto *CB = dyn_cast<CallBase>(&I)) {
        // A callee with a loop of its own costs an unknown amount: 0 tells
        // the runtime to measure rather than trust an estimate.
        std::optional<uint64_t> Callee = callCost(*CB);
        if (!Callee)
          CostUnknown = true;
        else
          R.Cost += *Callee;
      } else {
        R.Cost += 1;
      }
      if (auto *LI = dyn_cast<LoadInst>(&I)) {
        if (LI->isVolatile())
          return reject(
              K::Volatile,
              "volatile read of " +
                  nameOf(getUnderlyingObject(LI->getPointerOperand())) +
                  " is a sync point",
              LI);
        if (!LI->isUnordered())
          return reject(K::Atomic, "atomic read is a sync point", LI);
        if (isThreadLocal(LI->getPointerOperand()))
          return reject(
              K::ThreadLocal,
              "it reads thread-local variable " +
                  nameOf(getUnderlyingObject(LI->getPointerOperand(), 12)),
              LI);
        const SCEV *B = SE.getSCEV(LI->getPointerOperand());
        addAccess(
            LI, LI->getPointerOperand(), B,
            SE.getAddExpr(
                B, SE.getConstant(I64, DL.getTypeStoreSize(LI->getType()))),
            false,
            "read of " + nameOf(getUnderlyingObject(LI->getPointerOperand())));
      } else if (auto *SI = dyn_cast<StoreInst>(&I)) {
        if (SI->isVolatile())
          return reject(
              K::Volatile,
              "volatile write to " +
                  nameOf(getUnderlyingObject(SI->getPointerOperand())) +
                  " is a sync point",
              SI);
        if (!SI->isUnordered())
          return reject(K::Atomic, "atomic write is a sync point", SI);
        if (isThreadLocal(SI->getPointerOperand()))
          return reject(
              K::ThreadLocal,
              "it writes thread-local variable " +
                  nameOf(getUnderlyingObject(SI->getPointerOperand(), 12)),
              SI);
        const SCEV *B = SE.getSCEV(SI->getPointerOperand());
        addAccess(
            SI, SI->getPointerOperand(), B,
            SE.getAddExpr(
                B, SE.getConstant(I64, DL.getTypeStoreSize(
                                           SI->getValueOperand()->getType()))),
            true,
            "write to " + nameOf(getUnderlyingObject(SI->getPointerOperand())));
      } else if (isa<AtomicRMWInst>(I) || isa<AtomicCmpXchgInst>(I) ||
                 isa<FenceInst>(I)) {
        return reject(K::Atomic, "atomic operation is a sync point", &I);
      } else if (auto *CB = dyn_cast<CallBase>(&I)) {
        if (Reason Why = scanCall(*CB))
          return Why;
      } else if (isa<VAArgInst>(I)) {
        return reject(K::SyncPoint, "va_arg is a sync point", &I);
      } else if (auto *AI = dyn_cast<AllocaInst>(&I)) {
        R.Privates.insert(AI); // allocated anew in every iteration
      }
    }
  }
  return nullptr;
}

/// Whether all uses of \p Root (through casts and GEPs) are inside L, and
/// its address is never stored or passed where it could outlive the
/// iteration.
static bool usedOnlyIn(Value *Root, const Loop &L, bool AllowMarkersOutside,
                       SmallVectorImpl<Instruction *> *Markers) {
  SmallVector<Value *, 8> Work{Root};
  SmallPtrSet<Value *, 8> Seen;
  while (!Work.empty()) {
    Value *V = Work.pop_back_val();
    if (!Seen.insert(V).second)
      continue;
    for (User *U : V->users()) {
      auto *I = dyn_cast<Instruction>(U);
      if (!I)
        return false;
      if (I->isLifetimeStartOrEnd()) {
        if (Markers)
          Markers->push_back(I);
        if (!L.contains(I) && !AllowMarkersOutside)
          return false;
        continue;
      }
      // Address arithmetic may have been hoisted out of the loop; what
      // matters is where the memory is used.
      bool AddressOnly = isa<GetElementPtrInst>(I) || isa<CastInst>(I);
      if (!L.contains(I) && !AddressOnly)
        return false;
      if (auto *SI = dyn_cast<StoreInst>(I))
        if (SI->getValueOperand() == V)
          return false; // the address escapes into memory
      if (isa<GetElementPtrInst>(I) || isa<CastInst>(I) || isa<PHINode>(I) ||
          isa<SelectInst>(I))
        Work.push_back(I);
    }
  }
  return true;
}

Reason Legality::privatize() {
  // Allocas outside the loop whose lifetime is one iteration: every use in
  // the loop, a lifetime.start in the loop dominating them all.
  for (AllocaInst *AI : Allocas) {
    SmallVector<Instruction *, 4> Markers;
    if (!usedOnlyIn(AI, L, /*AllowMarkersOutside=*/false, &Markers))
      continue;
    Instruction *Start = nullptr;
    for (Instruction *M : Markers)
      if (cast<IntrinsicInst>(M)->getIntrinsicID() == Intrinsic::lifetime_start)
        Start = M;
    if (!Start)
      continue;
    bool Dominates = true;
    for (const Access &A : R.Accesses)
      if (A.Ptr && getUnderlyingObject(A.Ptr, 12) == AI)
        Dominates &= C.DT.dominates(Start, A.I);
    if (Dominates)
      R.Privates.insert(AI);
  }
  // malloc/free pairs inside one iteration.
  for (CallBase *M : Mallocs) {
    bool Freed = false;
    for (CallBase *F : Frees)
      Freed |= getUnderlyingObject(F->getArgOperand(0), 12) == M;
    if (!Freed || !usedOnlyIn(M, L, false, nullptr))
      return reject(K::SyncPoint,
                    "call to '" + calleeName(*M) +
                        "' allocates memory that outlives the iteration "
                        "(only malloc/free pairs inside one iteration are "
                        "private)",
                    M);
    R.Privates.insert(M);
  }
  for (CallBase *F : Frees) {
    Value *Obj = getUnderlyingObject(F->getArgOperand(0), 12);
    if (!R.Privates.count(Obj))
      return reject(K::SyncPoint,
                    "call to 'free' releases memory allocated outside the "
                    "iteration",
                    F);
  }
  return nullptr;
}

Reason Legality::phis() {
  SmallPtrSet<PHINode *, 4> IndPhis;
  for (PHINode &Phi : L.getHeader()->phis()) {
    InductionDescriptor ID;
    if (InductionDescriptor::isInductionPHI(&Phi, &L, &SE, ID) &&
        (ID.getKind() == InductionDescriptor::IK_IntInduction ||
         ID.getKind() == InductionDescriptor::IK_PtrInduction)) {
      R.Inductions.push_back({&Phi, ID});
      IndPhis.insert(&Phi);
    }
  }
  std::vector<std::pair<PHINode *, std::string>> Others;
  if (Reason Why = findFolds(L, C, IndPhis, R.Folds, Others))
    return Why;
  return findChain(L, C, IndPhis, R.Folds, Others, R.InOrder);
}

Reason Legality::liveOuts() {
  BasicBlock *Exit = L.getUniqueExitBlock();
  for (PHINode &P : Exit->phis()) {
    Value *V = P.getIncomingValueForBlock(L.getLoopLatch());
    auto *I = dyn_cast<Instruction>(V);
    if (!I || !L.contains(I))
      continue;
    bool Ok = false;
    for (const Fold &F : R.Folds)
      Ok |= F.Update == V;
    for (Value *U : R.InOrder.Updates)
      Ok |= U == V;
    // Values SCEV can compute from the trip count (inductions and
    // expressions of them) are rebuilt after the parallel loop.
    if (!Ok && SE.isSCEVable(V->getType())) {
      const SCEV *S = SE.getSCEVAtScope(V, L.getParentLoop());
      Ok = !isa<SCEVCouldNotCompute>(S) && SE.isLoopInvariant(S, &L);
    }
    if (!Ok) {
      // The value of the last iteration: each chunk keeps its own last, the
      // runtime keeps the last chunk's.
      const DataLayout &DL = I->getModule()->getDataLayout();
      Type *T = V->getType();
      uint64_t Size = DL.getTypeStoreSize(T);
      bool Dominates = C.DT.dominates(I->getParent(), L.getLoopLatch());
      if (!Dominates || Size > 8 || T->isVectorTy() || T->isStructTy() ||
          T->isArrayTy())
        return reject(K::LiveOut,
                      "value " + nameOf(V) +
                          " computed in the loop is used after it, and it "
                          "is not computed in every iteration or does not "
                          "fit in 8 bytes",
                      I);
      Fold F;
      F.Update = V;
      F.Op = PYDRON_FOLD_LAST;
      F.Type = T->isFloatTy()    ? PYDRON_TYPE_F32
               : T->isDoubleTy() ? PYDRON_TYPE_F64
               : Size == 8       ? PYDRON_TYPE_I64
               : Size == 4       ? PYDRON_TYPE_I32
               : Size == 2       ? PYDRON_TYPE_I16
                                 : PYDRON_TYPE_I8;
      bool Known = false;
      for (const Fold &G : R.Folds)
        Known |= G.Update == V;
      if (!Known)
        R.Folds.push_back(F);
    }
  }
  return nullptr;
}

Value *Legality::objectOf(const Access &A) const {
  return A.Ptr ? getUnderlyingObject(A.Ptr, 12) : nullptr;
}

bool Legality::isPrivate(const Access &A) const {
  Value *Obj = objectOf(A);
  return Obj && R.Privates.count(Obj);
}

bool Legality::hull(const Access &A, const SCEV *&Begin, const SCEV *&End) {
  Begin = A.HullLo;
  End = A.HullHi;
  return Begin && End;
}

/// Column accesses: in iteration j of L the access touches
/// B + a*j + b*i for i in [0, T) of one inner loop, `size` bytes each:
/// a strided set whose hull overlaps other iterations' hulls. Two such
/// accesses with the same a and b and bases B, B + k*b (k constant) never
/// meet in different iterations when |a| >= size and
/// |b| >= |a| * (trip count of L - 1) + size: the j-part of an address
/// difference is then too small to make up for any i-part.
bool Legality::lattice(const Access &W, const Access &A, bool &NeedsCheck) {
  struct Shape {
    const SCEV *B, *Ja, *Ib;
  };
  auto ShapeOf = [&](const Access &X) -> std::optional<Shape> {
    if (!X.Begin || !X.End)
      return std::nullopt;
    auto *In = dyn_cast<SCEVAddRecExpr>(X.Begin);
    if (!In || !In->isAffine() || In->getLoop() == &L ||
        !L.contains(In->getLoop()))
      return std::nullopt;
    auto *Out = dyn_cast<SCEVAddRecExpr>(In->getStart());
    if (!Out || Out->getLoop() != &L || !Out->isAffine())
      return std::nullopt;
    const SCEV *Ib = In->getStepRecurrence(SE);
    const SCEV *Ja = Out->getStepRecurrence(SE);
    if (!SE.isLoopInvariant(Ib, &L) || !SE.isLoopInvariant(Ja, &L))
      return std::nullopt;
    return Shape{Out->getStart(), Ja, Ib};
  };
  auto SW = ShapeOf(W), SA = ShapeOf(A);
  if (!SW || !SA || SW->Ja != SA->Ja || SW->Ib != SA->Ib)
    return false;
  auto *Size = dyn_cast<SCEVConstant>(SE.getMinusSCEV(W.End, W.Begin));
  auto *SizeA = dyn_cast<SCEVConstant>(SE.getMinusSCEV(A.End, A.Begin));
  auto *Ja = dyn_cast<SCEVConstant>(SW->Ja);
  if (!Size || !SizeA || Size != SizeA || !Ja)
    return false;
  int64_t S = Size->getAPInt().getSExtValue();
  int64_t AbsJa = Ja->getAPInt().abs().getSExtValue();
  if (AbsJa < S)
    return false;
  // Bases B and B + k*b.
  const SCEV *D = SE.getMinusSCEV(SA->B, SW->B);
  if (isa<SCEVCouldNotCompute>(D))
    return false;
  bool Multiple = D->isZero();
  for (int64_t K = -4; K <= 4 && !Multiple; ++K)
    Multiple =
        D == SE.getMulExpr(SE.getConstant(D->getType(), K, true), SW->Ib);
  if (!Multiple)
    return false;
  // |b| >= |a| * (TC - 1) + size, with b assumed positive when its sign is
  // not known (a run-time condition then).
  const SCEV *BTC = R.BTC;
  const SCEV *Need = SE.getAddExpr(
      SE.getMulExpr(SE.getConstant(SW->Ib->getType(), AbsJa),
                    SE.getTruncateOrZeroExtend(BTC, SW->Ib->getType())),
      SE.getConstant(SW->Ib->getType(), S));
  const SCEV *AbsIb =
      SE.isKnownNegative(SW->Ib) ? SE.getNegativeSCEV(SW->Ib) : SW->Ib;
  const SCEV *Slack = SE.getMinusSCEV(AbsIb, Need);
  if (SE.isKnownNonNegative(Slack))
    return true;
  if (isa<SCEVConstant>(Slack))
    return false;
  R.Conds.push_back({Slack, W.What + (&W == &A ? "" : " and " + A.What) +
                                " keep to their own columns"});
  NeedsCheck = true;
  return true;
}

static bool knownNonNeg(ScalarEvolution &SE, const SCEV *A, const SCEV *B) {
  // A - B >= 0, A and B pointers or integers of one base.
  const SCEV *D = SE.getMinusSCEV(A, B);
  return !isa<SCEVCouldNotCompute>(D) && SE.isKnownNonNegative(D);
}

bool Legality::provedDisjoint(const Access &W, const Access &A,
                              std::string &Why, bool &NeedsCheck) {
  NeedsCheck = false;
  Value *OW = objectOf(W), *OA = objectOf(A);
  // Constant memory is never written (writing it is undefined).
  for (Value *O : {OW, OA})
    if (auto *GV = dyn_cast_or_null<GlobalVariable>(O))
      if (GV->isConstant())
        return true;
  // Different objects, as alias analysis proves (distinct globals or
  // allocas, restrict parameters, ...).
  if (W.Ptr && A.Ptr) {
    auto Res = C.AA.alias(MemoryLocation::getBeforeOrAfter(W.Ptr),
                          MemoryLocation::getBeforeOrAfter(A.Ptr));
    if (Res == AliasResult::NoAlias)
      return true;
  } else {
    // A call that reads any (global) memory: fine if the write goes to an
    // object that is not a global and does not escape.
    const Access &Any = W.Ptr ? A : W;
    const Access &Other = W.Ptr ? W : A;
    Value *O = Other.Ptr ? getUnderlyingObject(Other.Ptr, 12) : nullptr;
    if (O && !isa<GlobalValue>(O) && isIdentifiedFunctionLocal(O) &&
        !PointerMayBeCaptured(O, true, true))
      return true;
    Why = Any.Why + "; the loop writes memory it may read";
    return false;
  }
  if (lattice(W, A, NeedsCheck)) {
    for (const Access *X : {&W, &A})
      if (X->Widened)
        requireConds(*X);
    return true;
  }
  const SCEV *WS, *WSt, *WHS, *WHSt, *AS, *ASt, *AHS, *AHSt;
  bool Affine = W.Lo && A.Lo && affineIn(W.Lo, L, SE, WS, WSt) &&
                affineIn(W.Hi, L, SE, WHS, WHSt) &&
                affineIn(A.Lo, L, SE, AS, ASt) &&
                affineIn(A.Hi, L, SE, AHS, AHSt);
  // Slot test: one common non-zero step S and both footprints inside a
  // window [c, c + |S|) for c one of the two lower bounds. With
  // AllowConds, what cannot be proven becomes a run-time condition (a
  // symbolic row length, say).
  auto Slot = [&](bool AllowConds) {
    if (!Affine || WSt != WHSt || WSt != ASt || WSt != AHSt || WSt->isZero())
      return false;
    std::vector<const SCEV *> Conds;
    const SCEV *Abs = nullptr;
    if (SE.isKnownPositive(WSt))
      Abs = WSt;
    else if (SE.isKnownNegative(WSt))
      Abs = SE.getNegativeSCEV(WSt);
    else if (AllowConds && !WSt->getType()->isPointerTy()) {
      Abs = WSt;
      Conds.push_back(SE.getMinusSCEV(WSt, SE.getOne(WSt->getType())));
    }
    if (!Abs)
      return false;
    for (const SCEV *Cand : {WS, AS}) {
      const SCEV *Top = SE.getAddExpr(Cand, Abs);
      std::vector<const SCEV *> CandConds = Conds;
      bool Ok = true;
      for (auto [X, Y] : {std::pair{WS, Cand}, std::pair{AS, Cand},
                          std::pair{Top, WHS}, std::pair{Top, AHS}}) {
        if (knownNonNeg(SE, X, Y))
          continue;
        const SCEV *D = SE.getMinusSCEV(X, Y);
        if (!AllowConds || isa<SCEVCouldNotCompute>(D) ||
            isa<SCEVConstant>(D) || SE.isKnownNegative(D)) {
          Ok = false;
          break;
        }
        CandConds.push_back(D);
      }
      if (!Ok)
        continue;
      // Conditions that contradict each other (8m - 1 >= 0 and -8m >= 0)
      // can never hold: the test failed.
      std::vector<const SCEV *> All = CandConds;
      for (const RuntimeCond &RC : R.Conds)
        All.push_back(RC.Value);
      for (size_t X = 0; X < CandConds.size() && Ok; ++X)
        for (size_t Y = 0; Y < All.size() && Ok; ++Y)
          if (CandConds[X]->getType() == All[Y]->getType() &&
              knownNegative(SE.getAddExpr(CandConds[X], All[Y])))
            Ok = false;
      if (!Ok)
        continue;
      std::string What = &W == &A
                             ? W.What + " does not overlap between iterations"
                             : W.What + " and " + A.What +
                                   " do not overlap between iterations";
      for (const SCEV *D : CandConds)
        R.Conds.push_back({D, What});
      NeedsCheck = !CandConds.empty();
      return true;
    }
    return false;
  };
  auto UsedLo = [&] {
    for (const Access *X : {&W, &A})
      if (X->LoNeedsConds)
        requireConds(*X);
    return true;
  };
  if (Slot(false))
    return UsedLo();
  // Hull test: the whole-loop footprints do not overlap.
  const SCEV *WB, *WE, *AB, *AE;
  bool Hulls = &W != &A && hull(W, WB, WE) && hull(A, AB, AE);
  if (Hulls && (knownNonNeg(SE, AB, WE) || knownNonNeg(SE, WB, AE))) {
    for (const Access *X : {&W, &A})
      if (X->HullNeedsConds)
        requireConds(*X);
    return true;
  }
  if (Slot(true))
    return UsedLo();
  // Different bases that might still overlap: check at run time.
  // The two whole-loop footprints must not overlap: checked at run time
  // (for one array too: a[m + i] = f(a[i]) with m unknown).
  // (For one array, only when the distance between the two is symbolic:
  // a constant distance, a[i] and a[i - 1], overlaps on any real length.)
  const SCEV *Distance = Hulls ? SE.getMinusSCEV(AB, WB) : nullptr;
  const SCEV *RawDistance = W.Begin && A.Begin
                                ? SE.getMinusSCEV(A.Begin, W.Begin)
                                : SE.getCouldNotCompute();
  bool ConstantApart =
      Hulls && (isa<SCEVConstant>(Distance) || isa<SCEVConstant>(RawDistance));
  if (Hulls && !ConstantApart &&
      (isa<SCEVCouldNotCompute>(Distance) ||
       !(knownNegative(SE.getMinusSCEV(AB, WE)) &&
         knownNegative(SE.getMinusSCEV(WB, AE))))) {
    NeedsCheck = true;
    bool Known = false;
    for (const OverlapCheck &Chk : R.Checks)
      Known |= Chk.BeginA == WB && Chk.EndA == WE && Chk.BeginB == AB &&
               Chk.EndB == AE;
    if (!Known)
      R.Checks.push_back({WB, WE, AB, AE, nameOf(OW), nameOf(OA)});
    for (const Access *X : {&W, &A})
      if (X->HullNeedsConds)
        requireConds(*X);
    return true;
  }
  if (!W.Lo || !A.Lo) {
    const Access &U = !W.Lo ? W : A;
    Why = U.What + " has an address that is not affine in the loop counter (" +
          (U.Why.empty() ? std::string("unknown extent") : U.Why) + ")";
    return false;
  }
  if (&W == &A)
    Why = W.What + " writes the same bytes in different iterations";
  else
    Why = W.What + " and " + A.What +
          " may touch the same bytes in different iterations";
  return false;
}

bool Legality::daAgrees(const Access &W, const Access &A, std::string &Why) {
  auto Simple = [](Instruction *I) {
    return isa<LoadInst>(I) || isa<StoreInst>(I);
  };
  if (!Simple(W.I) || !Simple(A.I))
    return true;
  // DependenceAnalysis treats a base pointer that changes in an outer loop
  // (grids swapped between time steps) as unknown across all common loops,
  // so its answer carries no information about this loop: not consulted.
  auto OuterVariant = [&](const Access &X) {
    struct Finder {
      const Loop &L;
      bool Found = false;
      bool follow(const SCEV *S) {
        if (auto *U = dyn_cast<SCEVUnknown>(S))
          if (auto *I = dyn_cast<Instruction>(U->getValue()))
            for (Loop *P = L.getParentLoop(); P && !Found;
                 P = P->getParentLoop())
              Found |= P->contains(I) && !L.contains(I);
        return !Found;
      }
      bool isDone() const { return Found; }
    } F{L};
    SCEVTraversal<Finder> T(F);
    if (X.Begin)
      T.visitAll(X.Begin);
    return F.Found;
  };
  if (OuterVariant(W) || OuterVariant(A))
    return true;
  std::unique_ptr<Dependence> D = C.DI.depends(W.I, A.I, true);
  if (!D)
    return true;
  unsigned Level = L.getLoopDepth();
  if (D->isConfused()) {
    Why = "DependenceAnalysis cannot analyze " + W.What + " against " + A.What;
    return false;
  }
  if (Level <= D->getLevels() &&
      D->getDirection(Level) != Dependence::DVEntry::EQ) {
    Why = "DependenceAnalysis finds a possible dependence between " + W.What +
          " and " + A.What;
    return false;
  }
  return true;
}

Reason Legality::dependences() {
  for (Access &W : R.Accesses) {
    if (!W.IsWrite || isPrivate(W))
      continue;
    for (Access &A : R.Accesses) {
      if (isPrivate(A))
        continue;
      if (A.IsWrite && &A < &W)
        continue; // each pair of writes once
      std::string Why;
      bool NeedsCheck, Distinct = false;
      if (W.Ptr && A.Ptr)
        Distinct = C.AA.alias(MemoryLocation::getBeforeOrAfter(W.Ptr),
                              MemoryLocation::getBeforeOrAfter(A.Ptr)) ==
                   AliasResult::NoAlias;
      (void)Distinct;
      if (!provedDisjoint(W, A, Why, NeedsCheck)) {
        R.Evidence.push_back(Why);
        K Kd = (!W.Lo || !A.Lo) ? (!W.Lo ? K::UnknownWrite : K::UnknownRead)
                                : K::Dependence;
        return reject(Kd, Why, W.Lo ? A.I : W.I);
      }
      if (!NeedsCheck && !daAgrees(W, A, Why)) {
        R.Evidence.push_back(Why);
        return reject(K::Dependence, Why, A.I);
      }
      R.Evidence.push_back(W.What + " vs " + A.What + ": " +
                           (NeedsCheck ? "checked at run time" : "disjoint"));
    }
  }
  // Shippable only when every access has a known footprint: a hull of the
  // bytes any chunk may touch.
  for (const Access &A : R.Accesses)
    if (!A.HullLo && !isPrivate(A) && R.Shippable) {
      R.Shippable = false;
      R.LocalOnlyWhy = A.What + " has no known footprint (" +
                       (A.Why.empty() ? std::string("unknown extent") : A.Why) +
                       ")";
    }
  return nullptr;
}

/// Instructions a call executes, roughly; none when the callee (or one it
/// calls) has a loop.
static std::optional<uint64_t> calleeCost(const Function &F, unsigned Depth) {
  if (F.isDeclaration())
    return 40; // a library function (libm): a few dozen instructions
  if (Depth > 4)
    return std::nullopt;
  uint64_t N = 0;
  SmallPtrSet<const BasicBlock *, 16> Seen;
  for (const BasicBlock &BB : F) {
    Seen.insert(&BB);
    for (const BasicBlock *Succ : successors(&BB))
      if (Seen.count(Succ))
        return std::nullopt; // a back edge: a loop
    for (const Instruction &I : BB) {
      if (auto *CB = dyn_cast<CallBase>(&I)) {
        const Function *G = CB->getCalledFunction();
        if (isa<IntrinsicInst>(CB) || !G) {
          N += 1;
          continue;
        }
        if (G == &F)
          return std::nullopt; // recursion
        auto C = calleeCost(*G, Depth + 1);
        if (!C)
          return std::nullopt;
        N += *C;
      } else {
        N += 1;
      }
    }
  }
  return N;
}

std::optional<uint64_t> Legality::callCost(const CallBase &CB) {
  if (isa<IntrinsicInst>(CB))
    return 1;
  const Function *F = CB.getCalledFunction();
  if (!F)
    return 20;
  return calleeCost(*F, 0);
}

LoopResult Legality::run() {
  R.L = &L;
  if (!L.isLoopSimplifyForm()) {
    R.Rejected = reject(K::NotSimplified,
                        "the loop could not be put in "
                        "canonical form",
                        L.getHeader()->getTerminator());
    return R;
  }
  for (auto Step :
       {&Legality::structure, &Legality::scanInstructions, &Legality::privatize,
        &Legality::phis, &Legality::liveOuts, &Legality::dependences}) {
    if (Reason Why = (this->*Step)()) {
      R.Rejected = Why;
      return R;
    }
  }
  // Inner loops of the body: their trip counts multiply the cost; unknown
  // when they are not constants.
  for (Loop *Sub : L.getLoopsInPreorder()) {
    if (Sub == &L)
      continue;
    const SCEV *T = SE.getBackedgeTakenCount(Sub);
    if (auto *C = dyn_cast<SCEVConstant>(T))
      R.Cost *= C->getAPInt().getLimitedValue(1 << 20) + 1;
    else
      CostUnknown = true;
  }
  if (CostUnknown)
    R.Cost = 0;
  return R;
}

LoopResult analyzeLoop(Loop &L, AnalysisContext &Ctx) {
  return Legality(L, Ctx).run();
}

} // namespace pydron
