//===- Reasons.h - Why a loop is not parallelized -------------------------===//
//
// One class per reject reason, in the manner of Polly's ScopDetection
// diagnostics: each knows its remark name (for -fsave-optimization-record and
// the printer), the message the user reads, and the instruction to blame,
// whose own source location the message quotes.
//
//===----------------------------------------------------------------------===//
#ifndef PYDRON_REASONS_H
#define PYDRON_REASONS_H

#include <memory>
#include <string>

namespace llvm {
class Instruction;
class Value;
} // namespace llvm

namespace pydron {

class RejectReason {
public:
  enum class Kind {
    Optnone,
    Removed,
    Unrolled,
    Idiom,
    Duplicated,
    NotSimplified,
    NoTripCount,
    MultipleExits,
    NotRotated,
    SyncPoint,
    Volatile,
    Atomic,
    ThreadLocal,
    Recurrence,
    NeedsChain,
    LiveOut,
    UnknownWrite,
    UnknownRead,
    Dependence,
    MayOverlap,
    NoFootprint,
    InsideParallel,
  };
  RejectReason(Kind K, std::string Message, const llvm::Instruction *At)
      : K(K), Message(std::move(Message)), At(At) {}
  virtual ~RejectReason() = default;

  Kind kind() const { return K; }
  /// Short name: the remark name in optimization records.
  const char *name() const;
  /// The text after "loop not parallelized: ", with the location of the
  /// offending instruction appended where it has one.
  std::string message() const;
  const llvm::Instruction *at() const { return At; }

private:
  Kind K;
  std::string Message;
  const llvm::Instruction *At;
};

using Reason = std::shared_ptr<RejectReason>;

Reason reject(RejectReason::Kind K, std::string Message,
              const llvm::Instruction *At = nullptr);

/// "app.c:14:5", or "" when \p I has no location.
std::string locationOf(const llvm::Instruction *I);

/// A name the user knows for \p V: the variable's name from debug info or
/// the IR, the global's name, "parameter #N", or "a value".
std::string nameOf(const llvm::Value *V);

} // namespace pydron

#endif
