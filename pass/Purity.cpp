//===- Purity.cpp - Which calls may run in parallel -----------------------===//
//
// libm functions write errno on domain errors; running them in parallel
// leaves errno unspecified after the loop (documented in docs/remarks.md).
// Functions that write through a pointer (frexp, modf, lgamma's signgam) are
// not on the list.
//
//===----------------------------------------------------------------------===//
#include "Purity.h"
#include "Annotations.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/InstrTypes.h"
#include "llvm/IR/IntrinsicInst.h"

using namespace llvm;

namespace pydron {

static bool isLibm(StringRef Name) {
  static const StringSet<> Base = {
      "sin",    "cos",     "tan",       "asin",      "acos",  "atan",
      "atan2",  "sinh",    "cosh",      "tanh",      "asinh", "acosh",
      "atanh",  "exp",     "exp2",      "expm1",     "log",   "log2",
      "log10",  "log1p",   "logb",      "pow",       "sqrt",  "cbrt",
      "hypot",  "fmod",    "remainder", "erf",       "erfc",  "tgamma",
      "floor",  "ceil",    "round",     "trunc",     "rint",  "nearbyint",
      "lround", "llround", "lrint",     "llrint",    "fabs",  "fmin",
      "fmax",   "fdim",    "copysign",  "nextafter", "fma",   "ldexp",
      "scalbn", "ilogb"};
  if (Base.contains(Name))
    return true;
  if (Name.ends_with("f") || Name.ends_with("l"))
    return Base.contains(Name.drop_back());
  return false;
}

static bool isReadOnlyString(StringRef Name) {
  static const StringSet<> Names = {
      "strlen", "strnlen", "strcmp",  "strncmp", "memcmp", "strchr", "strrchr",
      "strstr", "strspn",  "strcspn", "strpbrk", "memchr", "bcmp"};
  return Names.contains(Name);
}

/// libm functions take and return numbers only: a function of the same
/// name with pointer parameters is someone else's.
static bool hasNumericSignature(const Function &F) {
  FunctionType *T = F.getFunctionType();
  if (T->isVarArg() || T->getReturnType()->isPointerTy() ||
      T->getReturnType()->isVoidTy())
    return false;
  for (Type *P : T->params())
    if (!P->isFloatingPointTy() && !P->isIntegerTy())
      return false;
  return true;
}

std::string calleeName(const CallBase &CB) {
  if (const Function *F = CB.getCalledFunction())
    return F->getName().str();
  return "";
}

CallClass classifyCall(const CallBase &CB, const TargetLibraryInfo &TLI) {
  if (isa<DbgInfoIntrinsic>(CB))
    return {CallKind::Ignored, "debug info"};
  if (auto *II = dyn_cast<IntrinsicInst>(&CB)) {
    switch (II->getIntrinsicID()) {
    case Intrinsic::lifetime_start:
    case Intrinsic::lifetime_end:
    case Intrinsic::assume:
    case Intrinsic::experimental_noalias_scope_decl:
    case Intrinsic::pseudoprobe:
    case Intrinsic::sideeffect:
      return {CallKind::Ignored, "marker"};
    case Intrinsic::memset:
    case Intrinsic::memcpy:
    case Intrinsic::memmove:
    case Intrinsic::memcpy_inline:
    case Intrinsic::memset_inline:
      if (cast<MemIntrinsic>(II)->isVolatile())
        return {CallKind::Sync, ""};
      return {CallKind::MemIntrinsic, "memory intrinsic"};
    default:
      break;
    }
    if (II->doesNotAccessMemory() && II->willReturn())
      return {CallKind::NoMemory, "intrinsic without memory effects"};
    return {CallKind::Sync, ""};
  }

  const Function *F = CB.getCalledFunction();
  if (!F)
    return {CallKind::Sync, ""};
  if (isFunctional(*F))
    return {CallKind::Functional, "PYDRON_FUNCTIONAL"};

  LibFunc LF;
  bool IsLib = TLI.getLibFunc(*F, LF) && TLI.has(LF);
  StringRef Name = F->getName();
  if (IsLib && (LF == LibFunc_malloc || LF == LibFunc_calloc))
    return {CallKind::Malloc, "malloc"};
  if (IsLib && LF == LibFunc_free)
    return {CallKind::Free, "free"};

  bool WillReturn = CB.hasFnAttr(Attribute::WillReturn) || F->willReturn();
  bool NoUnwind = CB.doesNotThrow();
  if (CB.doesNotAccessMemory() && WillReturn && NoUnwind)
    return {CallKind::NoMemory, "memory(none)"};
  if (F->isDeclaration() && isLibm(Name) && hasNumericSignature(*F))
    return {CallKind::NoMemory, "libm (errno is not kept)"};
  if (IsLib && isReadOnlyString(Name))
    return {CallKind::ReadsArgs, "read-only library function"};
  if (CB.onlyReadsMemory() && WillReturn && NoUnwind) {
    if (CB.onlyAccessesArgMemory())
      return {CallKind::ReadsArgs, "memory(argmem: read)"};
    return {CallKind::ReadsAnything, "memory(read)"};
  }
  return {CallKind::Sync, ""};
}

} // namespace pydron
