//===- Footprints.cpp - Byte ranges an access touches ---------------------===//
#include "Footprints.h"
#include "LoopAnalysis.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/Analysis/ScalarEvolutionExpressions.h"
#include "llvm/IR/DataLayout.h"

using namespace llvm;

namespace pydron {

static const SCEV *rangeBound(const SCEV *S, bool Max, ScalarEvolution &SE) {
  if (!S->getType()->isIntegerTy())
    return nullptr;
  ConstantRange R = SE.getSignedRange(S);
  if (R.isFullSet() || R.isEmptySet() || R.getBitWidth() > 64)
    return nullptr;
  APInt V = Max ? R.getSignedMax() : R.getSignedMin();
  return SE.getConstant(V);
}

/// Whether \p S changes over the iterations of an eliminated loop.
static bool varies(const SCEV *S, const LoopPredicate &Eliminate,
                   const LoopInfo &LI) {
  struct Finder {
    const LoopPredicate &Elim;
    const LoopInfo &LI;
    bool Found = false;
    bool follow(const SCEV *X) {
      if (auto *AR = dyn_cast<SCEVAddRecExpr>(X))
        Found |= Elim(AR->getLoop());
      if (auto *U = dyn_cast<SCEVUnknown>(X))
        if (auto *I = dyn_cast<Instruction>(U->getValue()))
          for (const Loop *M = LI.getLoopFor(I->getParent()); M && !Found;
               M = M->getParentLoop())
            Found |= Elim(M);
      return !Found;
    }
    bool isDone() const { return Found; }
  } F{Eliminate, LI};
  SCEVTraversal<Finder> T(F);
  T.visitAll(S);
  return F.Found;
}

const SCEV *boundOver(const SCEV *S, bool Max, const LoopPredicate &Eliminate,
                      const LoopInfo &LI, ScalarEvolution &SE, std::string &Why,
                      const Loop *KnownL, const SCEV *KnownBTC) {
  if (!varies(S, Eliminate, LI))
    return S;
  auto Recurse = [&](const SCEV *X, bool M) {
    return boundOver(X, M, Eliminate, LI, SE, Why, KnownL, KnownBTC);
  };
  switch (S->getSCEVType()) {
  case scAddRecExpr: {
    auto *AR = cast<SCEVAddRecExpr>(S);
    const Loop *M = AR->getLoop();
    if (!AR->isAffine()) {
      Why = "an address that grows faster than linearly";
      return nullptr;
    }
    const SCEV *Step = AR->getStepRecurrence(SE);
    if (!Eliminate(M)) {
      // A recurrence we keep whose start varies over eliminated loops.
      if (varies(Step, Eliminate, LI))
        break;
      const SCEV *B = Recurse(AR->getStart(), Max);
      return B ? SE.getAddRecExpr(B, Step, M, SCEV::FlagAnyWrap) : nullptr;
    }
    const SCEV *BTC = M == KnownL ? KnownBTC : SE.getBackedgeTakenCount(M);
    if (isa<SCEVCouldNotCompute>(BTC)) {
      Why = "an inner loop whose trip count is not known";
      return nullptr;
    }
    bool Up = SE.isKnownNonNegative(Step);
    bool Down = SE.isKnownNonPositive(Step);
    const SCEV *Last = SE.getAddExpr(
        AR->getStart(),
        SE.getMulExpr(Step, SE.getTruncateOrZeroExtend(BTC, Step->getType())));
    if (Up || Down)
      return Recurse((Max == Up) ? Last : AR->getStart(), Max);
    // A step of unknown sign (a symbolic row length): the extremes of an
    // affine sequence are its first and last values.
    const SCEV *A = Recurse(AR->getStart(), Max);
    const SCEV *B = A ? Recurse(Last, Max) : nullptr;
    if (!A || !B)
      return nullptr;
    bool Ptr = S->getType()->isPointerTy();
    if (Max)
      return Ptr ? SE.getUMaxExpr(A, B) : SE.getSMaxExpr(A, B);
    return Ptr ? SE.getUMinExpr(A, B) : SE.getSMinExpr(A, B);
  }
  case scAddExpr: {
    SmallVector<const SCEV *, 4> Ops;
    for (const SCEV *Op : cast<SCEVAddExpr>(S)->operands()) {
      const SCEV *B = Recurse(Op, Max);
      if (!B)
        return nullptr;
      Ops.push_back(B);
    }
    return SE.getAddExpr(Ops);
  }
  case scMulExpr: {
    // Constant * X: bound X in the direction given by the constant's sign.
    auto *Mul = cast<SCEVMulExpr>(S);
    if (Mul->getNumOperands() == 2 && isa<SCEVConstant>(Mul->getOperand(0))) {
      auto *C = cast<SCEVConstant>(Mul->getOperand(0));
      const SCEV *B =
          Recurse(Mul->getOperand(1), Max != C->getAPInt().isNegative());
      return B ? SE.getMulExpr(C, B) : nullptr;
    }
    break;
  }
  case scSMaxExpr:
  case scUMaxExpr:
  case scSMinExpr:
  case scUMinExpr: {
    SmallVector<const SCEV *, 4> Ops;
    for (const SCEV *Op : cast<SCEVMinMaxExpr>(S)->operands()) {
      const SCEV *B = Recurse(Op, Max);
      if (!B)
        return nullptr;
      Ops.push_back(B);
    }
    switch (S->getSCEVType()) {
    case scSMaxExpr:
      return SE.getSMaxExpr(Ops);
    case scUMaxExpr:
      return SE.getUMaxExpr(Ops);
    case scSMinExpr:
      return SE.getSMinExpr(Ops);
    default:
      return SE.getUMinExpr(Ops);
    }
  }
  default:
    break;
  }
  // Casts, divisions, loaded indices...: their known value range, when it is
  // not everything (a zero-extended i % 16, a loaded byte).
  if (const SCEV *R = rangeBound(S, Max, SE))
    return R;
  Why = "an address that is not an affine function of the loop counters";
  return nullptr;
}

namespace {
/// Rewrites zext/sext of an affine recurrence of L (or of a loop inside L)
/// into a recurrence of the wide type, recording the condition under which
/// that is exact: the narrow value does not wrap before the loop ends.
class ExtensionRewriter : public SCEVRewriteVisitor<ExtensionRewriter> {
public:
  ExtensionRewriter(ScalarEvolution &SE, const Loop &L,
                    std::vector<const SCEV *> &Conds)
      : SCEVRewriteVisitor(SE), L(L), Conds(Conds) {}

  const SCEV *visitZeroExtendExpr(const SCEVZeroExtendExpr *E) {
    return widen(E, false);
  }
  const SCEV *visitSignExtendExpr(const SCEVSignExtendExpr *E) {
    return widen(E, true);
  }

private:
  const Loop &L;
  std::vector<const SCEV *> &Conds;

  const SCEV *widen(const SCEVCastExpr *E, bool Signed) {
    auto *AR = dyn_cast<SCEVAddRecExpr>(E->getOperand());
    if (!AR || !AR->isAffine() || !L.contains(AR->getLoop()))
      return E;
    const SCEV *Start = AR->getStart(), *Step = AR->getStepRecurrence(SE);
    const SCEV *BTC = SE.getBackedgeTakenCount(AR->getLoop());
    if (isa<SCEVCouldNotCompute>(BTC) || !SE.isLoopInvariant(Start, &L) ||
        !SE.isLoopInvariant(Step, &L) || !SE.isLoopInvariant(BTC, &L))
      return E;
    Type *Wide = E->getType();
    unsigned Bits = AR->getType()->getIntegerBitWidth();
    if (Bits >= 64 || BTC->getType()->getIntegerBitWidth() > 64)
      return E;
    // The last value, computed without wrapping in 130 bits, must stay in
    // the narrow type's range (the first value always is).
    Type *Huge = IntegerType::get(Wide->getContext(), 130);
    auto Ext = [&](const SCEV *X) {
      return Signed ? SE.getSignExtendExpr(X, Huge)
                    : SE.getZeroExtendExpr(X, Huge);
    };
    const SCEV *Last = SE.getAddExpr(
        Ext(Start), SE.getMulExpr(Ext(Step), SE.getZeroExtendExpr(BTC, Huge)));
    APInt Max = Signed ? APInt::getSignedMaxValue(Bits).sext(130)
                       : APInt::getMaxValue(Bits).zext(130);
    Conds.push_back(SE.getMinusSCEV(SE.getConstant(Max), Last));
    if (Signed)
      Conds.push_back(SE.getMinusSCEV(
          Last, SE.getConstant(APInt::getSignedMinValue(Bits).sext(130))));
    auto WideExt = [&](const SCEV *X) {
      return Signed ? SE.getSignExtendExpr(X, Wide)
                    : SE.getZeroExtendExpr(X, Wide);
    };
    return SE.getAddRecExpr(WideExt(Start), WideExt(Step), AR->getLoop(),
                            SCEV::FlagAnyWrap);
  }
};
} // namespace

const SCEV *widenExtensions(const SCEV *S, const Loop &L, ScalarEvolution &SE,
                            std::vector<const SCEV *> &Conds) {
  std::vector<const SCEV *> New;
  ExtensionRewriter RW(SE, L, New);
  const SCEV *Out = RW.visit(S);
  // Conditions that are known to hold need no check.
  for (const SCEV *C : New)
    if (!SE.isKnownNonNegative(C))
      Conds.push_back(C);
  return Out;
}

bool affineIn(const SCEV *S, const Loop &L, ScalarEvolution &SE,
              const SCEV *&Start, const SCEV *&Step) {
  if (SE.isLoopInvariant(S, &L)) {
    Start = S;
    Step = SE.getZero(S->getType()->isPointerTy()
                          ? SE.getDataLayout().getIntPtrType(S->getType())
                          : S->getType());
    return true;
  }
  auto *AR = dyn_cast<SCEVAddRecExpr>(S);
  if (!AR || AR->getLoop() != &L || !AR->isAffine())
    return false;
  Start = AR->getStart();
  Step = AR->getStepRecurrence(SE);
  return SE.isLoopInvariant(Start, &L) && SE.isLoopInvariant(Step, &L);
}

bool iterationRange(const SCEV *Begin, const SCEV *End, Loop &L,
                    const LoopInfo &LI, ScalarEvolution &SE, const SCEV *&Lo,
                    const SCEV *&Hi, std::string &Why) {
  LoopPredicate Inner = [&](const Loop *M) { return M != &L && L.contains(M); };
  Lo = boundOver(Begin, false, Inner, LI, SE, Why);
  Hi = Lo ? boundOver(End, true, Inner, LI, SE, Why) : nullptr;
  if (!Lo || !Hi)
    return false;
  const SCEV *A, *B;
  if (!affineIn(Lo, L, SE, A, B) || !affineIn(Hi, L, SE, A, B)) {
    Why = "an address that is not an affine function of the loop counter";
    return false;
  }
  return true;
}

} // namespace pydron
