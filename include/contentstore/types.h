// Value types the store hands out: what a committed blob is (Info), what an
// upload in progress is (IngestStatus), and how a writer is asked for
// (WriterOptions).
//
// Times are nanoseconds since the Unix epoch, UTC, as the catalog keeps them.
//
// Thread-safety: plain values.

#ifndef CONTENTSTORE_TYPES_H_
#define CONTENTSTORE_TYPES_H_

#include <chrono>
#include <cstdint>
#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "contentstore/digest.h"

namespace contentstore {

using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::nanoseconds>;

// Label key -> value. Keys are non-empty; key and value together are at most
// 4096 bytes; an empty value is never stored (setting one deletes the key).
using Labels = std::map<std::string, std::string>;

// A committed blob.
struct Info {
  Digest digest = Digest::OfEmpty();
  int64_t size = 0;
  Timestamp created_at{};  // commit time
  Timestamp updated_at{};  // commit time, then time of the last label update
  Labels labels;
};

// An ingest (upload in progress) under a ref.
struct IngestStatus {
  std::string ref;
  int64_t offset = 0;                // bytes written so far
  std::optional<int64_t> total;      // expected size, when the writer was told
  std::optional<Digest> expected;    // expected digest, when the writer was told
  Timestamp started_at{};
  Timestamp updated_at{};
};

// What Store::writer() opens.
struct WriterOptions {
  // The ingest's name; required. Any bytes but control characters, at most
  // 1024 of them. Reopening a ref whose earlier writer was closed or died
  // resumes where it stopped.
  std::string ref;
  // Expected size of the blob; commit() refuses any other size. A resumed
  // ingest whose stored size differs is started over.
  std::optional<int64_t> total;
  // Expected digest. If it is already committed, writer() says AlreadyExists
  // at once; commit() refuses any other digest. It also chooses the hash
  // algorithm. A resumed ingest whose stored expected digest differs is
  // started over.
  std::optional<Digest> expected;
  // Hash algorithm when no expected digest is given. Default: the resumed
  // ingest's algorithm, else sha256. A resumed ingest hashed with another
  // algorithm is started over.
  std::optional<Algorithm> algorithm;
  // A lease to hold the ingest, and the blob once committed (also when the
  // commit finds the blob already there). NotFound if it does not exist. If
  // the lease is deleted while the writer runs, the commit still succeeds.
  std::optional<std::string> lease;
};

// What Writer::commit() checks and records.
struct CommitOptions {
  // The blob's size; commit() refuses any other. Unset: the size given to
  // writer() as WriterOptions::total, if any, else unchecked. Negative is
  // InvalidArgument.
  std::optional<int64_t> size;
  // The blob's digest; commit() refuses any other. Unset: the digest given
  // to writer() as WriterOptions::expected, if any, else unchecked.
  std::optional<Digest> expected;
  // Set on the new blob (an empty value sets nothing).
  Labels labels;
  // When the content is committed already (commit() says AlreadyExists),
  // also set `labels` on that blob (other labels stay), in the transaction
  // that finds it: a caller that wants the bytes stored with these labels
  // then never races a removal of the blob between two calls. containerd
  // leaves an existing blob's labels alone. Default: false.
  bool label_existing = false;
};

// One blob for Store::put_blobs.
struct BlobInput {
  std::span<const std::byte> bytes;
  // Checked like commit()'s expected digest (and chooses no algorithm: the
  // batch has one).
  std::optional<Digest> expected;
  Labels labels;
};

struct PutOptions {
  // Default: sha256.
  Algorithm algorithm = Algorithm::kSHA256;
  // A lease to hold every blob of the batch (also those already committed).
  // NotFound if it does not exist.
  std::optional<std::string> lease;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_TYPES_H_
