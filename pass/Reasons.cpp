//===- Reasons.cpp - Why a loop is not parallelized -----------------------===//
#include "Reasons.h"

#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/DebugInfo.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/Support/Path.h"

using namespace llvm;

namespace pydron {

const char *RejectReason::name() const {
  switch (K) {
  case Kind::Optnone:
    return "Optnone";
  case Kind::Removed:
    return "RemovedByOptimizer";
  case Kind::Unrolled:
    return "FullyUnrolled";
  case Kind::Idiom:
    return "ReplacedByIdiom";
  case Kind::Duplicated:
    return "Duplicated";
  case Kind::NotSimplified:
    return "NotSimplified";
  case Kind::NoTripCount:
    return "NoTripCount";
  case Kind::MultipleExits:
    return "MultipleExits";
  case Kind::NotRotated:
    return "NotRotated";
  case Kind::SyncPoint:
    return "SyncPoint";
  case Kind::Volatile:
    return "Volatile";
  case Kind::Atomic:
    return "Atomic";
  case Kind::ThreadLocal:
    return "ThreadLocal";
  case Kind::Recurrence:
    return "Recurrence";
  case Kind::NeedsChain:
    return "NeedsChain";
  case Kind::LiveOut:
    return "LiveOut";
  case Kind::UnknownWrite:
    return "UnknownWrite";
  case Kind::UnknownRead:
    return "UnknownRead";
  case Kind::Dependence:
    return "Dependence";
  case Kind::MayOverlap:
    return "MayOverlap";
  case Kind::NoFootprint:
    return "NoFootprint";
  case Kind::InsideParallel:
    return "InsideParallelLoop";
  }
  return "Unknown";
}

std::string locationOf(const Instruction *I) {
  if (!I)
    return "";
  const DebugLoc &DL = I->getDebugLoc();
  if (!DL || DL.getLine() == 0)
    return "";
  std::string S = sys::path::filename(DL->getFilename()).str() + ":" +
                  std::to_string(DL.getLine());
  if (DL.getCol())
    S += ":" + std::to_string(DL.getCol());
  return S;
}

std::string RejectReason::message() const {
  std::string Loc = locationOf(At);
  if (Loc.empty() || Message.find(" at ") != std::string::npos)
    return Message;
  return Message + " at " + Loc;
}

Reason reject(RejectReason::Kind K, std::string Message,
              const Instruction *At) {
  return std::make_shared<RejectReason>(K, std::move(Message), At);
}

static std::string debugName(const Value *V) {
  SmallVector<DbgValueInst *, 2> Intrinsics;
  SmallVector<DbgVariableRecord *, 2> Records;
  findDbgValues(Intrinsics, const_cast<Value *>(V), &Records);
  for (DbgVariableRecord *R : Records)
    if (R->getVariable())
      return R->getVariable()->getName().str();
  for (DbgValueInst *D : Intrinsics)
    return D->getVariable()->getName().str();
  for (DbgVariableRecord *R : findDVRDeclares(const_cast<Value *>(V)))
    return R->getVariable()->getName().str();
  for (DbgDeclareInst *D : findDbgDeclares(const_cast<Value *>(V)))
    return D->getVariable()->getName().str();
  return "";
}

std::string nameOf(const Value *V) {
  if (!V)
    return "a value";
  if (auto *GV = dyn_cast<GlobalValue>(V))
    return "'" + GV->getName().str() + "'";
  std::string N = debugName(V);
  if (!N.empty())
    return "'" + N + "'";
  if (auto *A = dyn_cast<Argument>(V)) {
    if (DISubprogram *SP = A->getParent()->getSubprogram())
      for (const DINode *Node : SP->getRetainedNodes())
        if (auto *Var = dyn_cast<DILocalVariable>(Node))
          if (Var->getArg() == A->getArgNo() + 1)
            return "'" + Var->getName().str() + "'";
    if (A->hasName())
      return "'" + A->getName().str() + "'";
    return "parameter #" + std::to_string(A->getArgNo() + 1);
  }
  if (V->hasName() && !V->getName().contains('.'))
    return "'" + V->getName().str() + "'";
  if (isa<AllocaInst>(V))
    return "a local variable";
  return "a value";
}

} // namespace pydron
