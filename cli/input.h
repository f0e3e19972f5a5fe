// The bytes `ingest` reads: a named file or standard input. A resumed ingest
// already holds the first K bytes, so the input must skip exactly those:
// seeking when it is a regular file (instant, even for gigabytes), reading
// and dropping them from a pipe or terminal, which cannot seek.
//
// Thread-safety: one thread.

#ifndef CONTENTSTORE_CLI_INPUT_H_
#define CONTENTSTORE_CLI_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "contentstore/status.h"

namespace contentstore::cli {

class Input {
 public:
  // `path` empty or "-" is standard input. IOError (naming the file) when it
  // cannot be opened; a directory is InvalidArgument.
  static Result<Input> Open(const std::string& path);

  Input(Input&& other) noexcept;
  Input& operator=(Input&&) = delete;
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;
  ~Input();

  // "standard input" or the path, for messages.
  const std::string& name() const { return name_; }

  // Fills `buf` as far as the input allows; fewer bytes than asked means the
  // end was reached, 0 that it had been already. Retries on EINTR.
  Result<size_t> Read(std::span<std::byte> buf);

  // Moves past the next `count` bytes. FailedPrecondition when the input
  // ends first (it cannot be the data the ingest holds). `scratch` is the
  // buffer a pipe is drained through.
  Status Skip(int64_t count, std::span<std::byte> scratch);

 private:
  Input(int fd, bool owned, std::string name) : fd_(fd), owned_(owned), name_(std::move(name)) {}

  int fd_;
  bool owned_;  // close fd_ when done (not standard input)
  std::string name_;
};

}  // namespace contentstore::cli

#endif  // CONTENTSTORE_CLI_INPUT_H_
