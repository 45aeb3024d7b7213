//===- Annotations.h - PYDRON_* annotations on functions ------------------===//
//
// The user's annotations reach the plugin as clang `annotate` attributes in
// @llvm.global.annotations. pydron-prepare turns them into function
// attributes (they survive every later pass and LTO) and this header is the
// one place that reads them back.
//
//===----------------------------------------------------------------------===//
#ifndef PYDRON_ANNOTATIONS_H
#define PYDRON_ANNOTATIONS_H

#include "llvm/ADT/StringRef.h"
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class Function;
class Module;
} // namespace llvm

namespace pydron {

constexpr const char *ScheduleAttr = "pydron-schedule";
constexpr const char *FunctionalAttr = "pydron-functional";
constexpr const char *ExtentsAttr = "pydron-extents";
constexpr const char *AddedNoInlineAttr = "pydron-added-noinline";

/// One PYDRON_READS / PYDRON_WRITES: `Count` elements of `ElemSize` bytes
/// through parameter `Param` (0-based).
struct DeclaredExtent {
  bool IsWrite = false;
  unsigned Param = 0;
  /// Product of factors; each factor is a constant or a parameter number.
  struct Factor {
    bool IsParam = false;
    uint64_t Value = 0; // constant, or parameter number
  };
  std::vector<Factor> Count;
  uint64_t ElemSize = 1;
};

/// Moves the annotations of \p M into function attributes. Returns the
/// problems found (unresolvable parameter names, malformed counts) as
/// messages for warnings, each paired with the function concerned.
std::vector<std::pair<llvm::Function *, std::string>>
importAnnotations(llvm::Module &M);

bool isSchedule(const llvm::Function &F);
bool isFunctional(const llvm::Function &F);
/// The declared extents of \p F (empty when none).
std::vector<DeclaredExtent> declaredExtents(const llvm::Function &F);

/// -pydron-schedule-all: every defined function is a schedule function.
bool scheduleAll();

} // namespace pydron

#endif
