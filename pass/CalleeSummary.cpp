//===- CalleeSummary.cpp - What a functional function reads and writes ----===//
//
// The summary comes from the function's own accesses: the offset of each
// load, store, memory intrinsic and nested functional call from the
// parameter it is based on, bounded over every loop of the function
// (Footprints.cpp), converted to an Expr. PYDRON_READS / PYDRON_WRITES
// replace what was computed for their parameter, and are all there is for
// declarations. A definition that writes a global or calls something that is
// not pure breaks the contract: warned about, and its calls are sync points.
//
//===----------------------------------------------------------------------===//
#include "CalleeSummary.h"
#include "Annotations.h"
#include "Footprints.h"
#include "Purity.h"

#include "llvm/Analysis/AliasAnalysis.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/Analysis/ScalarEvolutionExpressions.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"

using namespace llvm;

namespace pydron {

std::string Expr::str() const {
  auto Bin = [&](const char *Op) {
    std::string S = "(";
    for (size_t I = 0; I < Ops.size(); ++I)
      S += (I ? Op : "") + Ops[I].str();
    return S + ")";
  };
  switch (K) {
  case Const:
    return std::to_string(Value);
  case Param:
    return "#" + std::to_string(Value + 1);
  case Add:
    return Bin(" + ");
  case Mul:
    return Bin(" * ");
  case SExt:
  case ZExt:
  case Trunc:
    return Ops[0].str();
  case SMax:
    return "smax" + Bin(", ");
  case UMax:
    return "umax" + Bin(", ");
  case SMin:
    return "smin" + Bin(", ");
  case UMin:
    return "umin" + Bin(", ");
  }
  return "?";
}

static std::optional<Expr> toExpr(const SCEV *S) {
  Expr E;
  E.Bits =
      S->getType()->isPointerTy() ? 64 : S->getType()->getIntegerBitWidth();
  auto Nary = [&](Expr::Kind K,
                  ArrayRef<const SCEV *> Ops) -> std::optional<Expr> {
    E.K = K;
    for (const SCEV *Op : Ops) {
      auto X = toExpr(Op);
      if (!X)
        return std::nullopt;
      E.Ops.push_back(*X);
    }
    return E;
  };
  switch (S->getSCEVType()) {
  case scConstant:
    E.K = Expr::Const;
    E.Value = cast<SCEVConstant>(S)->getAPInt().getSExtValue();
    return E;
  case scUnknown:
    if (auto *A = dyn_cast<Argument>(cast<SCEVUnknown>(S)->getValue())) {
      if (!A->getType()->isIntegerTy())
        return std::nullopt;
      E.K = Expr::Param;
      E.Value = A->getArgNo();
      return E;
    }
    return std::nullopt;
  case scAddExpr:
    return Nary(Expr::Add, cast<SCEVNAryExpr>(S)->operands());
  case scMulExpr:
    return Nary(Expr::Mul, cast<SCEVNAryExpr>(S)->operands());
  case scSMaxExpr:
    return Nary(Expr::SMax, cast<SCEVNAryExpr>(S)->operands());
  case scUMaxExpr:
    return Nary(Expr::UMax, cast<SCEVNAryExpr>(S)->operands());
  case scSMinExpr:
    return Nary(Expr::SMin, cast<SCEVNAryExpr>(S)->operands());
  case scUMinExpr:
    return Nary(Expr::UMin, cast<SCEVNAryExpr>(S)->operands());
  case scSignExtend:
    return Nary(Expr::SExt, {cast<SCEVCastExpr>(S)->getOperand()});
  case scZeroExtend:
    return Nary(Expr::ZExt, {cast<SCEVCastExpr>(S)->getOperand()});
  case scTruncate:
    return Nary(Expr::Trunc, {cast<SCEVCastExpr>(S)->getOperand()});
  default:
    return std::nullopt;
  }
}

/// Rebuilds \p E as a SCEV, \p ParamOf giving each parameter's value.
static const SCEV *rebuild(const Expr &E, LLVMContext &Ctx,
                           function_ref<const SCEV *(unsigned)> ParamOf,
                           ScalarEvolution &SE) {
  Type *Ty = IntegerType::get(Ctx, E.Bits);
  SmallVector<const SCEV *, 4> Ops;
  for (const Expr &Op : E.Ops) {
    const SCEV *S = rebuild(Op, Ctx, ParamOf, SE);
    if (!S)
      return nullptr;
    Ops.push_back(S);
  }
  switch (E.K) {
  case Expr::Const:
    return SE.getConstant(Ty, E.Value, true);
  case Expr::Param:
    return ParamOf(E.Value);
  case Expr::Add:
    return SE.getAddExpr(Ops);
  case Expr::Mul:
    return SE.getMulExpr(Ops);
  case Expr::SExt:
    return SE.getSignExtendExpr(Ops[0], Ty);
  case Expr::ZExt:
    return SE.getZeroExtendExpr(Ops[0], Ty);
  case Expr::Trunc:
    return SE.getTruncateExpr(Ops[0], Ty);
  case Expr::SMax:
    return SE.getSMaxExpr(Ops);
  case Expr::UMax:
    return SE.getUMaxExpr(Ops);
  case Expr::SMin:
    return SE.getSMinExpr(Ops);
  case Expr::UMin:
    return SE.getUMinExpr(Ops);
  }
  return nullptr;
}

const SCEV *instantiate(const Expr &E, const CallBase &CB,
                        ScalarEvolution &SE) {
  return rebuild(
      E, CB.getContext(),
      [&](unsigned P) { return SE.getSCEV(CB.getArgOperand(P)); }, SE);
}

const Summary &CalleeSummaries::of(Function &F) const {
  auto It = Map.find(&F);
  if (It != Map.end())
    return *It->second;
  if (InProgress.lookup(&F)) {
    static Summary Recursive;
    Recursive.SyncWhy = "it is recursive";
    return Recursive;
  }
  InProgress[&F] = true;
  auto S = std::make_unique<Summary>(compute(F));
  InProgress[&F] = false;
  return *(Map[&F] = std::move(S));
}

static Expr exprOfDeclared(const DeclaredExtent &D, const Function &F) {
  // Count * ElemSize as 64-bit signed arithmetic on the parameters.
  Expr Prod;
  Prod.K = Expr::Mul;
  Expr Size;
  Size.Value = D.ElemSize;
  Prod.Ops.push_back(Size);
  for (const auto &Fac : D.Count) {
    Expr X;
    if (Fac.IsParam) {
      Expr P;
      P.K = Expr::Param;
      P.Value = Fac.Value;
      P.Bits =
          F.getFunctionType()->getParamType(Fac.Value)->getIntegerBitWidth();
      if (P.Bits < 64) {
        X.K = Expr::SExt;
        X.Ops.push_back(P);
      } else {
        X = P;
      }
    } else {
      X.Value = Fac.Value;
    }
    Prod.Ops.push_back(X);
  }
  return Prod;
}

/// Adds [Lo, Hi) to \p E (hull of both).
static void widen(Extent &E, const Expr &Lo, const Expr &Hi) {
  if (!E.Known) {
    if (!E.Why.empty())
      return; // already unknown
    E.Known = true;
    E.Lo = Lo;
    E.Hi = Hi;
    return;
  }
  Expr L, H;
  L.K = Expr::SMin;
  L.Ops = {E.Lo, Lo};
  H.K = Expr::SMax;
  H.Ops = {E.Hi, Hi};
  E.Lo = L;
  E.Hi = H;
}

static void unknown(Extent &E, std::string Why) {
  E.Known = false;
  if (E.Why.empty())
    E.Why = std::move(Why);
}

/// Rebuilds \p E over \p F's own parameters.
static const SCEV *inCallee(const Expr &E, Function &F, ScalarEvolution &SE) {
  return rebuild(
      E, F.getContext(), [&](unsigned P) { return SE.getSCEV(F.getArg(P)); },
      SE);
}

/// Evaluates \p E with every integer parameter equal to \p V.
static std::optional<int64_t> evaluate(const Expr &E, int64_t V) {
  std::vector<int64_t> Ops;
  for (const Expr &Op : E.Ops) {
    auto X = evaluate(Op, V);
    if (!X)
      return std::nullopt;
    Ops.push_back(*X);
  }
  auto Wrap = [&](int64_t X) -> int64_t {
    if (E.Bits >= 64)
      return X;
    uint64_t Mask = (1ull << E.Bits) - 1;
    uint64_t U = uint64_t(X) & Mask;
    return (U >> (E.Bits - 1)) ? int64_t(U | ~Mask) : int64_t(U);
  };
  switch (E.K) {
  case Expr::Const:
    return E.Value;
  case Expr::Param:
    return Wrap(V);
  case Expr::Add: {
    int64_t S = 0;
    for (int64_t X : Ops)
      S += X;
    return Wrap(S);
  }
  case Expr::Mul: {
    int64_t P = 1;
    for (int64_t X : Ops)
      P *= X;
    return Wrap(P);
  }
  case Expr::SExt:
    return Ops[0];
  case Expr::ZExt: {
    unsigned B = E.Ops[0].Bits;
    return B >= 64 ? Ops[0] : int64_t(uint64_t(Ops[0]) & ((1ull << B) - 1));
  }
  case Expr::Trunc:
    return Wrap(Ops[0]);
  case Expr::SMax:
    return *std::max_element(Ops.begin(), Ops.end());
  case Expr::SMin:
    return *std::min_element(Ops.begin(), Ops.end());
  case Expr::UMax:
    return int64_t(uint64_t(
        *std::max_element(Ops.begin(), Ops.end(), [](int64_t A, int64_t B) {
          return uint64_t(A) < uint64_t(B);
        })));
  case Expr::UMin:
    return int64_t(uint64_t(
        *std::min_element(Ops.begin(), Ops.end(), [](int64_t A, int64_t B) {
          return uint64_t(A) < uint64_t(B);
        })));
  }
  return std::nullopt;
}

void CalleeSummaries::checkDeclaredWrite(Function &F, unsigned P,
                                         const Extent &Computed,
                                         const Expr &DeclaredHi) const {
  // Try sizes a caller would pass: every integer parameter 1, 3, 100.
  for (int64_t V : {1, 3, 100}) {
    auto Lo = evaluate(Computed.Lo, V), Hi = evaluate(Computed.Hi, V);
    auto Decl = evaluate(DeclaredHi, V);
    if (!Lo || !Hi || !Decl)
      return;
    if (*Lo < 0 || *Hi > *Decl) {
      Warnings.push_back(
          {&F, "functional function '" + F.getName().str() +
                   "' writes through parameter #" + std::to_string(P + 1) +
                   " outside the footprint its PYDRON_WRITES declares (with " +
                   "its integer parameters equal to " + std::to_string(V) +
                   " it writes bytes [" + std::to_string(*Lo) + ", " +
                   std::to_string(*Hi) + "), declared [0, " +
                   std::to_string(*Decl) +
                   ")); the plugin uses the larger footprint"});
      return;
    }
  }
}

Summary CalleeSummaries::compute(Function &F) const {
  Summary S;
  S.Params.resize(F.arg_size());
  std::vector<DeclaredExtent> Declared = declaredExtents(F);
  auto DeclaredFor = [&](unsigned P, bool Write) -> const DeclaredExtent * {
    for (const DeclaredExtent &D : Declared)
      if (D.Param == P && D.IsWrite == Write)
        return &D;
    return nullptr;
  };

  if (!F.isDeclaration()) {
    FunctionAnalyses A = Get(F);
    ScalarEvolution &SE = A.SE;
    LoopPredicate All = [](const Loop *) { return true; };
    // Records an access of [Begin, End) bytes (SCEVs of F).
    auto Record = [&](const SCEV *Begin, const SCEV *End, bool Write,
                      Instruction &I) {
      const SCEV *Base = SE.getPointerBase(Begin);
      auto *U = dyn_cast<SCEVUnknown>(Base);
      Value *Obj = U ? U->getValue() : nullptr;
      if (auto *GV = dyn_cast_or_null<GlobalVariable>(Obj)) {
        if (Write) {
          Warnings.push_back({&F, "functional function '" + F.getName().str() +
                                      "' writes global '" +
                                      GV->getName().str() + "'"});
          if (S.SyncWhy.empty())
            S.SyncWhy = "it writes global '" + GV->getName().str() + "'";
        } else if (std::find(S.GlobalsRead.begin(), S.GlobalsRead.end(), GV) ==
                   S.GlobalsRead.end()) {
          S.GlobalsRead.push_back(GV);
        }
        return;
      }
      if (Obj && (isa<AllocaInst>(Obj) || isNoAliasCall(Obj)))
        return; // its own local memory
      auto *Arg = dyn_cast_or_null<Argument>(Obj);
      if (!Arg) {
        if (Write) {
          if (S.SyncWhy.empty())
            S.SyncWhy = "it writes through a pointer that is not one of its "
                        "parameters";
        } else {
          S.ReadsGlobals = true;
        }
        return;
      }
      ParamSummary &P = S.Params[Arg->getArgNo()];
      (Write ? P.Writes : P.Reads) = true;
      Extent &E = Write ? P.Write : P.Read;
      std::string Why;
      const SCEV *Lo =
          boundOver(SE.getMinusSCEV(Begin, Base), false, All, A.LI, SE, Why);
      const SCEV *Hi =
          Lo ? boundOver(SE.getMinusSCEV(End, Base), true, All, A.LI, SE, Why)
             : nullptr;
      std::optional<Expr> LoE, HiE;
      if (Lo && Hi) {
        LoE = toExpr(Lo);
        HiE = toExpr(Hi);
        if (!LoE || !HiE)
          Why = "its offset is not an expression of the parameters";
      }
      if (LoE && HiE)
        widen(E, *LoE, *HiE);
      else
        unknown(E, Why);
    };
    const DataLayout &DL = F.getParent()->getDataLayout();
    auto I64 = Type::getInt64Ty(F.getContext());
    for (Instruction &I : instructions(F)) {
      bool Special = false;
      if (auto *LI = dyn_cast<LoadInst>(&I))
        Special = LI->isVolatile() || !LI->isUnordered();
      else if (auto *SI = dyn_cast<StoreInst>(&I))
        Special = SI->isVolatile() || !SI->isUnordered();
      if (Special) {
        Warnings.push_back({&F, "functional function '" + F.getName().str() +
                                    "' has volatile or atomic accesses"});
        if (S.SyncWhy.empty())
          S.SyncWhy = "it has volatile or atomic accesses";
        continue;
      }
      if (auto *LI = dyn_cast<LoadInst>(&I)) {
        const SCEV *B = SE.getSCEV(LI->getPointerOperand());
        Record(B,
               SE.getAddExpr(
                   B, SE.getConstant(I64, DL.getTypeStoreSize(LI->getType()))),
               false, I);
      } else if (auto *SI = dyn_cast<StoreInst>(&I)) {
        const SCEV *B = SE.getSCEV(SI->getPointerOperand());
        Record(
            B,
            SE.getAddExpr(
                B, SE.getConstant(I64, DL.getTypeStoreSize(
                                           SI->getValueOperand()->getType()))),
            true, I);
      } else if (auto *MI = dyn_cast<MemIntrinsic>(&I)) {
        const SCEV *Len =
            SE.getTruncateOrZeroExtend(SE.getSCEV(MI->getLength()), I64);
        const SCEV *B = SE.getSCEV(MI->getDest());
        Record(B, SE.getAddExpr(B, Len), true, I);
        if (auto *MT = dyn_cast<MemTransferInst>(MI)) {
          const SCEV *SB = SE.getSCEV(MT->getSource());
          Record(SB, SE.getAddExpr(SB, Len), false, I);
        }
      } else if (auto *CB = dyn_cast<CallBase>(&I)) {
        CallClass C = classifyCall(*CB, A.TLI);
        switch (C.Kind) {
        case CallKind::Ignored:
        case CallKind::NoMemory:
        case CallKind::MemIntrinsic:
          break;
        case CallKind::Malloc:
        case CallKind::Free:
          break; // its own memory
        case CallKind::ReadsArgs:
        case CallKind::ReadsAnything:
          for (Value *Arg : CB->args())
            if (Arg->getType()->isPointerTy())
              if (auto *PA = dyn_cast<Argument>(getUnderlyingObject(Arg))) {
                S.Params[PA->getArgNo()].Reads = true;
                unknown(S.Params[PA->getArgNo()].Read,
                        "it passes it to '" + calleeName(*CB) + "'");
              }
          S.ReadsGlobals |= C.Kind == CallKind::ReadsAnything;
          break;
        case CallKind::Functional: {
          // Direct recursion of a function without pointer parameters
          // (fib(n - 1)): the call does what this function does.
          if (CB->getCalledFunction() == &F &&
              llvm::none_of(F.args(), [](const Argument &A) {
                return A.getType()->isPointerTy();
              }))
            break;
          const Summary &CS = of(*CB->getCalledFunction());
          if (!CS.SyncWhy.empty() && S.SyncWhy.empty())
            S.SyncWhy = "it calls '" + calleeName(*CB) + "', and " + CS.SyncWhy;
          S.ReadsGlobals |= CS.ReadsGlobals;
          for (GlobalVariable *GV : CS.GlobalsRead)
            if (std::find(S.GlobalsRead.begin(), S.GlobalsRead.end(), GV) ==
                S.GlobalsRead.end())
              S.GlobalsRead.push_back(GV);
          for (unsigned K = 0; K < CB->arg_size() && K < CS.Params.size();
               ++K) {
            const ParamSummary &PS = CS.Params[K];
            const SCEV *ArgS = SE.getSCEV(CB->getArgOperand(K));
            for (bool W : {false, true}) {
              if (!(W ? PS.Writes : PS.Reads))
                continue;
              const Extent &E = W ? PS.Write : PS.Read;
              const SCEV *Lo = E.Known ? instantiate(E.Lo, *CB, SE) : nullptr;
              const SCEV *Hi = E.Known ? instantiate(E.Hi, *CB, SE) : nullptr;
              if (Lo && Hi) {
                Record(SE.getAddExpr(ArgS, Lo), SE.getAddExpr(ArgS, Hi), W, I);
              } else if (auto *PA = dyn_cast<Argument>(
                             getUnderlyingObject(CB->getArgOperand(K)))) {
                ParamSummary &P = S.Params[PA->getArgNo()];
                (W ? P.Writes : P.Reads) = true;
                unknown(W ? P.Write : P.Read,
                        "'" + calleeName(*CB) + "' " + E.Why);
              } else if (W && S.SyncWhy.empty()) {
                S.SyncWhy = "it calls '" + calleeName(*CB) +
                            "' which writes memory of unknown extent";
              }
            }
          }
          break;
        }
        case CallKind::Sync:
          Warnings.push_back({&F, "functional function '" + F.getName().str() +
                                      "' calls '" + calleeName(*CB) +
                                      "', which may have side effects"});
          if (S.SyncWhy.empty())
            S.SyncWhy = "it calls '" + calleeName(*CB) +
                        "', which may have side effects";
          break;
        }
      } else if (I.mayWriteToMemory() ||
                 (isa<LoadInst>(I) && cast<LoadInst>(I).isVolatile())) {
        if (S.SyncWhy.empty())
          S.SyncWhy = "it has atomic or volatile accesses";
      }
    }
  }

  // Declared extents: all there is for a declaration. For a definition
  // whose own extent is known too, the hull of both (so a wrong declaration
  // cannot make a footprint too small), with a warning when the definition
  // provably writes outside what it declares.
  for (unsigned P = 0; P < F.arg_size(); ++P) {
    if (!F.getArg(P)->getType()->isPointerTy())
      continue;
    ParamSummary &PS = S.Params[P];
    for (bool W : {false, true}) {
      const DeclaredExtent *D = DeclaredFor(P, W);
      if (!D)
        continue;
      Extent &E = W ? PS.Write : PS.Read;
      bool Touched = W ? PS.Writes : PS.Reads;
      Expr DeclHi = exprOfDeclared(*D, F);
      if (Touched && E.Known && !F.isDeclaration()) {
        if (W)
          checkDeclaredWrite(F, P, E, DeclHi);
        Expr Zero;
        widen(E, Zero, DeclHi);
        E.Declared = true;
        continue;
      }
      (W ? PS.Writes : PS.Reads) = true;
      E = Extent();
      E.Known = true;
      E.Declared = true;
      E.Hi = DeclHi;
    }
    if (F.isDeclaration()) {
      // A declaration with PYDRON_READS/WRITES is taken as complete: a
      // pointer without PYDRON_WRITES is not written, and one with
      // PYDRON_WRITES reads only inside what it writes. Without any, every
      // pointer may be written (const does not reach the compiler's IR).
      bool Annotated = !Declared.empty();
      bool ReadOnly = F.getArg(P)->onlyReadsMemory();
      if (!DeclaredFor(P, true) && !ReadOnly && !Annotated) {
        PS.Writes = true;
        unknown(PS.Write, "may write through parameter #" +
                              std::to_string(P + 1) +
                              " and no PYDRON_WRITES says how much");
      }
      if (!DeclaredFor(P, false) && !(Annotated && DeclaredFor(P, true))) {
        PS.Reads = true;
        unknown(PS.Read, "reads through parameter #" + std::to_string(P + 1) +
                             " and no PYDRON_READS says how much");
      }
    }
  }
  return S;
}

} // namespace pydron
