//===- Recurrences.cpp - Values carried across iterations -----------------===//
//
// A header phi that is not an induction carries a value from one iteration
// to the next. It can be folded when every update is the same associative
// and exact operation with a value that does not depend on it:
//   s = s + x, s - x, s * x, s & x, s | x, s ^ x   (integers, wrapping)
//   m = smax/smin/umax/umin(m, x), m = x > m ? x : m   (integers)
//   m = x > m ? x : m, x >= m, x < m, x <= m (floats: ordered comparisons,
//       so the first or last of equal values wins as in the loop)
//   s = s + x, s * x   (floats, only with reassoc)
// possibly under conditions (select / phi between the old and new value).
// Each chunk then runs the unchanged loop body from the operation's
// identity and the runtime folds the partials in chunk order.
//
//===----------------------------------------------------------------------===//
#include "LoopAnalysis.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/PatternMatch.h"

using namespace llvm;
using namespace llvm::PatternMatch;

namespace pydron {

static std::optional<pydron_fold_type> foldType(Type *T) {
  if (T->isIntegerTy(8))
    return PYDRON_TYPE_I8;
  if (T->isIntegerTy(16))
    return PYDRON_TYPE_I16;
  if (T->isIntegerTy(32))
    return PYDRON_TYPE_I32;
  if (T->isIntegerTy(64))
    return PYDRON_TYPE_I64;
  if (T->isFloatTy())
    return PYDRON_TYPE_F32;
  if (T->isDoubleTy())
    return PYDRON_TYPE_F64;
  return std::nullopt;
}

namespace {
/// Follows the values derived from one header phi inside the loop.
class ChainMatcher {
public:
  ChainMatcher(Loop &L, PHINode *Phi,
               const SmallPtrSetImpl<PHINode *> &Inductions)
      : L(L), Phi(Phi), Inductions(Inductions) {}

  /// Returns the reason the chain cannot be folded, or "" when it can.
  std::string match(Fold &F) {
    Value *Update = Phi->getIncomingValueForBlock(L.getLoopLatch());
    F.Phi = Phi;
    F.Update = Update;
    Chain.insert(Phi);
    // Grow the chain: every in-loop user of a chain value must be a chain
    // step; chain values may be used outside the loop only as the update.
    SmallVector<Instruction *, 8> Work{Phi};
    while (!Work.empty()) {
      Instruction *V = Work.pop_back_val();
      for (User *U : V->users()) {
        auto *UI = cast<Instruction>(U);
        if (!L.contains(UI)) {
          if (V != Update)
            return "its value before the last update is used after the loop";
          continue;
        }
        if (UI == Phi || Chain.count(UI))
          continue;
        std::string Why = step(V, UI);
        if (Why == "NOT-IN-CHAIN")
          continue;
        if (!Why.empty())
          return Why;
        Chain.insert(UI);
        Work.push_back(UI);
      }
    }
    if (!Chain.count(dyn_cast<Instruction>(Update)))
      return "it is not updated in every iteration by a recognized operation";
    if (!Op)
      return "it is only copied, never combined";
    F.Op = *Op;
    F.Reassoc = Reassoc;
    for (Instruction *I : Chain)
      if (I != Phi)
        F.Steps.push_back(I);
    return "";
  }

private:
  Loop &L;
  PHINode *Phi;
  const SmallPtrSetImpl<PHINode *> &Inductions;
  SmallPtrSet<Instruction *, 8> Chain;
  std::optional<pydron_fold_op> Op;
  bool Reassoc = false;
  bool IsFloat = false;

  bool inChain(Value *V) {
    auto *I = dyn_cast<Instruction>(V);
    return I && (I == Phi || Chain.count(I));
  }
  /// Whether \p V depends on a value carried across iterations: a chain
  /// value of this phi or any header phi that is not an induction.
  bool dependsOnChain(Value *V) {
    SmallPtrSet<Value *, 16> Seen;
    SmallVector<Value *, 8> Work{V};
    while (!Work.empty()) {
      auto *I = dyn_cast<Instruction>(Work.pop_back_val());
      if (!I || !L.contains(I) || !Seen.insert(I).second)
        continue;
      if (inChain(I))
        return true;
      if (auto *P = dyn_cast<PHINode>(I))
        if (P->getParent() == L.getHeader()) {
          if (!Inductions.count(P))
            return true;
          continue;
        }
      for (Value *Op : I->operands())
        Work.push_back(Op);
    }
    return false;
  }
  std::string setOp(pydron_fold_op O) {
    if (Op && *Op != O)
      return "it is updated with two different operations";
    Op = O;
    return "";
  }

  /// \p UI uses chain value \p V: is it a step of a foldable chain?
  std::string step(Value *V, Instruction *UI) {
    IsFloat = Phi->getType()->isFloatingPointTy();
    // Conditional update: a phi merging chain values, or a select whose
    // condition does not depend on the chain.
    if (auto *P = dyn_cast<PHINode>(UI)) {
      if (P->getParent() == L.getHeader())
        return "it feeds another value carried across iterations";
      for (Value *In : P->incoming_values())
        if (!inChain(In) && In != V)
          return "it is replaced by another value under a condition";
      return "";
    }
    if (auto *BO = dyn_cast<BinaryOperator>(UI)) {
      Value *Other =
          BO->getOperand(0) == V ? BO->getOperand(1) : BO->getOperand(0);
      if (dependsOnChain(Other))
        return "it is combined with a value that depends on itself";
      if (IsFloat) {
        if (!BO->hasAllowReassoc())
          return "NEEDS-CHAIN";
        Reassoc = true;
      }
      switch (BO->getOpcode()) {
      case Instruction::Add:
        return setOp(PYDRON_FOLD_ADD);
      case Instruction::Sub:
        if (BO->getOperand(0) != V)
          return "it is subtracted from another value";
        return setOp(PYDRON_FOLD_ADD);
      case Instruction::Mul:
        return setOp(PYDRON_FOLD_MUL);
      case Instruction::And:
        return setOp(PYDRON_FOLD_AND);
      case Instruction::Or:
        return setOp(PYDRON_FOLD_OR);
      case Instruction::Xor:
        return setOp(PYDRON_FOLD_XOR);
      case Instruction::FAdd:
        return setOp(PYDRON_FOLD_ADD);
      case Instruction::FSub:
        if (BO->getOperand(0) != V)
          return "it is subtracted from another value";
        return setOp(PYDRON_FOLD_ADD);
      case Instruction::FMul:
        return setOp(PYDRON_FOLD_MUL);
      default:
        return "it is updated with '" + std::string(BO->getOpcodeName()) +
               "', which cannot be folded";
      }
    }
    if (auto *II = dyn_cast<IntrinsicInst>(UI))
      if ((II->getIntrinsicID() == Intrinsic::fmuladd ||
           II->getIntrinsicID() == Intrinsic::fma) &&
          II->getArgOperand(2) == V) {
        // s = a * b + s: an addition of a * b.
        if (dependsOnChain(II->getArgOperand(0)) ||
            dependsOnChain(II->getArgOperand(1)))
          return "it is combined with a value that depends on itself";
        if (!II->hasAllowReassoc())
          return "NEEDS-CHAIN";
        Reassoc = true;
        return setOp(PYDRON_FOLD_ADD);
      }
    if (auto *MM = dyn_cast<MinMaxIntrinsic>(UI)) {
      Value *Other =
          MM->getOperand(0) == V ? MM->getOperand(1) : MM->getOperand(0);
      if (dependsOnChain(Other))
        return "it is combined with a value that depends on itself";
      switch (MM->getIntrinsicID()) {
      case Intrinsic::smax:
        return setOp(PYDRON_FOLD_SMAX);
      case Intrinsic::smin:
        return setOp(PYDRON_FOLD_SMIN);
      case Intrinsic::umax:
        return setOp(PYDRON_FOLD_UMAX);
      default:
        return setOp(PYDRON_FOLD_UMIN);
      }
    }
    if (auto *Cmp = dyn_cast<CmpInst>(UI)) {
      // Only as the condition of a min/max select on the same values.
      for (User *U : Cmp->users()) {
        auto *Sel = dyn_cast<SelectInst>(U);
        if (!Sel || Sel->getCondition() != Cmp || !L.contains(Sel) ||
            (Sel->getTrueValue() != V && Sel->getFalseValue() != V))
          return "it is compared, and the comparison is used otherwise";
      }
      return "NOT-IN-CHAIN";
    }
    if (auto *Sel = dyn_cast<SelectInst>(UI))
      return selectStep(V, Sel);
    if (isa<CastInst>(UI))
      return "it is converted to another type in the loop";
    return "it is used by an instruction that is not part of the update";
  }

  std::string selectStep(Value *V, SelectInst *Sel) {
    Value *C = Sel->getCondition();
    Value *T = Sel->getTrueValue(), *F = Sel->getFalseValue();
    if (C == V)
      return "it is used as a condition";
    // Conditional update: select(c, chain, chain-or-v).
    if (!dependsOnChain(C))
      return (inChain(T) || T == V) && (inChain(F) || F == V)
                 ? ""
                 : "it is replaced by another value under a condition";
    // Min/max: select(cmp(X, V), X, V) and its mirrors.
    auto *Cmp = dyn_cast<CmpInst>(C);
    if (!Cmp)
      return "it decides a condition";
    Value *X;
    bool XOnTrue;
    if (F == V && !dependsOnChain(T)) {
      X = T;
      XOnTrue = true;
    } else if (T == V && !dependsOnChain(F)) {
      X = F;
      XOnTrue = false;
    } else {
      return "it is chosen by a comparison with itself";
    }
    CmpInst::Predicate P;
    if (Cmp->getOperand(0) == X && Cmp->getOperand(1) == V)
      P = Cmp->getPredicate();
    else if (Cmp->getOperand(0) == V && Cmp->getOperand(1) == X)
      P = Cmp->getSwappedPredicate();
    else
      return "it is chosen by a comparison of other values";
    // Normalize to "take X when P(X, V)".
    if (!XOnTrue) {
      if (IsFloat) // the inverse of an ordered predicate takes NaNs
        return "it is a float min/max that prefers NaN";
      P = CmpInst::getInversePredicate(P);
    }
    switch (P) {
    case CmpInst::ICMP_SGT:
    case CmpInst::ICMP_SGE:
      return setOp(PYDRON_FOLD_SMAX);
    case CmpInst::ICMP_SLT:
    case CmpInst::ICMP_SLE:
      return setOp(PYDRON_FOLD_SMIN);
    case CmpInst::ICMP_UGT:
    case CmpInst::ICMP_UGE:
      return setOp(PYDRON_FOLD_UMAX);
    case CmpInst::ICMP_ULT:
    case CmpInst::ICMP_ULE:
      return setOp(PYDRON_FOLD_UMIN);
    case CmpInst::FCMP_OGT:
      return setOp(PYDRON_FOLD_SEL_GT);
    case CmpInst::FCMP_OGE:
      return setOp(PYDRON_FOLD_SEL_GE);
    case CmpInst::FCMP_OLT:
      return setOp(PYDRON_FOLD_SEL_LT);
    case CmpInst::FCMP_OLE:
      return setOp(PYDRON_FOLD_SEL_LE);
    default:
      return "it is chosen by a comparison that is not a min or max";
    }
  }
};
} // namespace

Reason findFolds(Loop &L, AnalysisContext &Ctx,
                 const SmallPtrSetImpl<PHINode *> &Inductions,
                 std::vector<Fold> &Folds,
                 std::vector<std::pair<PHINode *, std::string>> &Others) {
  for (PHINode &Phi : L.getHeader()->phis()) {
    if (Inductions.count(&Phi))
      continue;
    auto Ty = foldType(Phi.getType());
    if (!Ty) {
      Others.push_back({&Phi, "its type cannot be folded"});
      continue;
    }
    Fold F;
    F.Type = *Ty;
    ChainMatcher M(L, &Phi, Inductions);
    std::string Why = M.match(F);
    if (Why.empty()) {
      Folds.push_back(F);
      continue;
    }
    Others.push_back(
        {&Phi, Why == "NEEDS-CHAIN"
                   ? "it is a floating-point value accumulated in order"
                   : Why});
  }
  return nullptr;
}

} // namespace pydron
