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
  if (R.isFullSet() || R.isEmptySet() ||
      R.getBitWidth() > 64)
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
                      const LoopInfo &LI, ScalarEvolution &SE,
                      std::string &Why) {
  if (!varies(S, Eliminate, LI))
    return S;
  auto Recurse = [&](const SCEV *X, bool M) {
    return boundOver(X, M, Eliminate, LI, SE, Why);
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
    const SCEV *BTC = SE.getBackedgeTakenCount(M);
    if (isa<SCEVCouldNotCompute>(BTC)) {
      Why = "an inner loop whose trip count is not known";
      return nullptr;
    }
    bool Up = SE.isKnownNonNegative(Step);
    bool Down = SE.isKnownNonPositive(Step);
    if (!Up && !Down) {
      Why = "an inner loop whose step has no known sign";
      return nullptr;
    }
    const SCEV *Last = SE.getAddExpr(
        AR->getStart(),
        SE.getMulExpr(Step,
                      SE.getTruncateOrZeroExtend(BTC, Step->getType())));
    return Recurse((Max == Up) ? Last : AR->getStart(), Max);
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
                    const LoopInfo &LI, ScalarEvolution &SE, const SCEV *&Lo, const SCEV *&Hi,
                    std::string &Why) {
  LoopPredicate Inner = [&](const Loop *M) {
    return M != &L && L.contains(M);
  };
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
