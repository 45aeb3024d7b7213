//===- Annotations.cpp - PYDRON_* annotations on functions ----------------===//
//
// Reads @llvm.global.annotations. Each entry is
//   { ptr @fn, ptr @"annotation string", ptr @file, i32 line, ptr @args }
// where @args (for PYDRON_READS/PYDRON_WRITES) is a constant struct
// { ptr @"param", ptr @"count", i64 sizeof(type) }.
//
// Parameters are named by position ("#2") or by name. Names need the names of
// the arguments, which clang keeps only for definitions with
// -fno-discard-value-names or -g (debug info); declarations have none.
//
//===----------------------------------------------------------------------===//
#include "Annotations.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"

using namespace llvm;

static cl::opt<bool> ScheduleAllOpt(
    "pydron-schedule-all", cl::init(false),
    cl::desc("Treat every defined function as a PYDRON_SCHEDULE function "
             "(testing)"));

namespace pydron {

bool scheduleAll() { return ScheduleAllOpt; }

bool isSchedule(const Function &F) {
  if (F.isDeclaration())
    return false;
  return F.hasFnAttribute(ScheduleAttr) || ScheduleAllOpt;
}

bool isFunctional(const Function &F) {
  return F.hasFnAttribute(FunctionalAttr);
}

static StringRef stringOf(const Constant *C) {
  if (!C)
    return "";
  if (auto *GV = dyn_cast<GlobalVariable>(C->stripPointerCasts()))
    if (GV->hasInitializer())
      if (auto *CDA = dyn_cast<ConstantDataArray>(GV->getInitializer()))
        if (CDA->isCString())
          return CDA->getAsCString();
  return "";
}

/// Names of the parameters of \p F, from the IR or from debug info.
static std::vector<std::string> parameterNames(const Function &F) {
  std::vector<std::string> Names(F.arg_size());
  for (const Argument &A : F.args())
    Names[A.getArgNo()] = A.getName().str();
  // Debug info: DILocalVariables with an argument number.
  if (DISubprogram *SP = F.getSubprogram())
    for (const DINode *N : SP->getRetainedNodes())
      if (auto *V = dyn_cast<DILocalVariable>(N))
        if (V->getArg() && V->getArg() <= Names.size())
          Names[V->getArg() - 1] = V->getName().str();
  for (const Instruction &I : instructions(F)) {
    for (const DbgRecord &R : I.getDbgRecordRange())
      if (auto *DVR = dyn_cast<DbgVariableRecord>(&R))
        if (unsigned No = DVR->getVariable()->getArg())
          if (No <= Names.size())
            Names[No - 1] = DVR->getVariable()->getName().str();
    if (auto *DVI = dyn_cast<DbgVariableIntrinsic>(&I))
      if (unsigned No = DVI->getVariable()->getArg())
        if (No <= Names.size())
          Names[No - 1] = DVI->getVariable()->getName().str();
  }
  return Names;
}

/// Resolves "#3" or a parameter name to a 0-based parameter number.
static std::optional<unsigned>
resolveParam(StringRef Ref, const std::vector<std::string> &Names,
             std::string &Why) {
  Ref = Ref.trim();
  if (Ref.consume_front("#")) {
    unsigned No;
    if (Ref.getAsInteger(10, No) || No == 0 || No > Names.size()) {
      Why = "'#" + Ref.str() + "' is not a parameter position (1.." +
            std::to_string(Names.size()) + ")";
      return std::nullopt;
    }
    return No - 1;
  }
  for (unsigned I = 0; I < Names.size(); ++I)
    if (!Names[I].empty() && Names[I] == Ref)
      return I;
  bool AnyName = false;
  for (auto &N : Names)
    AnyName |= !N.empty();
  if (!AnyName)
    Why = "parameter names of this function are not known to the plugin "
          "(a declaration, or no -g); name the parameter by position, e.g. "
          "'#1'";
  else
    Why = "no parameter is named '" + Ref.str() + "'";
  return std::nullopt;
}

static std::optional<DeclaredExtent>
parseExtent(const Function &F, bool IsWrite, StringRef Param, StringRef Count,
            uint64_t ElemSize, std::string &Why) {
  std::vector<std::string> Names = parameterNames(F);
  DeclaredExtent E;
  E.IsWrite = IsWrite;
  E.ElemSize = ElemSize;
  auto P = resolveParam(Param, Names, Why);
  if (!P)
    return std::nullopt;
  E.Param = *P;
  if (!F.getFunctionType()->getParamType(E.Param)->isPointerTy()) {
    Why = "parameter '" + Param.trim().str() + "' is not a pointer";
    return std::nullopt;
  }
  SmallVector<StringRef, 4> Factors;
  Count.split(Factors, '*');
  for (StringRef Fac : Factors) {
    Fac = Fac.trim();
    // Strip one level of parentheses, as macros often add them.
    while (Fac.starts_with("(") && Fac.ends_with(")"))
      Fac = Fac.drop_front().drop_back().trim();
    DeclaredExtent::Factor X;
    uint64_t V;
    if (!Fac.getAsInteger(0, V)) {
      X.Value = V;
    } else {
      auto Q = resolveParam(Fac, Names, Why);
      if (!Q) {
        Why = "count '" + Count.str() + "': " + Why;
        return std::nullopt;
      }
      if (!F.getFunctionType()->getParamType(*Q)->isIntegerTy()) {
        Why = "count '" + Count.str() + "': parameter '" + Fac.str() +
              "' is not an integer";
        return std::nullopt;
      }
      X.IsParam = true;
      X.Value = *Q;
    }
    E.Count.push_back(X);
  }
  if (E.Count.empty()) {
    Why = "empty count";
    return std::nullopt;
  }
  return E;
}

static std::string serialize(const DeclaredExtent &E) {
  std::string S = E.IsWrite ? "w" : "r";
  S += ":" + std::to_string(E.Param) + ":" + std::to_string(E.ElemSize) + ":";
  for (size_t I = 0; I < E.Count.size(); ++I) {
    if (I)
      S += "*";
    S += (E.Count[I].IsParam ? "#" : "") + std::to_string(E.Count[I].Value);
  }
  return S;
}

std::vector<DeclaredExtent> declaredExtents(const Function &F) {
  std::vector<DeclaredExtent> Out;
  Attribute A = F.getFnAttribute(ExtentsAttr);
  if (!A.isValid())
    return Out;
  SmallVector<StringRef, 4> Items;
  A.getValueAsString().split(Items, ';', -1, false);
  for (StringRef It : Items) {
    SmallVector<StringRef, 4> Parts;
    It.split(Parts, ':');
    if (Parts.size() != 4)
      continue;
    DeclaredExtent E;
    E.IsWrite = Parts[0] == "w";
    Parts[1].getAsInteger(10, E.Param);
    Parts[2].getAsInteger(10, E.ElemSize);
    SmallVector<StringRef, 4> Facs;
    Parts[3].split(Facs, '*');
    for (StringRef Fac : Facs) {
      DeclaredExtent::Factor X;
      X.IsParam = Fac.consume_front("#");
      Fac.getAsInteger(10, X.Value);
      E.Count.push_back(X);
    }
    Out.push_back(E);
  }
  return Out;
}

std::vector<std::pair<Function *, std::string>> importAnnotations(Module &M) {
  std::vector<std::pair<Function *, std::string>> Problems;
  GlobalVariable *GA = M.getNamedGlobal("llvm.global.annotations");
  if (!GA || !GA->hasInitializer())
    return Problems;
  auto *Arr = dyn_cast<ConstantArray>(GA->getInitializer());
  if (!Arr)
    return Problems;
  for (const Use &U : Arr->operands()) {
    auto *Entry = dyn_cast<ConstantStruct>(U.get());
    if (!Entry || Entry->getNumOperands() < 2)
      continue;
    auto *F = dyn_cast<Function>(Entry->getOperand(0)->stripPointerCasts());
    if (!F)
      continue;
    StringRef Kind = stringOf(Entry->getOperand(1));
    if (Kind == "pydron.schedule") {
      F->addFnAttr(ScheduleAttr);
    } else if (Kind == "pydron.functional") {
      F->addFnAttr(FunctionalAttr);
    } else if (Kind == "pydron.reads" || Kind == "pydron.writes") {
      const Constant *Args =
          Entry->getNumOperands() > 4 ? Entry->getOperand(4) : nullptr;
      if (auto *GV = dyn_cast_or_null<GlobalVariable>(
              Args ? Args->stripPointerCasts() : nullptr))
        Args = GV->hasInitializer() ? GV->getInitializer() : nullptr;
      auto *AS = dyn_cast_or_null<ConstantStruct>(Args);
      if (!AS || AS->getNumOperands() != 3) {
        Problems.push_back({F, "malformed " + Kind.str() + " annotation"});
        continue;
      }
      uint64_t Size = 1;
      if (auto *CI = dyn_cast<ConstantInt>(AS->getOperand(2)))
        Size = CI->getZExtValue();
      std::string Why;
      auto E =
          parseExtent(*F, Kind == "pydron.writes", stringOf(AS->getOperand(0)),
                      stringOf(AS->getOperand(1)), Size, Why);
      if (!E) {
        Problems.push_back(
            {F, std::string(Kind == "pydron.writes" ? "PYDRON_WRITES"
                                                    : "PYDRON_READS") +
                    " on '" + F->getName().str() + "' ignored: " + Why});
        continue;
      }
      std::string Old =
          F->getFnAttribute(ExtentsAttr).isValid()
              ? F->getFnAttribute(ExtentsAttr).getValueAsString().str()
              : "";
      F->addFnAttr(ExtentsAttr, Old + serialize(*E) + ";");
    }
  }
  return Problems;
}

} // namespace pydron
