// IngestUploads: a blob tier whose ingests go to it while they are written
// (an object store's multipart uploads), so that a writer on another
// machine sharing the catalog resumes an ingest without the bytes being
// sent again. BlobTier::ingest_uploads() is null for a tier whose ingests
// stay local (LocalBlobFiles).
//
// The writer (store/ingest_writer.h) owns the protocol; the catalog row is
// the truth about which parts hold which bytes:
//   - Start is recorded in the ingest's row before any part is sent, so an
//     upload the catalog does not name is a crash's leftover (ListUploads);
//   - each part is a run of the local data file between two checkpoints,
//     recorded with the hash state at its end, in the checkpoint's
//     transaction; only then may its local bytes be dropped;
//   - commit sends the rest as the last part, records it, then Publish;
//     the blob's row is written in the catalog transaction that re-checks
//     the blob (BlobTier::Holds), and Discard comes after.
//
// Thread-safety: implementations are thread-safe.

#ifndef CONTENTSTORE_SRC_FILES_INGEST_UPLOADS_H_
#define CONTENTSTORE_SRC_FILES_INGEST_UPLOADS_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "contentstore/digest.h"
#include "contentstore/status.h"
#include "files/blob_tier.h"

namespace contentstore {

struct UploadedPart {
  int number = 0;  // 1..10000, in order
  int64_t size = 0;
  std::string etag;
};

class IngestUploads {
 public:
  virtual ~IngestUploads() = default;

  // Every part but the last holds at least this many bytes.
  virtual int64_t min_part_bytes() const = 0;

  // Starts the upload of ingest `id` (Layout::IngestId); returns its id.
  virtual Result<std::string> Start(const std::string& id) = 0;
  // Sends `size` bytes of `fd` from `offset` as part `number` (replacing a
  // part of that number sent before); returns the part's ETag. NotFound when
  // the upload is gone (discarded, or assembled by a commit that died).
  virtual Result<std::string> PutPart(const std::string& id, const std::string& upload_id,
                                      int number, int fd, int64_t offset, int64_t size,
                                      const std::string& path) = 0;
  // The numbers of the parts the tier holds: a part sent but never recorded
  // (its writer died in between) shows here and not in the row.
  virtual Result<std::vector<int>> PartNumbers(const std::string& id,
                                               const std::string& upload_id) = 0;
  // Assembles the upload from `parts` (again is fine) and puts it in place
  // as blob `digest` of `size` bytes: kExisting when a complete blob was
  // there already, else kLinked (the assembled upload stays until Discard,
  // so a commit whose blob vanished before its row can publish again).
  // DataLoss when the assembled upload is not `size` bytes.
  virtual Result<BlobTier::Published> Publish(const Digest& digest, int64_t size,
                                              const std::string& id,
                                              const std::string& upload_id,
                                              std::span<const UploadedPart> parts) = 0;
  // Removes the upload and anything assembled from it. Missing is fine.
  virtual Status Discard(const std::string& id, const std::string& upload_id) = 0;

  struct StartedUpload {
    std::string id, upload_id;
    int64_t started_ns = 0;
  };
  // Every upload of every ingest the tier holds.
  virtual Result<std::vector<StartedUpload>> ListUploads() = 0;
  // Where ingest `id`'s upload lives, for messages.
  virtual std::string WhereUpload(const std::string& id) const = 0;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_FILES_INGEST_UPLOADS_H_
