//===- LoopTags.h - One identity per source loop --------------------------===//
//
// pydron-prepare gives every loop of a schedule function, as the front end
// emitted it, an id in its llvm.loop metadata and records the id, the
// function and the source location in the module's !pydron.loops list. The
// optimizer may later unroll, split, duplicate or delete loops; the pydron
// pass then finds, for every recorded id, the loops that still carry it, so
// that each source loop gets exactly one verdict.
//
//===----------------------------------------------------------------------===//
#ifndef PYDRON_LOOPTAGS_H
#define PYDRON_LOOPTAGS_H

#include "llvm/IR/DebugLoc.h"
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class Function;
class Loop;
class LoopInfo;
class Module;
class Instruction;
} // namespace llvm

namespace pydron {

struct LoopTag {
  unsigned Id = 0;
  unsigned Parent = 0; // 0: outermost
  std::string Function;
  std::string File;
  unsigned Line = 0, Column = 0;
  unsigned MemIntrinsicsBefore = 0; // in the function, when tagged
  llvm::DILocation *Loc = nullptr;  // null without debug locations
};

/// Tags the loops of \p F (all of them, outermost first).
void tagLoops(llvm::Function &F, llvm::LoopInfo &LI, unsigned &NextId);

/// The tags recorded in \p M for function \p Fn.
std::vector<LoopTag> tagsOf(const llvm::Module &M, llvm::StringRef Fn);

/// The tag id of \p L, if it has one.
std::optional<unsigned> tagOf(const llvm::Loop &L);

/// The tag id of the innermost source loop \p I was in, if recorded.
std::optional<unsigned> bodyTagOf(const llvm::Instruction &I);

/// Removes the body tags from \p F (after the pydron pass has used them).
void dropBodyTags(llvm::Function &F);

} // namespace pydron

#endif
