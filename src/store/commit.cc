// The commit protocol: how an ingest becomes a blob without a crash at any
// point losing it or leaving half of it visible.
//
//   1. check size, then digest (FailedPrecondition; the ingest stays)
//   2. fdatasync the data; make it read-only (0444)
//   3. mark the ingest directory with "<alg>/<hex>" (files/commit_marker.h)
//   4. publish the data into the blob tier (rename ingest/<id>/data to
//      blobs/<alg>/<hex>), never replacing a blob that is already there
//      with the right size
//   5. make the publication durable (fsync blobs/<alg>; containerd 1.6
//      skipped this: containerd#10457)
//   6. one catalog transaction, durable: check the blob file is (still)
//      there, insert the blob row and its labels, delete the ingest row,
//      move the ingest's leases to the blob
//   7. remove the ingest directory (and the marker with it)
//
// A crash before 4 leaves a resumable ingest. Between 4 and 6 the marker tells
// recovery (recovery.h) which blob file to put back. After 6 the blob is
// committed and only an empty ingest directory without a row may remain.
//
// Step 6 re-checks the file because it may vanish between 4 and 6: the file
// reaper (file_reaper.h) takes the file of a digest that has no row, and
// during that window ours has none yet. The reaper checks "no row" inside its
// own transaction, so either it ran first (we see the file gone and put it
// back) or we did (it sees our row and leaves the file alone).

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <vector>

#include "catalog/blob_rows.h"
#include "catalog/ingest_rows.h"
#include "catalog/lease_rows.h"
#include "contentstore/validate.h"
#include "env/crash_point.h"
#include "files/commit_marker.h"
#include "files/layout.h"
#include "store/ingest_writer.h"
#include "store/recovery.h"
#include "util/text.h"

namespace contentstore {

Status IngestWriter::commit(const CommitOptions& options) {
  if (Status s = CheckOpen(); !s.ok()) return s;
  Status s = CommitInternal(options);
  if (state_ == State::kOpen) {
    if (marker_written_) {
      // Publishing failed half way (an I/O error after the marker): undo it
      // now, while we hold the ref. If even that fails, leave the row locked
      // so the next Store::Open finishes the job (recovery.h).
      auto undone = RecoverIngestDir(ctx_, ref_, id_, dir_fd_.get());
      if (!undone.ok() || *undone == IngestRecovery::kRemoved) {
        state_ = State::kClosed;
        data_.reset();
        ReleaseRef();
        return s;
      }
      (void)ctx_.env.ChangeMode(data_->fd(), 0644, data_file_.path);
    }
    // Commit always closes the writer (containerd's contract); on a mismatch
    // the bytes stay for a retry or an abort.
    (void)close();
  }
  return s;
}

Result<Digest> IngestWriter::CheckExpectations(const CommitOptions& options,
                                               const std::string& what) {
  const int64_t written = hasher_.bytes();
  // Size before digest, as containerd. A size or digest given to writer() binds
  // the commit too, unless the commit names its own.
  const std::optional<int64_t> want_size = options.size ? options.size : total_;
  if (want_size && *want_size != written) {
    return Status::FailedPrecondition(fmt::format(
        "{}: unexpected size: {} bytes written, expected {}", what, written, *want_size));
  }
  Digest digest = hasher_.digest();
  const std::optional<Digest>& want_digest = options.expected ? options.expected : expected_;
  if (want_digest && want_digest->algorithm() != digest.algorithm()) {
    return Status::FailedPrecondition(fmt::format(
        "{}: expected digest {} uses {}, but the ingest was hashed with {}", what,
        want_digest->str(), AlgorithmName(want_digest->algorithm()),
        AlgorithmName(digest.algorithm())));
  }
  if (want_digest && *want_digest != digest) {
    return Status::FailedPrecondition(fmt::format(
        "{}: unexpected digest: the bytes written hash to {}, expected {}", what, digest.str(),
        want_digest->str()));
  }
  return digest;
}

Status IngestWriter::CommitInternal(const CommitOptions& options) {
  const std::string what = fmt::format("commit of ref \"{}\"", Printable(ref_));
  if (options.size && *options.size < 0) {
    return Status::InvalidArgument(fmt::format("{}: size {} is negative", what, *options.size));
  }
  if (Status s = ValidateLabels(options.labels); !s.ok()) return s.WithContext(what);
  // 1.
  auto digest = CheckExpectations(options, what);
  if (!digest.ok()) return digest.status();

  bool exists = false;
  Status s = ctx_.catalog.Read([&](catalog::Transaction& tx) {
    exists = catalog::BlobRows(tx).Exists(digest->str());
    return Status::OK();
  });
  if (!s.ok()) return s;
  if (exists) {
    bool gone = false;
    if (Status r = RemoveIngest(options, &gone); !r.ok()) return r;
    if (!gone) {
      return Status::AlreadyExists(
          fmt::format("{}: blob {} already exists", what, digest->str()));
    }
    // Removed between our look and our transaction: our bytes are still
    // here, so they become the blob after all.
  }
  return Publish(*digest, options).WithContext(what);
}

Status IngestWriter::SealData(const Digest& digest) {
  if (Status s = data_->Sync(); !s.ok()) return s;
  if (Status s = ctx_.env.ChangeMode(data_->fd(), 0444, data_file_.path); !s.ok()) return s;
  test_hooks::CrashPoint("commit.before_marker");
  if (Status s = WriteCommitMarker(ctx_.env, dir_fd_.get(), dir_path_,
                                   CommitMarkerValue(Layout::BlobRelativePath(digest), id_));
      !s.ok()) {
    (void)ctx_.env.ChangeMode(data_->fd(), 0644, data_file_.path);
    return s;
  }
  marker_written_ = true;
  test_hooks::CrashPoint("commit.after_marker");
  return Status::OK();
}

Status IngestWriter::RecordCommit(const Digest& digest, const CommitOptions& options,
                                  int64_t size, bool* vanished, bool* already_exists) {
  const int64_t now = ctx_.env.NowNanos();
  const std::string name = digest.str();
  return ctx_.catalog.Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) -> Status {
    auto present = ctx_.blobs.Holds(digest, size);
    if (!present.ok() || !*present) {
      *vanished = true;
      return Status::Unavailable("blob file vanished before its row was written");
    }
    catalog::BlobRows blobs(tx);
    *already_exists = !blobs.Insert(name, size, now);
    if (!*already_exists || options.label_existing) blobs.SetLabels(name, options.labels);
    if (*already_exists && options.label_existing && !options.labels.empty()) {
      blobs.Touch(name, now);
    }
    catalog::IngestRows(tx).DeleteOwned(ref_, token_);
    catalog::LeaseRows(tx).MoveIngestToBlob(ref_, name);
    return Status::OK();
  });
}

Status IngestWriter::Publish(const Digest& digest, const CommitOptions& options) {
  const int64_t size = hasher_.bytes();
  // 2, 3.
  if (Status s = SealData(digest); !s.ok()) return s;
  if (uploads_ != nullptr && upload_id_) return PublishParts(digest, options);

  bool moved = false;  // our data file is now the blob file
  bool already_exists = false;
  for (int attempt = 0;; ++attempt) {
    if (attempt == 5) {
      return Status::Unavailable(fmt::format(
          "blob file {} keeps disappearing while committing (concurrent deletions?)",
          ctx_.blobs.Where(digest)));
    }
    // 4.
    if (!moved) {
      auto published = ctx_.blobs.Publish(digest, size, data_file_, BlobTier::Mode::kMove);
      if (!published.ok()) return published.status();  // commit() undoes the marker
      moved = *published == BlobTier::Published::kMoved;
    }
    test_hooks::CrashPoint("commit.after_rename");
    // 5.
    if (Status r = ctx_.blobs.SyncPublished(digest.algorithm()); !r.ok()) {
      return r;  // commit() puts the file back
    }
    test_hooks::CrashPoint("commit.after_dir_sync");
    // 6.
    bool vanished = false;
    Status t = RecordCommit(digest, options, size, &vanished, &already_exists);
    if (t.ok()) break;
    if (!vanished) return t;  // commit() puts the file back
    if (moved) {
      // Our file was the one taken; the descriptor still reads it.
      if (Status r = RestoreDataFromFd(); !r.ok()) return r;
      moved = false;
    }
  }
  test_hooks::CrashPoint("commit.after_catalog");
  // 7.
  FinishCommitted(digest);
  if (already_exists) {
    return Status::AlreadyExists(fmt::format("blob {} already exists", digest.str()));
  }
  return Status::OK();
}

// An ingest with an upload (ingest_writer.h): the rest goes as the last part,
// recorded (with the final hash state) before the tier assembles the upload,
// so that from then on a writer on any node finds every byte in the parts
// and only has to commit again. Steps 4 and 5 are the tier's Publish
// (assemble, then a server-side copy to the blob's key); 6 as above, and if
// the blob vanished before its row, Publish copies again from the assembled
// upload, which stays until the row is durable.
Status IngestWriter::PublishParts(const Digest& digest, const CommitOptions& options) {
  const int64_t size = hasher_.bytes();
  // The rest, if any (everything when no part went yet, even nothing).
  auto last = SendPart(size, parts_.empty() ? 0 : 1);
  if (!last.ok()) return last.status();
  std::optional<UploadedPart> part = *last;
  if (!part) {
    // Nothing after the last part. A part sent but never recorded (its
    // writer died between the two) would make the tier refuse the list:
    // an empty last part replaces it.
    // (NotFound: a commit that died assembled it already.)
    auto numbers = uploads_->PartNumbers(id_, *upload_id_);
    if (!numbers.ok() && !numbers.status().IsNotFound()) return numbers.status();
    if (numbers.ok() && !numbers->empty() && numbers->back() > static_cast<int>(parts_.size())) {
      auto empty = SendPart(size, 0);
      if (!empty.ok()) return empty.status();
      part = *empty;
    }
  }
  if (part) {
    const std::string state = hasher_.save();
    Status s = ctx_.catalog.Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) -> Status {
      catalog::IngestRows ingests(tx);
      if (!ingests.Checkpoint(ref_, token_, size, state, updated_at_)) {
        return Status::FailedPrecondition(
            fmt::format("ingest \"{}\" was removed while its writer was open", Printable(ref_)));
      }
      ingests.AddPart(ref_, token_, {part->number, part->size, part->etag}, size, state);
      return Status::OK();
    });
    if (!s.ok()) return s;
    PartRecorded(*part, size);
  }
  test_hooks::CrashPoint("commit.after_last_part");
  bool already_exists = false;
  for (int attempt = 0;; ++attempt) {
    if (attempt == 5) {
      return Status::Unavailable(fmt::format(
          "blob {} keeps disappearing while committing (concurrent deletions?)",
          ctx_.blobs.Where(digest)));
    }
    auto published = uploads_->Publish(digest, size, id_, *upload_id_, parts_);
    if (!published.ok()) return published.status();
    test_hooks::CrashPoint("commit.after_rename");
    bool vanished = false;
    Status t = RecordCommit(digest, options, size, &vanished, &already_exists);
    if (t.ok()) break;
    if (!vanished) return t;
  }
  test_hooks::CrashPoint("commit.after_catalog");
  FinishCommitted(digest);
  if (already_exists) {
    return Status::AlreadyExists(fmt::format("blob {} already exists", digest.str()));
  }
  return Status::OK();
}

void IngestWriter::FinishCommitted(const Digest& digest) {
  marker_written_ = false;
  state_ = State::kCommitted;
  committed_ = digest;
  // Retiring the directory unlinks the data file where it is still there
  // (copied or linked to the blob rather than moved).
  ctx_.dirs.Retire(id_, std::move(dir_fd_));
  data_.reset();
  part_fd_.reset();
  // The row is gone: its upload (and what was assembled from it) too. A
  // failure leaves a leftover for the collector.
  if (upload_id_) {
    std::lock_guard lock(upload_mu_);
    DiscardUpload();
  }
  ReleaseRef();
}

// Copies the (unlinked) data file back to ingest/<id>/data, durably.
Status IngestWriter::RestoreDataFromFd() {
  auto fresh = OpenAt(ctx_.env, dir_fd_.get(), data_file_.name, O_RDWR | O_CREAT | O_TRUNC, 0644,
                      data_file_.path);
  if (!fresh.ok()) return fresh.status();
  std::vector<char> buf(1 << 20);
  for (int64_t off = 0; off < hasher_.bytes();) {
    auto got = ctx_.env.ReadAt(data_->fd(), buf.data(), buf.size(), off, data_file_.path);
    if (!got.ok()) return got.status();
    if (*got == 0) {
      return Status::DataLoss(fmt::format("{} shrank while committing", data_file_.path));
    }
    if (Status s = ctx_.env.WriteAt(fresh->get(), buf.data(), *got, off, data_file_.path);
        !s.ok()) {
      return s;
    }
    off += static_cast<int64_t>(*got);
  }
  if (ctx_.options.sync) {
    if (Status s = ctx_.env.SyncData(fresh->get(), data_file_.path); !s.ok()) return s;
  }
  if (Status s = ctx_.env.ChangeMode(fresh->get(), 0444, data_file_.path); !s.ok()) return s;
  data_ = MakeDataFile(std::move(*fresh));
  return Status::OK();
}

// The ingest's content is already committed: delete the row (durably, before
// the files, so no checkpoint can outlive its bytes) and the directory; its
// leases now hold the blob. All in the transaction that sees the blob, so it
// cannot be removed between that look and the caller's next step.
Status IngestWriter::RemoveIngest(const CommitOptions& options, bool* gone) {
  const std::string digest = hasher_.digest().str();
  Status s = ctx_.catalog.Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) {
    catalog::BlobRows blobs(tx);
    if (!blobs.Exists(digest)) {
      *gone = true;
      return Status::OK();
    }
    if (options.label_existing && !options.labels.empty()) {
      blobs.SetLabels(digest, options.labels);
      blobs.Touch(digest, ctx_.env.NowNanos());
    }
    catalog::IngestRows(tx).DeleteOwned(ref_, token_);
    catalog::LeaseRows(tx).MoveIngestToBlob(ref_, digest);
    return Status::OK();
  });
  if (!s.ok() || *gone) return s;
  FinishCommitted(hasher_.digest());
  return Status::OK();
}

}  // namespace contentstore
