#include "store/ingest_writer.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <optional>
#include <vector>

#include "catalog/blob_rows.h"
#include "catalog/lease_rows.h"
#include "contentstore/validate.h"
#include "env/crash_point.h"
#include "env/random.h"
#include "files/layout.h"
#include "store/recovery.h"
#include "util/text.h"
#include "util/timestamp.h"

namespace contentstore {
namespace {

constexpr size_t kHashBufferBytes = 1 << 20;

// Identifies one writer: the pid alone is reused, and one process may hold
// several writers.
std::string NewLockToken() { return fmt::format("{}-{}", ::getpid(), RandomHex(16)); }

Status ValidateWriterOptions(const WriterOptions& options) {
  if (Status s = ValidateRef(options.ref); !s.ok()) return s;
  if (options.total && *options.total < 0) {
    return Status::InvalidArgument(fmt::format("expected size {} of ref \"{}\" is negative",
                                               *options.total, Printable(options.ref)));
  }
  if (options.expected && options.algorithm &&
      options.expected->algorithm() != *options.algorithm) {
    return Status::InvalidArgument(fmt::format(
        "expected digest {} does not use the requested algorithm {}", options.expected->str(),
        AlgorithmName(*options.algorithm)));
  }
  if (options.lease) return ValidateLeaseId(*options.lease);
  return Status::OK();
}

Algorithm AlgorithmFor(const WriterOptions& options, Algorithm otherwise) {
  return options.expected ? options.expected->algorithm() : options.algorithm.value_or(otherwise);
}

// Before any directory exists: an unknown lease is refused, and an expected
// digest that is committed already is AlreadyExists (and stays held by the
// caller's lease, as containerd does, so GC cannot take it before the
// caller's next step).
Status CheckBeforeOpening(IngestContext& ctx, const WriterOptions& options) {
  bool exists = false;
  Status s = ctx.catalog.Read([&](catalog::Transaction& tx) -> Status {
    // Checked again when the ref is claimed; this early look keeps an
    // unknown lease from leaving an empty ingest directory behind.
    if (options.lease) {
      if (Status r = catalog::LeaseRows(tx).Require(*options.lease); !r.ok()) return r;
    }
    exists = options.expected && catalog::BlobRows(tx).Exists(options.expected->str());
    return Status::OK();
  });
  if (!s.ok() || !exists) return s;
  if (options.lease) {
    s = ctx.catalog.Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) -> Status {
      catalog::LeaseRows leases(tx);
      if (Status r = leases.Require(*options.lease); !r.ok()) return r;
      leases.Hold(*options.lease, {LeaseResource::Type::kContent, options.expected->str()});
      return Status::OK();
    });
    if (!s.ok()) return s;
  }
  return Status::AlreadyExists(fmt::format("blob {} already exists", options.expected->str()));
}

}  // namespace

IngestWriter::IngestWriter(IngestContext& ctx, std::string ref, std::string id,
                           UniqueFd dir_fd)
    : ctx_(ctx),
      ref_(std::move(ref)),
      id_(std::move(id)),
      dir_path_(ctx.dirs.PathOf(id_)),
      data_file_(ctx.dirs.DataFile(id_, dir_fd.get())),
      token_(NewLockToken()),
      dir_fd_(std::move(dir_fd)),
      uploads_(ctx.blobs.ingest_uploads()) {}

IngestWriter::~IngestWriter() { (void)close(); }

namespace {

// The ref's row, or nullopt when it has none or the catalog cannot be read
// (the callers only describe or wait on a holder; nothing is decided by it).
std::optional<catalog::IngestRow> FindRow(IngestContext& ctx, const std::string& ref) {
  std::optional<catalog::IngestRow> row;
  (void)ctx.catalog.Read([&](catalog::Transaction& tx) {
    row = catalog::IngestRows(tx).Find(ref);
    return Status::OK();
  });
  return row;
}

}  // namespace

bool IngestWriter::HasLockHolder(IngestContext& ctx, const std::string& ref) {
  const std::optional<catalog::IngestRow> row = FindRow(ctx, ref);
  return row && row->lock_pid && row->locked_at;
}

Result<std::unique_ptr<catalog::NameLock>> IngestWriter::LockRef(IngestContext& ctx,
                                                                  const std::string& ref) {
  // A writer killed on this node keeps the ref's lock in the catalog's server
  // until the server sees its connection close, a moment after the kernel
  // gave up its flock. When the row names such a writer (of this node, and
  // no longer running), wait for that moment rather than report the ref
  // locked. (A pid from another node may look dead here: then the wait is
  // only longer before the same Unavailable.)
  auto lock = LockRefAcrossNodes(ctx, ref);
  for (int waits = 0; waits < kDeadHolderWaits && !lock.ok() && lock.status().IsUnavailable();
       ++waits) {
    const std::optional<catalog::IngestRow> row = FindRow(ctx, ref);
    const bool dead_here = row && row->lock_pid && StagedHere(ctx, row->staged_on) &&
                           ProcessIsGone(*row->lock_pid);
    if (!dead_here) break;
    ctx.env.SleepForMicros(10000);
    lock = LockRefAcrossNodes(ctx, ref);
  }
  return lock;
}

Status IngestWriter::RefLocked(IngestContext& ctx, const std::string& ref) {
  const std::optional<catalog::IngestRow> row = FindRow(ctx, ref);
  if (!row || !row->lock_pid || !row->locked_at) {
    return Status::Unavailable(
        fmt::format("ref \"{}\" is locked by another writer", Printable(ref)));
  }
  const double held_s = static_cast<double>(ctx.env.NowNanos() - *row->locked_at) / 1e9;
  return Status::Unavailable(fmt::format(
      "ref \"{}\" is locked by pid {}{} since {} ({:.1f}s ago)", Printable(ref), *row->lock_pid,
      *row->lock_pid == ::getpid() ? " (this process)" : "", FormatRfc3339(*row->locked_at),
      held_s));
}

Result<std::unique_ptr<Writer>> IngestWriter::Open(IngestContext& ctx,
                                                   const WriterOptions& options) {
  if (Status s = ValidateWriterOptions(options); !s.ok()) return s;
  if (ctx.catalog.read_only()) {
    return Status::FailedPrecondition("the store is open read-only: no writers");
  }
  if (options.lease || options.expected) {
    if (Status s = CheckBeforeOpening(ctx, options); !s.ok()) return s;
  }
  const std::string id = Layout::IngestId(options.ref);
  // Recovery may remove the directory we lock (its commit had finished):
  // then we go again with a fresh one.
  int busy_waits = 0;
  for (int attempt = 0;; ++attempt) {
    if (attempt == 5) {
      return Status::Unavailable(fmt::format(
          "ref \"{}\": its ingest directory keeps being removed", Printable(options.ref)));
    }
    auto dir_fd = ctx.dirs.CreateAndLock(id);
    if (!dir_fd.ok()) {
      if (!dir_fd.status().IsUnavailable()) return dir_fd.status();
      // A writer holding the ref has its pid in the ref's row. Without one,
      // the flock is held for a moment by the collector or fsck looking at
      // the directory (an orphan, or a stale ingest to abort), or by a
      // writer about to claim the row: look again shortly.
      if (busy_waits < kBusyDirectoryWaits && !HasLockHolder(ctx, options.ref)) {
        ++busy_waits;
        --attempt;
        ctx.env.SleepForMicros(2000);
        continue;
      }
      return RefLocked(ctx, options.ref);
    }
    std::unique_ptr<IngestWriter> writer(
        new IngestWriter(ctx, options.ref, id, std::move(*dir_fd)));
    // The flock excludes the writers of this machine; a shared catalog
    // also holds the ref against other machines' (each has its own
    // ingest directory).
    auto node_lock = LockRef(ctx, options.ref);
    if (!node_lock.ok()) {
      writer->state_ = State::kClosed;
      return node_lock.status();
    }
    writer->node_lock_ = std::move(*node_lock);
    bool directory_gone = false;
    if (Status s = writer->Claim(options, &directory_gone); !s.ok() || directory_gone) {
      writer->state_ = State::kClosed;  // nothing to save; the flock goes with the fd
      if (directory_gone) continue;
      // A directory made for an ingest that never got its row (the lease
      // went away meanwhile, the catalog was busy) is removed again.
      bool has_row = true;
      (void)ctx.catalog.Read([&](catalog::Transaction& tx) {
        has_row = catalog::IngestRows(tx).Find(options.ref).has_value();
        return Status::OK();
      });
      if (!has_row) (void)ctx.dirs.Remove(id, writer->dir_fd_.get());
      return s;
    }
    return std::unique_ptr<Writer>(std::move(writer));
  }
}

Status IngestWriter::Claim(const WriterOptions& options, bool* directory_gone) {
  // A commit that died half way must be finished or undone before anything
  // else looks at this directory.
  auto recovered = RecoverIngestDir(ctx_, ref_, id_, dir_fd_.get());
  if (!recovered.ok()) return recovered.status();
  if (*recovered == IngestRecovery::kRemoved) {
    // Its blob was committed after all, and recovery removed the directory
    // we hold: start again with a fresh one.
    *directory_gone = true;
    return Status::OK();
  }
  const int64_t now = ctx_.env.NowNanos();
  auto row = ClaimRow(options, now);
  if (!row.ok()) return row.status();
  test_hooks::CrashPoint("open.after_claim");
  if (!*row) return StartFresh(options, now);
  return Resume(**row, options);
}

Result<std::optional<catalog::IngestRow>> IngestWriter::ClaimRow(const WriterOptions& options,
                                                                 int64_t now) {
  std::optional<catalog::IngestRow> row;
  Status s = ctx_.catalog.Write(catalog::Sync::kNormal, [&](catalog::Transaction& tx) -> Status {
    catalog::IngestRows ingests(tx);
    row = ingests.Find(ref_);
    if (options.lease) {
      catalog::LeaseRows leases(tx);
      if (Status r = leases.Require(*options.lease); !r.ok()) return r;
      leases.Hold(*options.lease, {LeaseResource::Type::kIngest, ref_});
    }
    if (row) {
      ingests.Claim(ref_, ::getpid(), token_, now);
      return Status::OK();
    }
    catalog::NewIngest fresh;
    fresh.ref = ref_;
    fresh.id = id_;
    fresh.total = options.total;
    if (options.expected) fresh.expected = options.expected->str();
    fresh.algorithm = std::string(AlgorithmName(AlgorithmFor(options, Algorithm::kSHA256)));
    fresh.now = now;
    fresh.lock_pid = ::getpid();
    fresh.lock_token = token_;
    if (!ctx_.node_id.empty()) fresh.staged_on = ctx_.node_id;
    ingests.Insert(fresh);
    return Status::OK();
  });
  if (!s.ok()) return s;
  return row;
}

Status IngestWriter::StartFresh(const WriterOptions& options, int64_t now) {
  // Whatever a directory without a row holds is garbage (a writer died after
  // its commit or abort finished): start from a new file.
  Status gone = ctx_.env.UnlinkAt(dir_fd_.get(), data_file_.name, 0, data_file_.path);
  if (!gone.ok() && !gone.IsNotFound()) return gone;
  auto data = OpenAt(ctx_.env, dir_fd_.get(), data_file_.name, O_RDWR | O_CREAT | O_EXCL, 0644,
                     data_file_.path);
  if (!data.ok()) return data.status();
  data_fd_ = std::move(*data);
  hasher_ = Hasher(AlgorithmFor(options, Algorithm::kSHA256));
  total_ = options.total;
  expected_ = options.expected;
  started_at_ = updated_at_ = now;
  AdoptDataFile();
  return Status::OK();
}

Status IngestWriter::Resume(const catalog::IngestRow& row, const WriterOptions& options) {
  // Commit makes the data read-only just before publishing it; a writer that
  // died right there leaves a 0444 file that is still ours to resume.
  auto data = OpenAt(ctx_.env, dir_fd_.get(), data_file_.name, O_RDWR | O_CREAT, 0644,
                     data_file_.path);
  if (!data.ok() && data.status().IsIOError() &&
      ctx_.env.ChangeModeAt(dir_fd_.get(), data_file_.name, 0644, data_file_.path).ok()) {
    data = OpenAt(ctx_.env, dir_fd_.get(), data_file_.name, O_RDWR | O_CREAT, 0644,
                  data_file_.path);
  }
  if (!data.ok()) return data.status();
  data_fd_ = std::move(*data);
  auto algorithm = ParseAlgorithm(row.algorithm);
  if (!algorithm.ok()) {
    return Status::DataLoss(fmt::format("ingest \"{}\": catalog row names algorithm \"{}\"",
                                        Printable(ref_), Printable(row.algorithm)));
  }
  if (Status r = Reconcile(row, options, *algorithm); !r.ok()) return r;
  AdoptDataFile();
  return Status::OK();
}

void IngestWriter::AdoptDataFile() { data_ = MakeDataFile(std::move(data_fd_)); }

std::unique_ptr<DataFile> IngestWriter::MakeDataFile(UniqueFd fd) {
  // Called from the data file's writer thread: touches only what does not
  // change while the writer is open.
  auto record = [this](int64_t offset, const std::string& state) {
    return SaveCheckpoint(offset, state, ctx_.env.NowNanos(), /*release=*/false);
  };
  return std::make_unique<DataFile>(ctx_.env, std::move(fd), data_file_.path, hasher_.bytes(),
                                    ctx_.options.sync, ctx_.options.checkpoint_bytes, record);
}

Status IngestWriter::Reconcile(const catalog::IngestRow& row, const WriterOptions& options,
                               Algorithm stored_algorithm) {
  std::optional<Digest> stored_expected;
  if (row.expected) {
    auto d = Digest::Parse(*row.expected);
    if (d.ok()) stored_expected = *d;
  }
  const Algorithm algorithm = AlgorithmFor(options, stored_algorithm);
  {
    // Starting over below discards it.
    std::lock_guard lock(upload_mu_);
    upload_id_ = row.upload_id;
  }
  // A ref reused for other content: what is there cannot become the blob the
  // caller now asks for. containerd "recreates" here but keeps the old bytes
  // (its offset then lies); we really start over.
  auto st = ctx_.env.StatFd(data_fd_.get(), data_file_.path);
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
  if (other_content) return StartOver(ctx_.env.NowNanos());

  updated_at_ = std::max<int64_t>(updated_at_, MtimeNanos(*st));
  // The row's checkpoint vouches for the bytes of the node that staged them:
  // this one's, unless the catalog is shared and another node wrote last
  // (then the local file, if any, is an older ingest's of the same ref).
  const bool staged_here = StagedHere(ctx_, row.staged_on);
  // Resume from the checkpoint when the file still holds at least what the
  // checkpoint hashed; otherwise (the file lost data, or the state is
  // damaged) from the upload's parts, or by hashing the whole file again.
  bool from_checkpoint = false;
  if (staged_here && row.hash_state && file_size >= row.offset && row.offset >= row.uploaded) {
    auto restored = Hasher::Restore(algorithm, *row.hash_state, row.offset);
    if (restored.ok()) {
      hasher_ = std::move(*restored);
      from_checkpoint = true;
    }
  }
  int64_t usable = file_size;
  if (row.upload_id) {
    auto adopted = AdoptUpload(row, staged_here, &usable);
    if (!adopted.ok()) return adopted.status();
    if (!*adopted) return StartOver(ctx_.env.NowNanos());  // its parts cannot be resumed
    if (!from_checkpoint && uploaded_ > 0) {
      auto restored = Hasher::Restore(algorithm, *row.uploaded_hash_state, uploaded_);
      if (!restored.ok()) return StartOver(ctx_.env.NowNanos());
      hasher_ = std::move(*restored);
    }
  } else if (!staged_here && usable > 0) {
    if (Status s = ctx_.env.Truncate(data_fd_.get(), 0, data_file_.path); !s.ok()) return s;
    usable = 0;
  }
  if (Status s = HashFileTail(usable); !s.ok()) return s;
  checkpoint_offset_ = from_checkpoint ? row.offset : uploaded_;
  if (staged_here && total_ == row.total && expected_ == stored_expected) return Status::OK();
  // Newly learned size or digest, or bytes this node now vouches for (the
  // parts and nothing past them, when another node staged the bytes):
  // record them.
  catalog::IngestMeta meta;
  meta.offset = staged_here ? row.offset : uploaded_;
  meta.hash_state = staged_here       ? row.hash_state
                    : uploaded_ > 0 ? row.uploaded_hash_state
                                    : std::optional<std::string>();
  meta.total = total_;
  if (expected_) meta.expected = expected_->str();
  meta.algorithm = std::string(AlgorithmName(algorithm));
  meta.started_at = started_at_;
  meta.updated_at = row.updated_at;
  if (!ctx_.node_id.empty()) meta.staged_on = ctx_.node_id;
  return ctx_.catalog.Write(catalog::Sync::kNormal, [&](catalog::Transaction& tx) {
    catalog::IngestRows(tx).SetMeta(ref_, token_, meta);
    return Status::OK();
  });
}

Result<bool> IngestWriter::AdoptUpload(const catalog::IngestRow& row, bool staged_here,
                                       int64_t* file_size) {
  if (uploads_ == nullptr) {
    // Written through another tier (a node given another --blobs): those
    // parts are out of reach here.
    return Status::FailedPrecondition(fmt::format(
        "ingest \"{}\" is an upload to an object store, but this store's blobs are local; "
        "open it with the same --blobs as the node that wrote it, or abort it",
        Printable(ref_)));
  }
  std::vector<catalog::IngestPart> parts;
  Status s = ctx_.catalog.Read([&](catalog::Transaction& tx) {
    parts = catalog::IngestRows(tx).Parts(ref_);
    return Status::OK();
  });
  if (!s.ok()) return s;
  int64_t sum = 0;
  std::vector<UploadedPart> adopted;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].number != static_cast<int>(i) + 1) break;
    sum += parts[i].size;
    adopted.push_back({parts[i].number, parts[i].size, parts[i].etag});
  }
  std::lock_guard lock(upload_mu_);
  upload_id_ = row.upload_id;
  if (sum != row.uploaded || adopted.size() != parts.size() ||
      (row.uploaded > 0 && !row.uploaded_hash_state)) {
    return false;  // parts that do not add up cannot be resumed: start over
  }
  parts_ = std::move(adopted);
  uploaded_ = row.uploaded;
  if (!staged_here || *file_size < uploaded_) {
    // The bytes past the parts are another node's (or lost): the file keeps
    // only the parts' length, as a hole; their bytes are in the tier.
    if (Status t = ctx_.env.Truncate(data_fd_.get(), 0, data_file_.path); !t.ok()) return t;
    if (Status t = ctx_.env.Truncate(data_fd_.get(), uploaded_, data_file_.path); !t.ok()) {
      return t;
    }
    *file_size = uploaded_;
  }
  return true;
}

Status IngestWriter::HashFileTail(int64_t end) {
  std::vector<char> buf(kHashBufferBytes);
  while (hasher_.bytes() < end) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(end - hasher_.bytes(), buf.size()));
    auto got = ctx_.env.ReadAt(data_fd_.get(), buf.data(), want, hasher_.bytes(), data_file_.path);
    if (!got.ok() || *got == 0) {
      // Unreadable (or shorter than it said): keep only what was hashed.
      return ctx_.env.Truncate(data_fd_.get(), hasher_.bytes(), data_file_.path);
    }
    hasher_.update(buf.data(), *got);
  }
  return Status::OK();
}

Status IngestWriter::StartOver(int64_t now) {
  hasher_.reset();
  started_at_ = updated_at_ = now;
  catalog::IngestMeta meta;
  meta.offset = 0;
  meta.hash_state = hasher_.save();
  meta.total = total_;
  if (expected_) meta.expected = expected_->str();
  meta.algorithm = std::string(AlgorithmName(hasher_.algorithm()));
  meta.started_at = now;
  meta.updated_at = now;
  // The catalog must stop vouching for the old bytes before they change: if a
  // power loss brought back an old checkpoint over new bytes, the resumed hash
  // would be of neither. Hence kFull, and the row first.
  if (!ctx_.node_id.empty()) meta.staged_on = ctx_.node_id;
  std::unique_lock upload_lock(upload_mu_);
  Status s = ctx_.catalog.Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) -> Status {
    catalog::IngestRows ingests(tx);
    if (!ingests.SetMeta(ref_, token_, meta)) {
      return Status::FailedPrecondition(
          fmt::format("ingest \"{}\" was removed while its writer was open", Printable(ref_)));
    }
    ingests.ForgetUpload(ref_, token_);
    return Status::OK();
  });
  if (!s.ok()) return s;
  DiscardUpload();
  upload_lock.unlock();
  checkpoint_offset_ = 0;
  if (data_) return data_->Truncate();
  return ctx_.env.Truncate(data_fd_.get(), 0, data_file_.path);
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
  updated_at_ = ctx_.env.NowNanos();
  if (data_->direct()) return Status::OK();  // its thread checkpoints
  const int64_t every = ctx_.options.checkpoint_bytes;
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
  return StartOver(ctx_.env.NowNanos());
}

Status IngestWriter::Checkpoint(bool release) {
  if (Status s = data_->Sync(); !s.ok()) return s;
  Status s = SaveCheckpoint(hasher_.bytes(), hasher_.save(), updated_at_, release);
  if (s.ok()) checkpoint_offset_ = hasher_.bytes();
  return s;
}

Status IngestWriter::SaveCheckpoint(int64_t offset, const std::string& state, int64_t updated_at,
                                    bool release) {
  std::optional<UploadedPart> part;
  if (uploads_ != nullptr) {
    auto sent = SendPart(offset, uploads_->min_part_bytes());
    if (!sent.ok()) return sent.status().WithContext(fmt::format("ingest \"{}\"", Printable(ref_)));
    part = *sent;
  }
  // A part's record must be durable before its local bytes go.
  const catalog::Sync sync = part ? catalog::Sync::kFull : catalog::Sync::kNormal;
  Status s = ctx_.catalog.Write(sync, [&](catalog::Transaction& tx) -> Status {
    catalog::IngestRows ingests(tx);
    const bool saved = release ? ingests.Release(ref_, token_, offset, state, updated_at)
                               : ingests.Checkpoint(ref_, token_, offset, state, updated_at);
    if (!saved) {
      return Status::FailedPrecondition(
          fmt::format("ingest \"{}\" was removed while its writer was open", Printable(ref_)));
    }
    if (part) {
      ingests.AddPart(ref_, token_, {part->number, part->size, part->etag}, offset, state);
    }
    return Status::OK();
  });
  if (s.ok() && part) PartRecorded(*part, offset);
  return s;
}

Result<std::optional<UploadedPart>> IngestWriter::SendPart(int64_t offset, int64_t min_bytes) {
  std::lock_guard lock(upload_mu_);
  if (offset - uploaded_ < min_bytes || offset < uploaded_) return std::optional<UploadedPart>();
  if (!upload_id_) {
    auto started = uploads_->Start(id_);
    if (!started.ok()) return started.status();
    // Named in the row before any part goes: an upload no row names is a
    // crash's leftover, which the collector may remove.
    Status s = ctx_.catalog.Write(catalog::Sync::kNormal, [&](catalog::Transaction& tx) -> Status {
      if (!catalog::IngestRows(tx).SetUpload(ref_, token_, *started)) {
        return Status::FailedPrecondition(
            fmt::format("ingest \"{}\" was removed while its writer was open", Printable(ref_)));
      }
      return Status::OK();
    });
    if (!s.ok()) {
      upload_id_ = *started;
      DiscardUpload();
      return s;
    }
    upload_id_ = *started;
  }
  if (!part_fd_.valid()) {
    auto fd = OpenAt(ctx_.env, dir_fd_.get(), data_file_.name, O_RDWR, 0, data_file_.path);
    if (!fd.ok()) return fd.status();
    part_fd_ = std::move(*fd);
  }
  UploadedPart part;
  part.number = static_cast<int>(parts_.size()) + 1;
  part.size = offset - uploaded_;
  auto etag = uploads_->PutPart(id_, *upload_id_, part.number, part_fd_.get(), uploaded_,
                                part.size, data_file_.path);
  if (!etag.ok()) return etag.status();
  part.etag = std::move(*etag);
  return std::optional<UploadedPart>(std::move(part));
}

void IngestWriter::PartRecorded(const UploadedPart& part, int64_t offset) {
  std::lock_guard lock(upload_mu_);
  const int64_t from = uploaded_;
  parts_.push_back(part);
  uploaded_ = offset;
  // The part's bytes are in the tier and its record is durable: give their
  // space back (the file keeps its length; a failure here costs space only,
  // so it is ignored).
  if (part_fd_.valid() && offset > from) {
    (void)::fallocate(part_fd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, from,
                      offset - from);
  }
}

void IngestWriter::DiscardUpload() {
  if (upload_id_ && uploads_ != nullptr) (void)uploads_->Discard(id_, *upload_id_);
  upload_id_.reset();
  parts_.clear();
  uploaded_ = 0;
}

Status IngestWriter::ReleaseWithoutCheckpoint() {
  return ctx_.catalog.Write(catalog::Sync::kNormal, [&](catalog::Transaction& tx) {
    catalog::IngestRows(tx).Unlock(ref_, token_);
    return Status::OK();
  });
}

Status IngestWriter::close() {
  if (state_ != State::kOpen) return Status::OK();
  state_ = State::kClosed;
  Status s = broken_.ok() ? Checkpoint(true) : ReleaseWithoutCheckpoint();
  data_.reset();
  ReleaseRef();
  return s;
}

}  // namespace contentstore
