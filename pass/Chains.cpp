//===- Chains.cpp - Carried values applied in iteration order -------------===//
//
// A carried value that cannot be folded (a float sum without reassoc,
// acc = acc * 0.9 + f(i)) can still run in parallel when the expensive part
// of the body does not depend on it: the body splits into
//  - the chain: every instruction that depends on a carried value (the
//    forward closure of the carried phis), and
//  - the independent part: everything else.
// Chunks run the independent part in parallel and store, per iteration,
// the values the chain reads from it; one thread replays the chain in
// iteration order. This needs a chain without memory accesses, calls or
// other side effects, executed in every iteration (conditions become
// selects at -O1 and above; a branch inside the chain is refused), and a
// chain whose only values used after the loop are the carried values'
// final updates.
//
//===----------------------------------------------------------------------===//
#include "LoopAnalysis.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"

using namespace llvm;

namespace pydron {

using K = RejectReason::Kind;

static bool storable(Type *T) {
  return T->isIntegerTy()
             ? T->getIntegerBitWidth() <= 64
             : T->isFloatTy() || T->isDoubleTy() || T->isPointerTy();
}

static std::string describe(const Instruction *I) {
  if (auto *CB = dyn_cast<CallBase>(I))
    if (const Function *F = CB->getCalledFunction())
      return "the call to '" + F->getName().str() + "'";
  if (isa<LoadInst>(I) || isa<StoreInst>(I) || I->mayReadOrWriteMemory())
    return "a memory access";
  return "'" + std::string(I->getOpcodeName()) + "'";
}

Reason findChain(Loop &L, AnalysisContext &Ctx,
                 const SmallPtrSetImpl<PHINode *> &Inductions,
                 std::vector<Fold> &Folds,
                 const std::vector<std::pair<PHINode *, std::string>> &Others,
                 Chain &Out) {
  if (Others.empty())
    return nullptr;
  BasicBlock *Latch = L.getLoopLatch();
  SmallPtrSet<PHINode *, 4> Carried;
  for (auto &[Phi, Why] : Others)
    Carried.insert(Phi);

  // Grow the chain until no carried value outside it feeds it.
  SmallPtrSet<Instruction *, 16> InChain;
  for (bool Grew = true; Grew;) {
    Grew = false;
    InChain.clear();
    SmallVector<Instruction *, 16> Work(Carried.begin(), Carried.end());
    while (!Work.empty()) {
      Instruction *I = Work.pop_back_val();
      if (!InChain.insert(I).second)
        continue;
      for (User *U : I->users()) {
        auto *UI = cast<Instruction>(U);
        if (L.contains(UI) && !InChain.count(UI))
          Work.push_back(UI);
      }
    }
    // A fold whose running value the chain reads joins the chain.
    for (auto It = Folds.begin(); It != Folds.end();) {
      bool Needed = false;
      for (Instruction *I : InChain)
        for (Value *Op : I->operands())
          if (Op == It->Phi || Op == It->Update)
            Needed = true;
      if (Needed) {
        Carried.insert(It->Phi);
        It = Folds.erase(It);
        Grew = true;
      } else {
        ++It;
      }
    }
  }

  auto Fail = [&](PHINode *Phi, const std::string &What,
                  const Instruction *At) {
    std::string Fold;
    for (auto &[P, Why] : Others)
      if (P == Phi)
        Fold = Why;
    return reject(K::NeedsChain,
                  nameOf(Phi) + " is carried from one iteration to the next" +
                      (Fold.empty() ? "" : " (" + Fold + ")") + " and " + What,
                  At);
  };
  // Which carried value does an instruction of the chain come from (for
  // the message)?
  auto Source = [&](Instruction *I) -> PHINode * {
    for (PHINode *P : Carried) {
      SmallVector<Value *, 8> Work{P};
      SmallPtrSet<Value *, 16> Seen;
      while (!Work.empty()) {
        Value *V = Work.pop_back_val();
        if (V == I)
          return P;
        if (!Seen.insert(V).second)
          continue;
        for (User *U : V->users())
          if (InChain.count(cast<Instruction>(U)))
            Work.push_back(U);
      }
    }
    return *Carried.begin();
  };

  for (Instruction *I : InChain) {
    if (auto *P = dyn_cast<PHINode>(I)) {
      if (P->getParent() == L.getHeader()) {
        if (Inductions.count(P))
          return Fail(Source(I), "it changes the loop counter", I);
        if (!storable(P->getType()))
          return Fail(P, "its type cannot be kept in order", I);
        continue;
      }
      return Fail(Source(I),
                  "it is updated under a condition that the optimizer did "
                  "not turn into a select",
                  I);
    }
    if (I->mayReadOrWriteMemory() || I->mayHaveSideEffects() ||
        isa<CallBase>(I) && !isa<IntrinsicInst>(I))
      return Fail(Source(I),
                  "it feeds " + describe(I) +
                      ", which would have to run in iteration order",
                  I);
    if (!Ctx.DT.dominates(I->getParent(), Latch))
      return Fail(Source(I), "it is updated only in some iterations", I);
    if (I->isTerminator())
      return Fail(Source(I), "it decides the loop's control flow", I);
  }

  // Values used after the loop: only the final updates.
  BasicBlock *Exit = L.getUniqueExitBlock();
  for (PHINode &P : Exit->phis()) {
    auto *V = dyn_cast<Instruction>(P.getIncomingValueForBlock(Latch));
    if (!V || !InChain.count(V))
      continue;
    bool IsUpdate = false;
    for (PHINode *C : Carried)
      IsUpdate |= C->getIncomingValueForBlock(Latch) == V;
    if (!IsUpdate)
      return Fail(Source(V),
                  "a value of its update other than the last is used after "
                  "the loop",
                  V);
  }

  // Order: header phis first, then the rest in dominance (program) order.
  for (PHINode &P : L.getHeader()->phis())
    if (Carried.count(&P)) {
      Out.Phis.push_back(&P);
      Out.Updates.push_back(P.getIncomingValueForBlock(Latch));
    }
  for (BasicBlock *BB : L.getBlocks()) // blocks in the loop's order
    for (Instruction &I : *BB)
      if (InChain.count(&I) && !isa<PHINode>(I))
        Out.Insts.push_back(&I);
  llvm::stable_sort(Out.Insts, [&](Instruction *A, Instruction *B) {
    if (A->getParent() == B->getParent())
      return A->comesBefore(B);
    return Ctx.DT.properlyDominates(A->getParent(), B->getParent());
  });
  // Inputs from the independent part.
  SmallPtrSet<Value *, 8> Seen;
  for (Instruction *I : Out.Insts)
    for (Value *Op : I->operands()) {
      auto *OI = dyn_cast<Instruction>(Op);
      if (!OI || !L.contains(OI) || InChain.count(OI) ||
          !Seen.insert(OI).second)
        continue;
      if (!storable(OI->getType()))
        return Fail(Source(I), "it combines a value that cannot be stored", I);
      Out.Values.push_back(OI);
    }
  // A carried value whose update does not depend on the chain (it takes a
  // fresh value each iteration) reads that value from the chunks too.
  for (Value *U : Out.Updates) {
    auto *UI = dyn_cast<Instruction>(U);
    if (UI && L.contains(UI) && !InChain.count(UI) && Seen.insert(UI).second) {
      if (!storable(UI->getType()))
        return Fail(*Carried.begin(), "it takes a value that cannot be stored",
                    UI);
      Out.Values.push_back(UI);
    }
  }
  return nullptr;
}

} // namespace pydron
