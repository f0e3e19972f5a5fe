// The commit protocol: how an ingest becomes a blob without a crash at any
// point losing it or leaving half of it visible.
//
//   1. check size, then digest (FailedPrecondition; the ingest stays)
//   2. fdatasync the data; make it read-only (0444)
//   3. mark the ingest directory with "<alg>/<hex>" (commit_marker.h)
//   4. rename ingest/<id>/data to blobs/<alg>/<hex>, never replacing a file
//      that is already there with the right size
//   5. fsync blobs/<alg> (containerd 1.6 skipped this; containerd#10457)
//   6. one catalog transaction, durable: check the blob file is (still) there,
//      insert the blob row and its labels, delete the ingest row
//   7. remove the marker and the ingest directory
//
// A crash before 4 leaves a resumable ingest. Between 4 and 6 the marker tells
// recovery (recovery.cc) which blob file to put back. After 6 the blob is
// committed and only an empty ingest directory without a row may remain.
//
// Step 6 re-checks the file because it may vanish between 4 and 6: a flush of
// pending deletions (store_impl.cc) unlinks the file of a digest that has no
// row, and during that window ours has none yet. The flush checks "no row"
// inside its own transaction, so either it ran first (we see the file gone and
// put it back) or we did (it sees our row and leaves the file alone).

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <vector>

#include "util/clock.h"
#include "files/commit_marker.h"
#include "embedded_sql.h"
#include "store/ingest_writer.h"
#include "store/recovery.h"
#include "store/store_impl.h"
#include "env/test_hooks.h"
#include "util/text.h"
#include "contentstore/validate.h"

namespace contentstore {

Status IngestWriter::commit(const CommitOptions& options) {
  if (Status s = CheckOpen(); !s.ok()) return s;
  Status s = CommitInternal(options);
  if (state_ == State::kOpen) {
    if (marker_written_) {
      // Publishing failed half way (an I/O error after the marker): undo it
      // now, while we hold the ref. If even that fails, leave the row locked
      // so the next Store::Open finishes the job (recovery.cc).
      auto undone = RecoverIngestDir(store_, ref_, id_, dir_fd_.get());
      if (!undone.ok() || *undone == IngestRecovery::kRemoved) {
        state_ = State::kClosed;
        data_.reset();
        dir_fd_.reset();
        return s;
      }
      (void)posix::ChangeMode(data_->fd(), 0644, data_path_);
    }
    // Commit always closes the writer (containerd's contract); on a mismatch
    // the bytes stay for a retry or an abort.
    (void)close();
  }
  return s;
}

Status IngestWriter::CommitInternal(const CommitOptions& options) {
  const std::string what = fmt::format("commit of ref \"{}\"", Printable(ref_));
  if (options.size && *options.size < 0) {
    return Status::InvalidArgument(fmt::format("{}: size {} is negative", what, *options.size));
  }
  const Labels& labels = options.labels;
  if (Status s = ValidateLabels(labels); !s.ok()) return s.WithContext(what);

  const int64_t written = hasher_.bytes();
  // Size before digest, as containerd. A size or digest given to writer() binds
  // the commit too, unless the commit names its own.
  const std::optional<int64_t> want_size = options.size ? options.size : total_;
  if (want_size && *want_size != written) {
    return Status::FailedPrecondition(fmt::format(
        "{}: unexpected size: {} bytes written, expected {}", what, written, *want_size));
  }
  const Digest digest = hasher_.digest();
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

  bool exists = false;
  Status s = store_.catalog().Read([&](Session& session) {
    auto q = session.Prepare(sql::q::blob_size);
    q->bind(1, digest.str());
    exists = q->executeStep();
    return Status::OK();
  });
  if (!s.ok()) return s;
  if (exists) {
    if (Status r = RemoveIngest(); !r.ok()) return r;
    return Status::AlreadyExists(fmt::format("{}: blob {} already exists", what, digest.str()));
  }
  return Publish(digest, labels).WithContext(what);
}

Status IngestWriter::Publish(const Digest& digest, const Labels& labels) {
  auto blob_dir = store_.blob_dir_fd(digest.algorithm());
  if (!blob_dir.ok()) return blob_dir.status();
  const std::string& hex = digest.hex();
  const std::string blob_path = store_.layout().blob_path(digest);
  const int64_t size = hasher_.bytes();

  if (Status s = data_->Sync(); !s.ok()) return s;
  if (Status s = posix::ChangeMode(data_->fd(), 0444, data_path_); !s.ok()) return s;
  test_hooks::CrashPoint("commit.before_marker");
  if (Status s = WriteCommitMarker(dir_fd_.get(), dir_path_, Layout::BlobRelativePath(digest));
      !s.ok()) {
    (void)posix::ChangeMode(data_->fd(), 0644, data_path_);
    return s;
  }
  marker_written_ = true;
  test_hooks::CrashPoint("commit.after_marker");

  bool moved = false;        // our data file is now the blob file
  bool already_exists = false;
  for (int attempt = 0;; ++attempt) {
    if (attempt == 5) {
      return Status::Unavailable(fmt::format(
          "blob file {} keeps disappearing while committing (concurrent deletions?)", blob_path));
    }
    if (!moved) {
      Status r = posix::RenameNoReplace(dir_fd_.get(), Layout::kDataFile, *blob_dir, hex, blob_path);
      if (r.ok()) {
        moved = true;
      } else if (r.IsAlreadyExists()) {
        // Someone published these bytes already (or a crash left them). Blob
        // files only ever appear complete (renamed after an fsync), so a file
        // of the right size is the blob; keep it and drop ours after the
        // transaction. A wrong size means damage: replace it with ours.
        auto st = posix::StatAt(*blob_dir, hex, blob_path);
        if (!st.ok() || !S_ISREG(st->st_mode) || st->st_size != size) {
          if (Status rr = posix::Rename(dir_fd_.get(), Layout::kDataFile, *blob_dir, hex, blob_path);
              !rr.ok()) {
            return rr;
          }
          moved = true;
        }
      } else {
        return r;  // commit() undoes the marker
      }
    }
    test_hooks::CrashPoint("commit.after_rename");
    if (Status r = store_.SyncBlobDir(digest.algorithm()); !r.ok()) {
      return r;  // commit() puts the file back
    }
    test_hooks::CrashPoint("commit.after_dir_sync");

    const int64_t now = NowNanos();
    bool vanished = false;
    Status t = store_.catalog().Write(Catalog::Sync::kFull, [&](Session& session) -> Status {
      auto st = posix::StatAt(*blob_dir, hex, blob_path);
      if (!st.ok() || st->st_size != size) {
        vanished = true;
        return Status::Unavailable("blob file vanished before its row was written");
      }
      auto insert = session.Prepare(sql::q::blob_insert);
      const std::string name = digest.str();
      insert->bindNoCopy(1, name);
      insert->bind(2, size);
      insert->bind(3, now);
      insert->exec();
      already_exists = session.Changes() == 0;
      if (!already_exists) {
        for (const auto& [key, value] : labels) {
          if (value.empty()) continue;  // empty values are never stored
          auto label = session.Prepare(sql::q::label_set);
          label->bindNoCopy(1, name);
          label->bindNoCopy(2, key);
          label->bindNoCopy(3, value);
          label->exec();
        }
      }
      auto remove = session.Prepare(sql::q::ingest_delete_owned);
      remove->bindNoCopy(1, ref_);
      remove->bindNoCopy(2, token_);
      remove->exec();
      MoveIngestLeasesToBlob(session, ref_, name);
      return Status::OK();
    });
    if (t.ok()) break;
    if (!vanished) return t;  // commit() puts the file back
    if (moved) {
      // Our file was the one unlinked; the descriptor still reads it.
      if (Status r = RestoreDataFromFd(); !r.ok()) return r;
      moved = false;
    }
  }
  test_hooks::CrashPoint("commit.after_catalog");

  marker_written_ = false;
  state_ = State::kCommitted;
  committed_ = digest;
  if (!moved) (void)posix::UnlinkAt(dir_fd_.get(), Layout::kDataFile, 0, data_path_);
  (void)RemoveIngestFiles(store_, id_, dir_fd_.get());
  data_.reset();
  dir_fd_.reset();
  if (already_exists) {
    return Status::AlreadyExists(fmt::format("blob {} already exists", digest.str()));
  }
  return Status::OK();
}

// Copies the (unlinked) data file back to ingest/<id>/data, durably.
Status IngestWriter::RestoreDataFromFd() {
  auto fresh = posix::OpenAt(dir_fd_.get(), Layout::kDataFile, O_RDWR | O_CREAT | O_TRUNC, 0644,
                             data_path_);
  if (!fresh.ok()) return fresh.status();
  std::vector<char> buf(1 << 20);
  for (int64_t off = 0; off < hasher_.bytes();) {
    auto got = posix::ReadAt(data_->fd(), buf.data(), buf.size(), off, data_path_);
    if (!got.ok()) return got.status();
    if (*got == 0) return Status::DataLoss(fmt::format("{} shrank while committing", data_path_));
    if (Status s = posix::WriteAt(fresh->get(), buf.data(), *got, off, data_path_); !s.ok()) {
      return s;
    }
    off += static_cast<int64_t>(*got);
  }
  if (store_.options().sync) {
    if (Status s = posix::SyncData(fresh->get(), data_path_); !s.ok()) return s;
  }
  if (Status s = posix::ChangeMode(fresh->get(), 0444, data_path_); !s.ok()) return s;
  data_ = MakeDataFile(std::move(*fresh));
  return Status::OK();
}

// The ingest's content is already committed: delete the row (durably, before
// the files, so no checkpoint can outlive its bytes) and the directory; its
// leases now hold the blob.
Status IngestWriter::RemoveIngest() {
  const std::string digest = hasher_.digest().str();
  Status s = store_.catalog().Write(Catalog::Sync::kFull, [&](Session& session) {
    auto q = session.Prepare(sql::q::ingest_delete_owned);
    q->bindNoCopy(1, ref_);
    q->bindNoCopy(2, token_);
    q->exec();
    MoveIngestLeasesToBlob(session, ref_, digest);
    return Status::OK();
  });
  if (!s.ok()) return s;
  state_ = State::kCommitted;
  committed_ = hasher_.digest();
  (void)posix::UnlinkAt(dir_fd_.get(), Layout::kDataFile, 0, data_path_);
  (void)RemoveIngestFiles(store_, id_, dir_fd_.get());
  data_.reset();
  dir_fd_.reset();
  return Status::OK();
}

}  // namespace contentstore
