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
//     later, with the files (file_reaper.h). A commit is a transaction
//     too, so it lands wholly before (and its blob is marked like any other,
//     protected by the grace period) or wholly after (and the collector never
//     saw it). Leases, gc.root labels and ingests' expected digests are read
//     inside the same transaction, so a root added before it counts.
//  2. Files. Pending deletions are flushed (file_reaper.h): the WAL is
//     synced so the row deletions are durable, then each file is taken out of
//     the blob tier only if, inside a later transaction, still no row names
//     it. A commit of the same digest that published its file meanwhile
//     re-checks its file inside its own transaction and puts it back if it
//     was taken (commit.cc).
//  3. Ingests not written within the expiry and held by no unexpired lease
//     are aborted, unless a live writer holds them: their directory's flock is
//     taken (without waiting) before the row goes, so a writer that is still
//     alive keeps its ingest, and one that starts meanwhile finds the lock.
// Blobs come before ingests so that a dry run (which aborts nothing) and the
// documented sqlite3 query see the same roots as a real run: an ingest's
// expected digest stays a root until the run after the ingest goes.
//
// "Now" is the catalog's view gc_now, read once per run: the same clock that
// decides, in gc_roots, which leases have expired.

#include "store/gc.h"

#include <sys/stat.h>

#include <algorithm>

#include "catalog/gc_rows.h"
#include "catalog/ingest_rows.h"
#include "catalog/lease_rows.h"
#include "env/crash_point.h"
#include "env/unique_fd.h"
#include "files/layout.h"
#include "store/recovery.h"

namespace contentstore {
namespace {

// Stale ingests are aborted in batches, so a store with many of them does not
// run out of descriptors holding their locks.
constexpr size_t kIngestBatch = 128;

// An ingest about to be aborted, its directory locked (or gone).
struct LockedIngest {
  std::string ref;
  std::string id;
  UniqueFd dir_fd;
};

void AddDoomed(const std::vector<catalog::BlobSize>& doomed, GcReport& report) {
  for (const catalog::BlobSize& b : doomed) {
    auto digest = Digest::Parse(b.digest);
    if (!digest.ok()) continue;  // not a digest: no file to delete either
    report.removed_blobs.push_back(*digest);
    report.bytes_freed += b.size;
  }
}

}  // namespace

Result<GcReport> GarbageCollector::Run(const GcOptions& options) {
  if (options.grace.count() < 0 || options.ingest_expiry.count() < 0) {
    return Status::InvalidArgument("gc: grace period and ingest expiry must not be negative");
  }
  if (!options.dry_run && ctx_.catalog.read_only()) {
    return Status::FailedPrecondition("gc: the store is open read-only (use a dry run)");
  }
  const int64_t started = ctx_.env.MonotonicNanos();
  int64_t now = 0;
  Status s = ctx_.catalog.Read([&](catalog::Transaction& tx) {
    now = catalog::GcRows(tx).Now();
    return Status::OK();
  });
  if (!s.ok()) return s.WithContext("gc");
  GcReport report;
  if (Status b = CollectBlobs(options, now, report); !b.ok()) return b;
  if (Status i = CollectIngests(options, now, report); !i.ok()) return i;
  std::sort(report.removed_blobs.begin(), report.removed_blobs.end());
  std::sort(report.removed_ingests.begin(), report.removed_ingests.end());
  report.duration = std::chrono::nanoseconds(ctx_.env.MonotonicNanos() - started);
  return report;
}

Status GarbageCollector::CollectBlobs(const GcOptions& options, int64_t now, GcReport& report) {
  const int64_t cutoff = now - options.grace.count();
  Status s;
  if (options.dry_run) {
    // The same selection, changing nothing. Expired leases already hold
    // nothing in gc_roots.
    s = ctx_.catalog.Read([&](catalog::Transaction& tx) {
      report.removed_leases = catalog::LeaseRows(tx).ExpiredIds(now);
      AddDoomed(catalog::GcRows(tx).WouldRemove(cutoff), report);
      return Status::OK();
    });
    return s.WithContext("gc");
  }
  s = ctx_.catalog.Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) {
    catalog::LeaseRows leases(tx);
    report.removed_leases = leases.ExpiredIds(now);
    leases.DeleteExpired(now);
    catalog::GcRows gc(tx);
    gc.ClearScratch();
    gc.Mark();
    gc.SelectDoomed(cutoff);
    gc.SweepDoomed(now);
    AddDoomed(gc.Doomed(), report);
    gc.ClearScratch();
    return Status::OK();
  });
  if (!s.ok()) return s.WithContext("gc");
  test_hooks::CrashPoint("gc.after_sweep");
  if (!options.wait_for_files) {
    reaper_.Queued();
    return Status::OK();
  }
  return reaper_.Flush().WithContext("gc: deleting files");
}

Status GarbageCollector::CollectIngests(const GcOptions& options, int64_t now,
                                        GcReport& report) {
  const int64_t cutoff = now - options.ingest_expiry.count();
  std::vector<catalog::IngestPlace> candidates;
  Status s = ctx_.catalog.Read([&](catalog::Transaction& tx) {
    candidates = catalog::IngestRows(tx).Stale(cutoff, now);
    return Status::OK();
  });
  if (!s.ok()) return s.WithContext("gc");
  for (size_t start = 0; start < candidates.size(); start += kIngestBatch) {
    std::vector<LockedIngest> locked;
    for (size_t i = start; i < std::min(candidates.size(), start + kIngestBatch); ++i) {
      const catalog::IngestPlace& c = candidates[i];
      auto dir_fd = ctx_.dirs.OpenExisting(c.id);
      if (!dir_fd.ok() && !dir_fd.status().IsNotFound()) return dir_fd.status();
      if (dir_fd.ok()) {
        if (!ctx_.dirs.TryLock(c.id, dir_fd->get()).ok()) continue;  // a live writer
        // A writer that died recently wrote after its last checkpoint: the
        // data file's time says so.
        const LocalFile data = ctx_.dirs.DataFile(c.id, dir_fd->get());
        auto st = ctx_.env.StatAt(data.dir_fd, data.name, data.path);
        if (st.ok() &&
            int64_t{st->st_mtim.tv_sec} * 1000000000 + st->st_mtim.tv_nsec >= cutoff) {
          continue;
        }
        if (!options.dry_run) {
          auto recovered = RecoverIngestDir(ctx_, c.ref, c.id, dir_fd->get());
          if (!recovered.ok()) return recovered.status();
          if (*recovered == IngestRecovery::kRemoved) continue;
        }
      }
      locked.push_back({c.ref, c.id, dir_fd.ok() ? std::move(*dir_fd) : UniqueFd()});
    }
    for (const LockedIngest& l : locked) report.removed_ingests.push_back(l.ref);
    if (options.dry_run || locked.empty()) continue;
    s = ctx_.catalog.Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) {
      catalog::IngestRows ingests(tx);
      catalog::LeaseRows leases(tx);
      for (const LockedIngest& l : locked) {
        ingests.Delete(l.ref);
        leases.DropIngest(l.ref);
      }
      return Status::OK();
    });
    if (!s.ok()) return s.WithContext("gc: aborting stale ingests");
    for (const LockedIngest& l : locked) {
      if (l.dir_fd.valid()) (void)ctx_.dirs.Remove(l.id, l.dir_fd.get());
    }
  }
  return Status::OK();
}

}  // namespace contentstore
