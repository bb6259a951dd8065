#pragma once
// One error model for the whole project (Pigweed's pw_status, trimmed):
// a small set of canonical codes plus a static message that says what went
// wrong. Messages are string literals or Reasons, so a Status is two words
// and never allocates.
//
// Reasons make an error matchable. A reason is a named message: a char
// array constant defined once in a layer's public header (`inline
// constexpr`, so it has one address in the whole program). A Status made
// from it points at that array, and Status::Is(reason) compares the address,
// not the words: callers and tests match on the name, and the message stays
// for humans. Two reasons with the same words are still two reasons (a bare
// literal with a reason's words may fold into it: compilers may merge it).
//
//   inline constexpr char kUsedLengthTooLong[] = "used length exceeds the buffer";
//   return DataLoss(kUsedLengthTooLong);
//   ...
//   if (status.Is(kUsedLengthTooLong)) ...
//
// Plain char arrays rather than a class type on purpose: GCC 12 moves a
// class-type constant whose reference is bound at run time (a converting
// call, a `const T&` parameter) from .rodata to .data, which on a
// microcontroller is RAM, copied from flash at boot, for every reason.

#include <cstddef>
#include <cstdint>

namespace tandem {

enum class StatusCode : std::uint8_t {
  kOk = 0,
  kInvalidArgument,     // caller passed something that can never work
  kOutOfRange,          // an offset/index/length outside its bounds
  kDataLoss,            // the peer (or a file) broke the protocol; data is corrupt
  kUnavailable,         // transient: no buffer free, peer not ready; retry later
  kDeadlineExceeded,    // a timeout expired
  kFailedPrecondition,  // operation illegal in the current state
  kResourceExhausted,   // a fixed pool/capacity is full
  kNotFound,
  kAlreadyExists,
  kUnimplemented,
  kAborted,   // the peer went away / the link was torn down
  kInternal,  // our own bug; should not happen
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  constexpr Status() = default;
  constexpr Status(StatusCode code, const char* message = "") : code_(code), message_(message) {}

  static constexpr Status Ok() { return Status(); }

  constexpr bool ok() const { return code_ == StatusCode::kOk; }
  constexpr StatusCode code() const { return code_; }
  constexpr const char* message() const { return message_; }
  // True iff this status was made from `reason` (the very constant, not an
  // equal text).
  template <std::size_t N>
  constexpr bool Is(const char (&reason)[N]) const {
    return message_ == reason;
  }

  // Spell out a deliberate drop of an error (Pigweed's IgnoreError()).
  constexpr void IgnoreError() const {}

  friend constexpr bool operator==(const Status& a, const Status& b) { return a.code_ == b.code_; }
  friend constexpr bool operator==(const Status& a, StatusCode c) { return a.code_ == c; }

 private:
  StatusCode code_ = StatusCode::kOk;
  const char* message_ = "";
};

constexpr Status OkStatus() { return Status(); }
constexpr Status InvalidArgument(const char* m) { return Status(StatusCode::kInvalidArgument, m); }
constexpr Status OutOfRange(const char* m) { return Status(StatusCode::kOutOfRange, m); }
constexpr Status DataLoss(const char* m) { return Status(StatusCode::kDataLoss, m); }
constexpr Status Unavailable(const char* m) { return Status(StatusCode::kUnavailable, m); }
constexpr Status DeadlineExceeded(const char* m) {
  return Status(StatusCode::kDeadlineExceeded, m);
}
constexpr Status FailedPrecondition(const char* m) {
  return Status(StatusCode::kFailedPrecondition, m);
}
constexpr Status ResourceExhausted(const char* m) {
  return Status(StatusCode::kResourceExhausted, m);
}
constexpr Status NotFound(const char* m) { return Status(StatusCode::kNotFound, m); }
constexpr Status AlreadyExists(const char* m) { return Status(StatusCode::kAlreadyExists, m); }
constexpr Status Unimplemented(const char* m) { return Status(StatusCode::kUnimplemented, m); }
constexpr Status Aborted(const char* m) { return Status(StatusCode::kAborted, m); }
constexpr Status Internal(const char* m) { return Status(StatusCode::kInternal, m); }

}  // namespace tandem

// Evaluate an expression yielding Status (or Result<T>); return its status
// from the enclosing function when it is not ok.
#define TANDEM_TRY(expr)                                                                \
  do {                                                                                  \
    if (auto tandem_try_status_ = ::tandem::ToStatus(expr); !tandem_try_status_.ok()) { \
      return tandem_try_status_;                                                        \
    }                                                                                   \
  } while (0)

#define TANDEM_CONCAT_INNER_(a, b) a##b
#define TANDEM_CONCAT_(a, b) TANDEM_CONCAT_INNER_(a, b)

// `TANDEM_TRY_ASSIGN(auto x, Function());` declares/assigns the value of a
// Result<T> or returns its error status.
#define TANDEM_TRY_ASSIGN(lhs, expr) \
  TANDEM_TRY_ASSIGN_IMPL_(TANDEM_CONCAT_(tandem_result_, __LINE__), lhs, expr)
#define TANDEM_TRY_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                            \
  if (!tmp.ok()) return tmp.status();           \
  lhs = std::move(tmp).value()

namespace tandem {
constexpr Status ToStatus(const Status& s) { return s; }
}  // namespace tandem
