#pragma once
// Result<T>: a value or a non-ok Status (Pigweed's pw::Result). Works with
// move-only T; no exceptions: value() on an error is a programming bug and
// traps.

#include <new>
#include <type_traits>
#include <utility>

#include "tandem/base/assert.h"
#include "tandem/base/status.h"

namespace tandem {

template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");

 public:
  // Implicit from a value or a (non-ok) status, so `return value;` and
  // `return DataLoss("...");` both work.
  Result(const T& value) : status_() { new (&storage_) T(value); }
  Result(T&& value) : status_() { new (&storage_) T(std::move(value)); }
  Result(Status status) : status_(status) {
    TANDEM_ASSERT(!status.ok() && "Result constructed from an ok Status without a value");
  }
  Result(StatusCode code) : Result(Status(code)) {}

  Result(const Result& other) : status_(other.status_) {
    if (ok()) new (&storage_) T(*other.ptr());
  }
  Result(Result&& other) noexcept : status_(other.status_) {
    if (ok()) new (&storage_) T(std::move(*other.ptr()));
  }
  Result& operator=(const Result& other) {
    if (this != &other) {
      Reset();
      status_ = other.status_;
      if (ok()) new (&storage_) T(*other.ptr());
    }
    return *this;
  }
  Result& operator=(Result&& other) noexcept {
    if (this != &other) {
      Reset();
      status_ = other.status_;
      if (ok()) new (&storage_) T(std::move(*other.ptr()));
    }
    return *this;
  }
  ~Result() { Reset(); }

  bool ok() const { return status_.ok(); }
  Status status() const { return status_; }

  T& value() & {
    TANDEM_ASSERT(ok());
    return *ptr();
  }
  const T& value() const& {
    TANDEM_ASSERT(ok());
    return *ptr();
  }
  T&& value() && {
    TANDEM_ASSERT(ok());
    return std::move(*ptr());
  }
  T value_or(T fallback) const& { return ok() ? *ptr() : fallback; }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  T* ptr() { return std::launder(reinterpret_cast<T*>(&storage_)); }
  const T* ptr() const { return std::launder(reinterpret_cast<const T*>(&storage_)); }
  void Reset() {
    if (ok()) ptr()->~T();
    status_ = Status(StatusCode::kInternal);
  }

  Status status_;
  alignas(T) unsigned char storage_[sizeof(T)];
};

template <typename T>
constexpr Status ToStatus(const Result<T>& r) {
  return r.status();
}

}  // namespace tandem
