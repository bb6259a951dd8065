#pragma once
// UniqueFd: the one owner of a file descriptor; closes it on destruction.
// Move-only, like std::unique_ptr: every fd the Linux platform opens lives
// in one, so no error path can leak it and none can close it twice.
//
//   UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
//   if (!fd.valid()) return NotFound("...");
//   read(fd.get(), ...);  // closed when `fd` goes out of scope
//
// Not thread-safe: one owner, like any value.

#include <utility>

namespace tandem::linux_platform {

class UniqueFd {
 public:
  UniqueFd() = default;
  // Takes ownership of `fd`; a negative value means "none".
  explicit UniqueFd(int fd) noexcept : fd_(fd < 0 ? -1 : fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  bool valid() const { return fd_ >= 0; }
  int get() const { return fd_; }  // -1 if none

  // Gives up ownership without closing; the caller closes what it gets.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  // Closes the fd held (if any) and takes `fd` instead.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

}  // namespace tandem::linux_platform
