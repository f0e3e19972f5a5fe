// The garbage collector (Store::collect_garbage).
//
// Protocol, and why nothing in use is lost:
//  1. Blobs. One write transaction (BEGIN IMMEDIATE, durable) deletes the
//     expired leases, then marks and sweeps in set-based SQL: the view
//     gc_reachable_ids (a recursive CTE from gc_roots over gc_links, the
//     reference graph with numbers that triggers keep) goes into a temp
//     table; blobs it does not hold, minus those younger than the grace
//     period, go into another, into pending_file_deletions, and out of blobs
//     (their links go by trigger). Graph nodes left unused are forgotten
//     later, with the files (file_reaper.cc). A commit is a transaction
//     too, so it lands wholly before (and its blob is marked like any other,
//     protected by the grace period) or wholly after (and the collector never
//     saw it). Leases, gc.root labels and ingests' expected digests are read
//     inside the same transaction, so a root added before it counts.
//  2. Files. Pending deletions are flushed (store_impl.cc): the WAL is synced
//     so the row deletions are durable, then each file is unlinked only if,
//     inside a later transaction, still no row names it. A commit of the same
//     digest that renamed its file meanwhile re-checks its file inside its own
//     transaction and puts it back if it was unlinked (commit.cc).
//  3. Ingests not written within the expiry and held by no unexpired lease
//     are aborted, unless a live writer holds them: their directory's flock is
//     taken (without waiting) before the row goes, so a writer that is still
//     alive keeps its ingest, and one that starts meanwhile finds the lock.
// Blobs come before ingests so that a dry run (which aborts nothing) and the
// documented sqlite3 query see the same roots as a real run: an ingest's
// expected digest stays a root until the run after the ingest goes.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>

#include "util/clock.h"
#include "embedded_sql.h"
#include "catalog/ingest_row.h"
#include "store/recovery.h"
#include "store/store_impl.h"
#include "env/test_hooks.h"

namespace contentstore {
namespace {

// Locks held on the ingest directories a run is about to abort.
struct LockedIngest {
  std::string ref;
  std::string id;
  posix::UniqueFd dir_fd;
};

}  // namespace

Result<GcReport> StoreImpl::collect_garbage(const GcOptions& options) {
  if (options.grace.count() < 0 || options.ingest_expiry.count() < 0) {
    return Status::InvalidArgument("gc: grace period and ingest expiry must not be negative");
  }
  const int64_t started = MonotonicNanos();
  const int64_t now = NowNanos();
  const int64_t blob_cutoff = now - options.grace.count();
  const int64_t ingest_cutoff = now - options.ingest_expiry.count();
  GcReport report;

  // 1. Blobs (and expired leases).
  auto collect_blobs = [&](Session& session, bool sweep) -> Status {
    {
      auto q = session.Prepare(sql::q::gc_expired_leases);
      q->bind(1, now);
      while (q->executeStep()) report.removed_leases.push_back(q->getColumn(0).getString());
    }
    auto read_doomed = [&](std::string_view query) {
      auto q = session.Prepare(query);
      if (!sweep) q->bind(1, blob_cutoff);
      while (q->executeStep()) {
        auto digest = Digest::Parse(q->getColumn(0).getString());
        if (!digest.ok()) continue;  // not a digest: no file to delete either
        report.removed_blobs.push_back(*digest);
        report.bytes_freed += q->getColumn(1).getInt64();
      }
    };
    if (!sweep) {
      // The dry run: the same selection, changing nothing. Expired leases
      // already hold nothing in gc_roots.
      read_doomed(sql::q::gc_would_remove);
      return Status::OK();
    }
    auto expire = session.Prepare(sql::q::gc_delete_expired_leases);
    expire->bind(1, now);
    expire->exec();
    session.db().exec(std::string(sql::q::gc_temp_create));
    session.db().exec(std::string(sql::q::gc_temp_clear));
    session.Prepare(sql::q::gc_mark)->exec();
    auto mark = session.Prepare(sql::q::gc_doomed_mark);
    mark->bind(1, blob_cutoff);
    mark->exec();
    auto queue = session.Prepare(sql::q::gc_doomed_queue_files);
    queue->bind(1, now);
    queue->exec();
    session.Prepare(sql::q::gc_doomed_delete_rows)->exec();
    read_doomed(sql::q::gc_doomed_list);
    session.db().exec(std::string(sql::q::gc_temp_clear));
    return Status::OK();
  };
  Status s = options.dry_run
                 ? catalog_->Read([&](Session& session) { return collect_blobs(session, false); })
                 : catalog_->Write(Catalog::Sync::kFull,
                                   [&](Session& session) { return collect_blobs(session, true); });
  if (!s.ok()) return s.WithContext("gc");
  if (!options.dry_run) {
    test_hooks::CrashPoint("gc.after_sweep");
    if (options.wait_for_files) {
      if (Status f = FlushPendingDeletions(); !f.ok()) return f.WithContext("gc: deleting files");
    } else {
      reaper_->Queued();
    }
  }

  // 2. Stale ingests.
  struct Candidate {
    std::string ref, id;
  };
  std::vector<Candidate> candidates;
  s = catalog_->Read([&](Session& session) {
    auto q = session.Prepare(sql::q::gc_stale_ingests);
    q->bind(1, ingest_cutoff);
    q->bind(2, now);
    while (q->executeStep()) {
      candidates.push_back({q->getColumn(0).getString(), q->getColumn(1).getString()});
    }
    return Status::OK();
  });
  if (!s.ok()) return s.WithContext("gc");
  // In batches, so a store with many stale ingests does not run out of
  // descriptors holding their locks.
  constexpr size_t kBatch = 128;
  for (size_t start = 0; start < candidates.size(); start += kBatch) {
    std::vector<LockedIngest> locked;
    for (size_t i = start; i < std::min(candidates.size(), start + kBatch); ++i) {
      const Candidate& c = candidates[i];
      const std::string dir = layout_.ingest_dir(c.id);
      auto dir_fd = posix::OpenAt(ingest_root_fd(), c.id, O_RDONLY | O_DIRECTORY, 0, dir);
      if (!dir_fd.ok() && !dir_fd.status().IsNotFound()) return dir_fd.status();
      if (dir_fd.ok()) {
        if (!posix::TryLockExclusive(dir_fd->get(), dir).ok()) continue;  // a live writer
        // A writer that died recently wrote after its last checkpoint: the
        // data file's time says so.
        struct stat st {};
        if (::fstatat(dir_fd->get(), Layout::kDataFile, &st, 0) == 0 &&
            int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec >= ingest_cutoff) {
          continue;
        }
        if (!options.dry_run) {
          auto recovered = RecoverIngestDir(*this, c.ref, c.id, dir_fd->get());
          if (!recovered.ok()) return recovered.status();
          if (*recovered == IngestRecovery::kRemoved) continue;
        }
      }
      locked.push_back({c.ref, c.id, dir_fd.ok() ? std::move(*dir_fd) : posix::UniqueFd()});
    }
    for (const LockedIngest& l : locked) report.removed_ingests.push_back(l.ref);
    if (options.dry_run || locked.empty()) continue;
    s = catalog_->Write(Catalog::Sync::kFull, [&](Session& session) {
      for (const LockedIngest& l : locked) {
        auto q = session.Prepare(sql::q::ingest_delete);
        q->bindNoCopy(1, l.ref);
        q->exec();
        DropIngestLeases(session, l.ref);
      }
      return Status::OK();
    });
    if (!s.ok()) return s.WithContext("gc: aborting stale ingests");
    for (const LockedIngest& l : locked) {
      if (l.dir_fd.valid()) (void)RemoveIngestFiles(*this, l.id, l.dir_fd.get());
    }
  }

  std::sort(report.removed_blobs.begin(), report.removed_blobs.end());
  std::sort(report.removed_ingests.begin(), report.removed_ingests.end());
  report.duration = std::chrono::nanoseconds(MonotonicNanos() - started);
  return report;
}

}  // namespace contentstore
