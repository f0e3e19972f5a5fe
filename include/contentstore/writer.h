// Writer: appends bytes to one ingest (an upload under a ref) and commits it
// as a blob.
//
// A Writer holds its ref's lock for as long as it is open: no other writer,
// in this process or another, can open the ref until this one is committed,
// closed or destroyed, or its process dies. Destroying an uncommitted Writer
// is close(): the bytes stay for a later writer to resume.
//
// Thread-safety: a Writer is used by one thread at a time.

#ifndef CONTENTSTORE_WRITER_H_
#define CONTENTSTORE_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "contentstore/digest.h"
#include "contentstore/status.h"
#include "contentstore/types.h"

namespace contentstore {

class Writer {
 public:
  Writer() = default;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  virtual ~Writer() = default;

  // Appends `data` at the current offset. On an I/O error the offset and
  // digest stay what they were before the call. Past 8 MiB, an ingest
  // writes through staging buffers: up to 16 MiB that write() accepted may
  // still be in this process, and a process killed before close() or
  // commit() loses it (the ingest then resumes where its file ends).
  // REQUIRES: not committed or closed (else FailedPrecondition).
  virtual Status write(std::span<const std::byte> data) = 0;
  Status write(std::string_view data) {
    return write(std::as_bytes(std::span<const char>(data.data(), data.size())));
  }

  // The digest of the bytes written so far; after commit(), the committed
  // digest.
  virtual Digest digest() const = 0;

  // The ingest as this writer sees it: exact offset, times.
  virtual IngestStatus status() const = 0;

  // Only truncate(0) is supported: it drops everything written and starts
  // the hash over. Any other size is InvalidArgument.
  virtual Status truncate(int64_t size) = 0;

  // Makes the bytes written so far the blob named by their digest.
  //  - options.size, else WriterOptions::total, must equal the bytes
  //    written (else FailedPrecondition).
  //  - options.expected, else WriterOptions::expected, must equal the
  //    digest (else FailedPrecondition). Size is checked before digest.
  //  - options.labels are set on the new blob.
  // On a mismatch the ingest stays, to be resumed or aborted. If the content
  // is already committed the result is AlreadyExists and the ingest is
  // removed. Whatever the result, the writer is closed afterwards: a second
  // commit() is FailedPrecondition.
  virtual Status commit(const CommitOptions& options) = 0;

  // containerd's Commit(size, expected, labels): a `size` of 0 checks
  // nothing (containerd's convention); negative is InvalidArgument.
  // Otherwise as commit(CommitOptions).
  Status commit(int64_t size, const std::optional<Digest>& expected, const Labels& labels = {}) {
    CommitOptions options;
    if (size != 0) options.size = size;
    options.expected = expected;
    options.labels = labels;
    return commit(options);
  }

  // Saves the offset and hash state, and releases the ref. The bytes stay.
  // Closing twice, or after commit(), is OK.
  virtual Status close() = 0;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_WRITER_H_
