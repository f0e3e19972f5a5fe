// Reader: positional reads of one committed blob.
//
// A Reader holds the blob's file open, so it keeps reading the same bytes even
// if the blob is removed meanwhile.
//
// Thread-safety: read_at() may be called from several threads at once.

#ifndef CONTENTSTORE_READER_H_
#define CONTENTSTORE_READER_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "contentstore/status.h"

namespace contentstore {

class Reader {
 public:
  Reader() = default;
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  virtual ~Reader() = default;

  // The blob's size in bytes.
  virtual int64_t size() const = 0;

  // Reads up to buf.size() bytes starting at `offset` and returns how many
  // were read. Fewer than asked means the end of the blob was reached; 0 means
  // `offset` is at or past the end. A negative offset is InvalidArgument.
  virtual Result<size_t> read_at(int64_t offset, std::span<std::byte> buf) const = 0;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_READER_H_
