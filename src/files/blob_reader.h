// BlobReader: the Reader behind Store::reader(), positional reads (pread) of
// one committed blob file.
//
// Thread-safety: read_at() is safe from several threads (pread has no shared
// file position).

#ifndef CONTENTSTORE_SRC_BLOB_READER_H_
#define CONTENTSTORE_SRC_BLOB_READER_H_

#include <string>

#include "contentstore/reader.h"
#include "contentstore/env.h"
#include "env/unique_fd.h"

namespace contentstore {

class BlobReader final : public Reader {
 public:
  BlobReader(Env& env, UniqueFd fd, std::string path, int64_t size)
      : env_(env), fd_(std::move(fd)), path_(std::move(path)), size_(size) {}

  int64_t size() const override { return size_; }
  Result<size_t> read_at(int64_t offset, std::span<std::byte> buf) const override;

 private:
  Env& env_;
  UniqueFd fd_;
  std::string path_;
  int64_t size_;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_BLOB_READER_H_
