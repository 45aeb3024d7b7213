//===- Purity.h - Which calls may run in parallel -------------------------===//
//
// A call is pure when its callee is PYDRON_FUNCTIONAL, has memory(none) or
// read-only memory effects and will return, or is on the whitelist (libm,
// read-only string functions). Memory intrinsics are accesses with a
// footprint. Every other call is a sync point.
//
//===----------------------------------------------------------------------===//
#ifndef PYDRON_PURITY_H
#define PYDRON_PURITY_H

#include <string>

namespace llvm {
class CallBase;
class TargetLibraryInfo;
} // namespace llvm

namespace pydron {

enum class CallKind {
  Ignored,       // debug info, lifetime markers, assumptions
  NoMemory,      // pure, touches no memory (memory(none), libm)
  ReadsArgs,     // reads through its pointer arguments, extent unknown
  ReadsAnything, // reads any memory
  Functional,    // PYDRON_FUNCTIONAL: footprints per pointer argument
  MemIntrinsic,  // memset / memcpy / memmove
  Malloc,        // malloc / calloc: private when freed in the same iteration
  Free,
  Sync, // anything else
};

struct CallClass {
  CallKind Kind = CallKind::Sync;
  /// Why the call is pure ("PYDRON_FUNCTIONAL", "memory(none)", "libm",
  /// ...), for the printer and the remarks.
  std::string Source;
};

CallClass classifyCall(const llvm::CallBase &CB,
                       const llvm::TargetLibraryInfo &TLI);

/// The callee's name as the user wrote it, or "an indirect call".
std::string calleeName(const llvm::CallBase &CB);

} // namespace pydron

#endif
