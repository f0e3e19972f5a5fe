#include "store/ingest_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <vector>

#include "util/clock.h"
#include "embedded_sql.h"
#include "catalog/lease_rows.h"
#include "store/recovery.h"
#include "store/store_impl.h"
#include "env/test_hooks.h"
#include "util/text.h"
#include "contentstore/validate.h"

namespace contentstore {
namespace {

constexpr size_t kHashBufferBytes = 1 << 20;

// Identifies one writer: the pid alone is reused, and one process may hold
// several writers.
std::string NewLockToken() { return fmt::format("{}-{}", ::getpid(), posix::RandomHex(16)); }

}  // namespace

IngestWriter::IngestWriter(StoreImpl& store, std::string ref, std::string id,
                           posix::UniqueFd dir_fd)
    : store_(store),
      ref_(std::move(ref)),
      id_(std::move(id)),
      dir_path_(store.layout().ingest_dir(id_)),
      data_path_(dir_path_ + "/" + Layout::kDataFile),
      token_(NewLockToken()),
      dir_fd_(std::move(dir_fd)) {}

IngestWriter::~IngestWriter() { (void)close(); }

Result<std::unique_ptr<Writer>> IngestWriter::Open(StoreImpl& store,
                                                   const WriterOptions& options) {
  if (Status s = ValidateRef(options.ref); !s.ok()) return s;
  if (options.total && *options.total < 0) {
    return Status::InvalidArgument(
        fmt::format("expected size {} of ref \"{}\" is negative", *options.total,
                    Printable(options.ref)));
  }
  if (options.expected && options.algorithm &&
      options.expected->algorithm() != *options.algorithm) {
    return Status::InvalidArgument(fmt::format(
        "expected digest {} does not use the requested algorithm {}", options.expected->str(),
        AlgorithmName(*options.algorithm)));
  }
  if (options.lease) {
    if (Status s = ValidateLeaseId(*options.lease); !s.ok()) return s;
    // Checked again when the ref is claimed; this early look keeps an
    // unknown lease from leaving an empty ingest directory behind.
    Status s = store.catalog().Read(
        [&](Session& session) { return RequireLease(session, *options.lease); });
    if (!s.ok()) return s;
  }
  if (options.expected) {
    bool exists = false;
    Status s = store.catalog().Read([&](Session& session) {
      auto q = session.Prepare(sql::q::blob_size);
      q->bind(1, options.expected->str());
      exists = q->executeStep();
      return Status::OK();
    });
    if (!s.ok()) return s;
    if (exists) {
      // The caller's lease must still hold what it asked for (containerd does
      // the same), so GC does not take it between now and its next step.
      if (options.lease) {
        LeaseResource held{LeaseResource::Type::kContent, options.expected->str()};
        if (Status l = store.add_lease_resource(*options.lease, held); !l.ok()) return l;
      }
      return Status::AlreadyExists(
          fmt::format("blob {} already exists", options.expected->str()));
    }
  }

  const std::string id = Layout::IngestId(options.ref);
  const std::string dir_path = store.layout().ingest_dir(id);
  // The directory may be removed by an abort or commit between our mkdir and
  // our lock; then the lock is on a dead directory and we go again.
  for (int attempt = 0;; ++attempt) {
    if (attempt == 5) {
      return Status::Unavailable(fmt::format(
          "ref \"{}\": its ingest directory keeps being removed", Printable(options.ref)));
    }
    if (Status s = posix::MakeDirAt(store.ingest_root_fd(), id, dir_path); !s.ok()) return s;
    auto dir_fd = posix::OpenAt(store.ingest_root_fd(), id, O_RDONLY | O_DIRECTORY, 0, dir_path);
    if (dir_fd.status().IsNotFound()) continue;
    if (!dir_fd.ok()) return dir_fd.status();
    if (Status s = posix::TryLockExclusive(dir_fd->get(), dir_path); !s.ok()) {
      if (!s.IsUnavailable()) return s;
      auto row = store.LoadIngest(options.ref);
      return RefLockedStatus(options.ref, row.ok() ? *row : std::nullopt);
    }
    auto held = posix::StatFd(dir_fd->get(), dir_path);
    auto named = posix::StatAt(store.ingest_root_fd(), id, dir_path);
    if (!held.ok()) return held.status();
    if (!named.ok() || named->st_ino != held->st_ino || named->st_dev != held->st_dev) continue;

    std::unique_ptr<IngestWriter> writer(
        new IngestWriter(store, options.ref, id, std::move(*dir_fd)));
    bool directory_gone = false;
    if (Status s = writer->Claim(options, &directory_gone); !s.ok() || directory_gone) {
      writer->state_ = State::kClosed;  // nothing to save; the flock goes with the fd
      if (directory_gone) continue;
      // A directory made for an ingest that never got its row (the lease
      // went away meanwhile, the catalog was busy) is removed again.
      auto row = store.LoadIngest(options.ref);
      if (row.ok() && !row->has_value()) (void)RemoveIngestFiles(store, id, writer->dir_fd_.get());
      return s;
    }
    return std::unique_ptr<Writer>(std::move(writer));
  }
}

Status IngestWriter::Claim(const WriterOptions& options, bool* directory_gone) {
  // A commit that died half way must be finished or undone before anything
  // else looks at this directory.
  auto recovered = RecoverIngestDir(store_, ref_, id_, dir_fd_.get());
  if (!recovered.ok()) return recovered.status();
  if (*recovered == IngestRecovery::kRemoved) {
    // Its blob was committed after all, and recovery removed the directory
    // we hold: start again with a fresh one.
    *directory_gone = true;
    return Status::OK();
  }

  const int64_t now = NowNanos();
  std::optional<IngestRow> row;
  Status s = store_.catalog().Write(Catalog::Sync::kNormal, [&](Session& session) -> Status {
    auto loaded = LoadIngestRow(session, ref_);
    if (!loaded.ok()) return loaded.status();
    row = std::move(*loaded);
    if (options.lease) {
      if (Status r = RequireLease(session, *options.lease); !r.ok()) return r;
      auto hold = session.Prepare(sql::q::lease_resource_add);
      hold->bindNoCopy(1, *options.lease);
      hold->bind(2, std::string("ingest"));
      hold->bindNoCopy(3, ref_);
      hold->exec();
    }
    if (row) {
      auto q = session.Prepare(sql::q::ingest_claim);
      q->bindNoCopy(1, ref_);
      q->bind(2, static_cast<int64_t>(::getpid()));
      q->bindNoCopy(3, token_);
      q->bind(4, now);
      q->exec();
      return Status::OK();
    }
    const Algorithm algorithm = options.expected ? options.expected->algorithm()
                                                 : options.algorithm.value_or(Algorithm::kSHA256);
    auto q = session.Prepare(sql::q::ingest_insert);
    q->bindNoCopy(1, ref_);
    q->bindNoCopy(2, id_);
    if (options.total) q->bind(3, *options.total);
    if (options.expected) q->bind(4, options.expected->str());
    q->bind(5, std::string(AlgorithmName(algorithm)));
    q->bind(6, now);
    q->bind(7, static_cast<int64_t>(::getpid()));
    q->bindNoCopy(8, token_);
    q->exec();
    return Status::OK();
  });
  if (!s.ok()) return s;
  test_hooks::CrashPoint("open.after_claim");

  if (!row) {
    // A new ingest. Whatever a directory without a row holds is garbage (a
    // writer died after its commit or abort finished): start from a new file.
    Status gone = posix::UnlinkAt(dir_fd_.get(), Layout::kDataFile, 0, data_path_);
    if (!gone.ok() && !gone.IsNotFound()) return gone;
    auto data = posix::OpenAt(dir_fd_.get(), Layout::kDataFile, O_RDWR | O_CREAT | O_EXCL, 0644,
                              data_path_);
    if (!data.ok()) return data.status();
    data_fd_ = std::move(*data);
    hasher_ = Hasher(options.expected ? options.expected->algorithm()
                                      : options.algorithm.value_or(Algorithm::kSHA256));
    total_ = options.total;
    expected_ = options.expected;
    started_at_ = updated_at_ = now;
    AdoptDataFile();
    return Status::OK();
  }
  // Commit makes the data read-only just before publishing it; a writer that
  // died right there leaves a 0444 file that is still ours to resume.
  auto data = posix::OpenAt(dir_fd_.get(), Layout::kDataFile, O_RDWR | O_CREAT, 0644, data_path_);
  if (!data.ok() && data.status().code() == Code::kIOError &&
      ::fchmodat(dir_fd_.get(), Layout::kDataFile, 0644, 0) == 0) {
    data = posix::OpenAt(dir_fd_.get(), Layout::kDataFile, O_RDWR | O_CREAT, 0644, data_path_);
  }
  if (!data.ok()) return data.status();
  data_fd_ = std::move(*data);
  auto algorithm = ParseAlgorithm(row->algorithm);
  if (!algorithm.ok()) {
    return Status::DataLoss(fmt::format("ingest \"{}\": catalog row names algorithm \"{}\"",
                                        Printable(ref_), Printable(row->algorithm)));
  }
  if (Status r = Reconcile(*row, options, *algorithm); !r.ok()) return r;
  AdoptDataFile();
  return Status::OK();
}

void IngestWriter::AdoptDataFile() {
  data_ = MakeDataFile(std::move(data_fd_));
}

std::unique_ptr<DataFile> IngestWriter::MakeDataFile(posix::UniqueFd fd) {
  // Called from the data file's writer thread: touches only what does not
  // change while the writer is open.
  auto record = [this](int64_t offset, const std::string& state) {
    return SaveCheckpoint(offset, state, NowNanos(), /*release=*/false);
  };
  return std::make_unique<DataFile>(std::move(fd), data_path_, hasher_.bytes(),
                                    store_.options().sync, store_.options().checkpoint_bytes,
                                    record);
}

Status IngestWriter::Reconcile(const IngestRow& row, const WriterOptions& options,
                               Algorithm stored_algorithm) {
  std::optional<Digest> stored_expected;
  if (row.expected) {
    auto d = Digest::Parse(*row.expected);
    if (d.ok()) stored_expected = *d;
  }
  const Algorithm algorithm = options.expected ? options.expected->algorithm()
                                               : options.algorithm.value_or(stored_algorithm);
  // A ref reused for other content: what is there cannot become the blob the
  // caller now asks for. containerd "recreates" here but keeps the old bytes
  // (its offset then lies); we really start over.
  auto st = posix::StatFd(data_fd_.get(), data_path_);
  if (!st.ok()) return st.status();
  const int64_t file_size = st->st_size;
  // A newly given size smaller than what is already written can never be
  // met either: without starting over, every commit would fail.
  const bool other_content = (options.total && row.total && *options.total != *row.total) ||
                             (options.total && file_size > *options.total) ||
                             (options.expected && stored_expected &&
                              *options.expected != *stored_expected) ||
                             algorithm != stored_algorithm;
  total_ = options.total ? options.total : row.total;
  expected_ = options.expected ? options.expected : stored_expected;
  started_at_ = row.started_at;
  updated_at_ = row.updated_at;
  hasher_ = Hasher(algorithm);
  if (other_content) return StartOver(NowNanos());

  updated_at_ = std::max<int64_t>(
      updated_at_, int64_t{st->st_mtim.tv_sec} * 1000000000 + st->st_mtim.tv_nsec);
  // Resume from the checkpoint when the file still holds at least what the
  // checkpoint hashed; otherwise (the file lost data, or the state is
  // damaged) hash the whole file again.
  bool from_checkpoint = false;
  if (row.hash_state && file_size >= row.offset) {
    auto restored = Hasher::Restore(algorithm, *row.hash_state, row.offset);
    if (restored.ok()) {
      hasher_ = std::move(*restored);
      from_checkpoint = true;
    }
  }
  if (Status s = HashFileTail(file_size); !s.ok()) return s;
  checkpoint_offset_ = from_checkpoint ? row.offset : 0;
  if (total_ != row.total || expected_ != stored_expected) {
    // Newly learned size or digest: record it.
    return store_.catalog().Write(Catalog::Sync::kNormal, [&](Session& session) -> Status {
      auto q = session.Prepare(sql::q::ingest_set_meta);
      q->bindNoCopy(1, ref_);
      q->bindNoCopy(2, token_);
      q->bind(3, row.offset);
      if (row.hash_state) q->bindNoCopy(4, row.hash_state->data(), static_cast<int>(row.hash_state->size()));
      if (total_) q->bind(5, *total_);
      if (expected_) q->bind(6, expected_->str());
      q->bind(7, std::string(AlgorithmName(algorithm)));
      q->bind(8, started_at_);
      q->bind(9, row.updated_at);
      q->exec();
      return Status::OK();
    });
  }
  return Status::OK();
}

Status IngestWriter::HashFileTail(int64_t end) {
  std::vector<char> buf(kHashBufferBytes);
  while (hasher_.bytes() < end) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(end - hasher_.bytes(), buf.size()));
    auto got = posix::ReadAt(data_fd_.get(), buf.data(), want, hasher_.bytes(), data_path_);
    if (!got.ok() || *got == 0) {
      // Unreadable (or shorter than it said): keep only what was hashed.
      return posix::Truncate(data_fd_.get(), hasher_.bytes(), data_path_);
    }
    hasher_.update(buf.data(), *got);
  }
  return Status::OK();
}

Status IngestWriter::StartOver(int64_t now) {
  hasher_.reset();
  started_at_ = updated_at_ = now;
  const std::string state = hasher_.save();
  // The catalog must stop vouching for the old bytes before they change: if a
  // power loss brought back an old checkpoint over new bytes, the resumed hash
  // would be of neither. Hence kFull, and the row first.
  Status s = store_.catalog().Write(Catalog::Sync::kFull, [&](Session& session) -> Status {
    auto q = session.Prepare(sql::q::ingest_set_meta);
    q->bindNoCopy(1, ref_);
    q->bindNoCopy(2, token_);
    q->bind(3, int64_t{0});
    q->bindNoCopy(4, state.data(), static_cast<int>(state.size()));
    if (total_) q->bind(5, *total_);
    if (expected_) q->bind(6, expected_->str());
    q->bind(7, std::string(AlgorithmName(hasher_.algorithm())));
    q->bind(8, now);
    q->bind(9, now);
    q->exec();
    if (session.Changes() != 1) {
      return Status::FailedPrecondition(
          fmt::format("ingest \"{}\" was removed while its writer was open", Printable(ref_)));
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  checkpoint_offset_ = 0;
  if (data_) return data_->Truncate();
  return posix::Truncate(data_fd_.get(), 0, data_path_);
}

Status IngestWriter::CheckOpen() const {
  switch (state_) {
    case State::kOpen: return broken_;
    case State::kClosed:
      return Status::FailedPrecondition(
          fmt::format("writer for ref \"{}\" is closed", Printable(ref_)));
    case State::kCommitted:
      return Status::FailedPrecondition(
          fmt::format("writer for ref \"{}\" is already committed", Printable(ref_)));
  }
  return Status::Internal("bad writer state");
}

Status IngestWriter::write(std::span<const std::byte> data) {
  if (Status s = CheckOpen(); !s.ok()) return s;
  if (data.empty()) return Status::OK();
  const int64_t offset = hasher_.bytes();
  if (Status s = data_->Append(data.data(), data.size(), hasher_); !s.ok()) {
    s = s.WithContext(fmt::format("ingest \"{}\"", Printable(ref_)));
    // Page-cache appends cut a partial write off again; a failed background
    // write leaves the file behind what was appended.
    if (data_->size() != offset || data_->broken()) broken_ = s;
    return s;
  }
  updated_at_ = NowNanos();
  if (data_->direct()) return Status::OK();  // its thread checkpoints
  const int64_t every = store_.options().checkpoint_bytes;
  if (every > 0 && hasher_.bytes() - checkpoint_offset_ >= every) {
    if (Status s = Checkpoint(false); !s.ok()) {
      // After a failed fdatasync the kernel may have dropped the dirty pages
      // (PostgreSQL's "fsyncgate"): this writer can no longer vouch for what
      // it wrote since the last checkpoint. The next writer resumes from that
      // checkpoint and hashes what the file really holds.
      broken_ = s.WithContext(fmt::format(
          "ingest \"{}\" failed to checkpoint; close it and open a new writer", Printable(ref_)));
      return broken_;
    }
  }
  return Status::OK();
}

Digest IngestWriter::digest() const { return committed_ ? *committed_ : hasher_.digest(); }

IngestStatus IngestWriter::status() const {
  IngestStatus s;
  s.ref = ref_;
  s.offset = hasher_.bytes();
  s.total = total_;
  s.expected = expected_;
  s.started_at = FromNanos(started_at_);
  s.updated_at = FromNanos(updated_at_);
  return s;
}

Status IngestWriter::truncate(int64_t size) {
  if (Status s = CheckOpen(); !s.ok()) return s;
  if (size != 0) {
    return Status::InvalidArgument(
        fmt::format("truncate of ref \"{}\" to {} bytes: only truncate(0) is supported",
                    Printable(ref_), size));
  }
  return StartOver(NowNanos());
}

Status IngestWriter::Checkpoint(bool release) {
  if (Status s = data_->Sync(); !s.ok()) return s;
  Status s = SaveCheckpoint(hasher_.bytes(), hasher_.save(), updated_at_, release);
  if (s.ok()) checkpoint_offset_ = hasher_.bytes();
  return s;
}

Status IngestWriter::SaveCheckpoint(int64_t offset, const std::string& state, int64_t updated_at,
                                    bool release) {
  return store_.catalog().Write(Catalog::Sync::kNormal, [&](Session& session) -> Status {
    auto q = session.Prepare(release ? sql::q::ingest_release : sql::q::ingest_checkpoint);
    q->bindNoCopy(1, ref_);
    q->bindNoCopy(2, token_);
    q->bind(3, offset);
    q->bindNoCopy(4, state.data(), static_cast<int>(state.size()));
    q->bind(5, updated_at);
    q->exec();
    if (session.Changes() != 1) {
      return Status::FailedPrecondition(
          fmt::format("ingest \"{}\" was removed while its writer was open", Printable(ref_)));
    }
    return Status::OK();
  });
}

Status IngestWriter::ReleaseWithoutCheckpoint() {
  return store_.catalog().Write(Catalog::Sync::kNormal, [&](Session& session) {
    auto q = session.Prepare(sql::q::ingest_unlock);
    q->bindNoCopy(1, ref_);
    q->bindNoCopy(2, token_);
    q->exec();
    return Status::OK();
  });
}

Status IngestWriter::close() {
  if (state_ != State::kOpen) return Status::OK();
  state_ = State::kClosed;
  Status s = broken_.ok() ? Checkpoint(true) : ReleaseWithoutCheckpoint();
  data_.reset();
  dir_fd_.reset();  // releases the flock
  return s;
}

}  // namespace contentstore
