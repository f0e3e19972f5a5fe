// Status and Result: how every contentstore call reports failure.
//
// A Status is OK or carries a Code and a message that names the digest, ref
// or path involved and the cause. The command line turns codes into exit
// codes (0 ok, 2 InvalidArgument, 3 NotFound, 4 AlreadyExists, 5 Unavailable,
// 6 FailedPrecondition, 7 DataLoss; IOError and Internal share 1), so scripts
// can branch on them. The library never throws; every fallible call returns a
// Status or a Result<T>.
//
// Thread-safety: Status and Result are values; distinct objects may be used
// from distinct threads freely, a single object needs external locking.

#ifndef CONTENTSTORE_STATUS_H_
#define CONTENTSTORE_STATUS_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace contentstore {

enum class Code : int {
  kOk = 0,
  // The caller passed something malformed: a digest, ref, label, filter, size.
  kInvalidArgument,
  // The blob, ingest or lease does not exist.
  kNotFound,
  // The thing to create is already there (a committed blob, a lease id).
  kAlreadyExists,
  // Try again later: the ref is held by a live writer.
  kUnavailable,
  // The state does not allow the call: size or digest mismatch at commit,
  // a writer that is already closed. Do not retry without changing something.
  kFailedPrecondition,
  // Stored bytes or metadata are damaged: a blob whose bytes do not match its
  // digest, a catalog row whose file is missing, a catalog that is corrupt.
  kDataLoss,
  // The operating system refused: I/O error, permissions, disk full.
  kIOError,
  // A bug or an unexpected state inside the library.
  kInternal,
};

// The name of a code as it appears in messages: "NotFound", "IOError", ...
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  // OK. Cheap: no allocation.
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {Code::kAlreadyExists, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) {
    return {Code::kFailedPrecondition, std::move(msg)};
  }
  static Status DataLoss(std::string msg) { return {Code::kDataLoss, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  [[nodiscard]] bool ok() const { return code_ == Code::kOk; }
  [[nodiscard]] Code code() const { return code_; }
  [[nodiscard]] const std::string& message() const { return message_; }

  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsAlreadyExists() const { return code_ == Code::kAlreadyExists; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsFailedPrecondition() const { return code_ == Code::kFailedPrecondition; }
  bool IsDataLoss() const { return code_ == Code::kDataLoss; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsInternal() const { return code_ == Code::kInternal; }

  // "NotFound: blob sha256:...: not in the catalog"; "OK" when ok().
  std::string ToString() const;

  // The same code with "context: " put before the message.
  Status WithContext(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

namespace internal {
[[noreturn]] void DieWithStatus(const Status& status);
}  // namespace internal

// A value or the Status that explains why there is none.
// REQUIRES: a Result built from a Status holds a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Status::Internal("Result built from an OK status without a value");
  }

  [[nodiscard]] bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok(). Reaching for the value of an error aborts the process
  // with the error's message rather than reading garbage.
  T& value() & { return Checked(); }
  const T& value() const& { return Checked(); }
  T&& value() && { return std::move(Checked()); }
  T& operator*() & { return Checked(); }
  const T& operator*() const& { return Checked(); }
  T&& operator*() && { return std::move(Checked()); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &Checked(); }

 private:
  T& Checked() {
    if (!value_) internal::DieWithStatus(status_);
    return *value_;
  }
  const T& Checked() const {
    if (!value_) internal::DieWithStatus(status_);
    return *value_;
  }

  std::optional<T> value_;
  Status status_;  // OK when value_ is set
};

}  // namespace contentstore

#endif  // CONTENTSTORE_STATUS_H_
