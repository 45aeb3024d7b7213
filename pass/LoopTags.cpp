//===- LoopTags.cpp - One identity per source loop ------------------------===//
#include "LoopTags.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Metadata.h"
#include "llvm/IR/Module.h"

using namespace llvm;

namespace pydron {

static const char *LoopIdKey = "pydron.loop.id";
static const char *ListName = "pydron.loops";
static const char *BodyKind = "pydron.body";

static unsigned countMemIntrinsics(Function &F) {
  unsigned N = 0;
  for (Instruction &I : instructions(F))
    N += isa<MemIntrinsic>(I);
  return N;
}

void tagLoops(Function &F, LoopInfo &LI, unsigned &NextId) {
  LLVMContext &Ctx = F.getContext();
  Module &M = *F.getParent();
  NamedMDNode *List = M.getOrInsertNamedMetadata(ListName);
  unsigned MemIntrinsics = countMemIntrinsics(F);
  auto I32 = [&](unsigned V) {
    return ConstantAsMetadata::get(ConstantInt::get(Type::getInt32Ty(Ctx), V));
  };
  DenseMap<const Loop *, unsigned> Ids;
  for (Loop *L : LI.getLoopsInPreorder()) {
    if (auto Old = tagOf(*L)) { // tagged already (prepare ran twice)
      Ids[L] = *Old;
      continue;
    }
    unsigned Id = NextId++;
    Ids[L] = Id;
    unsigned Parent = L->getParentLoop() ? Ids.lookup(L->getParentLoop()) : 0;

    // Add our id to the loop's llvm.loop metadata (which must stay a
    // distinct, self-referencing node).
    SmallVector<Metadata *, 4> Ops;
    Ops.push_back(nullptr);
    if (MDNode *Old = L->getLoopID())
      for (unsigned K = 1; K < Old->getNumOperands(); ++K)
        Ops.push_back(Old->getOperand(K));
    Ops.push_back(MDNode::get(Ctx, {MDString::get(Ctx, LoopIdKey), I32(Id)}));
    MDNode *NewID = MDNode::getDistinct(Ctx, Ops);
    NewID->replaceOperandWith(0, NewID);
    L->setLoopID(NewID);

    DebugLoc Loc = L->getStartLoc();
    std::string File;
    unsigned Line = 0, Col = 0;
    if (Loc) {
      File = Loc->getFilename().str();
      Line = Loc.getLine();
      Col = Loc.getCol();
    }
    Metadata *LocMD = Loc ? static_cast<Metadata *>(Loc.get())
                          : static_cast<Metadata *>(MDNode::get(Ctx, {}));
    List->addOperand(
        MDNode::get(Ctx, {I32(Id), I32(Parent), MDString::get(Ctx, F.getName()),
                          MDString::get(Ctx, File), I32(Line), I32(Col),
                          I32(MemIntrinsics), LocMD}));
  }
  // Mark the memory instructions and calls of each loop body with the
  // innermost loop's id, to recognize them after full unrolling.
  for (BasicBlock &BB : F) {
    Loop *L = LI.getLoopFor(&BB);
    if (!L)
      continue;
    MDNode *Tag = MDNode::get(Ctx, {I32(Ids.lookup(L))});
    for (Instruction &I : BB)
      if (isa<LoadInst>(I) || isa<StoreInst>(I) ||
          (isa<CallBase>(I) && !isa<DbgInfoIntrinsic>(I)))
        I.setMetadata(BodyKind, Tag);
  }
}

static unsigned intOf(const MDOperand &Op) {
  if (auto *C = mdconst::dyn_extract<ConstantInt>(Op))
    return C->getZExtValue();
  return 0;
}

std::vector<LoopTag> tagsOf(const Module &M, StringRef Fn) {
  std::vector<LoopTag> Out;
  const NamedMDNode *List = M.getNamedMetadata(ListName);
  if (!List)
    return Out;
  for (const MDNode *N : List->operands()) {
    if (N->getNumOperands() < 7)
      continue;
    auto *Name = dyn_cast<MDString>(N->getOperand(2));
    if (!Name || Name->getString() != Fn)
      continue;
    LoopTag T;
    T.Id = intOf(N->getOperand(0));
    T.Parent = intOf(N->getOperand(1));
    T.Function = Fn.str();
    if (auto *File = dyn_cast<MDString>(N->getOperand(3)))
      T.File = File->getString().str();
    T.Line = intOf(N->getOperand(4));
    T.Column = intOf(N->getOperand(5));
    T.MemIntrinsicsBefore = intOf(N->getOperand(6));
    if (N->getNumOperands() > 7)
      T.Loc = dyn_cast<DILocation>(N->getOperand(7));
    Out.push_back(T);
  }
  return Out;
}

std::optional<unsigned> tagOf(const Loop &L) {
  MDNode *ID = L.getLoopID();
  if (!ID)
    return std::nullopt;
  for (unsigned K = 1; K < ID->getNumOperands(); ++K) {
    auto *N = dyn_cast<MDNode>(ID->getOperand(K));
    if (!N || N->getNumOperands() != 2)
      continue;
    auto *S = dyn_cast<MDString>(N->getOperand(0));
    if (S && S->getString() == LoopIdKey)
      return intOf(N->getOperand(1));
  }
  return std::nullopt;
}

std::optional<unsigned> bodyTagOf(const Instruction &I) {
  if (MDNode *N = I.getMetadata(BodyKind))
    if (N->getNumOperands() == 1)
      return intOf(N->getOperand(0));
  return std::nullopt;
}

void dropBodyTags(Function &F) {
  for (Instruction &I : instructions(F))
    I.setMetadata(BodyKind, nullptr);
}

} // namespace pydron
