// The garbage collector (Store::collect_garbage): a collection that never
// stalls the store's writers.
//
// Protocol, and why nothing in use is lost:
//  0. One collection at a time: the collector holds an flock on ROOT/trash/
//     for the whole run (another collector waits for it).
//  1. Register. One short write transaction deletes the expired leases and
//     adds a row to gc_runs; from its commit on, the schema's triggers log in
//     gc_revivals every change that can make a digest reachable: a new
//     reference link, a new gc.root label, a lease taking content, an ingest
//     expecting a digest (migration 5), an image name created or pointed at
//     a new target (migration 6).
//  2. Mark, on a read snapshot taken after that commit, holding no write
//     lock: the roots and gc_links are read and walked in memory (GcMark,
//     the walk the view gc_reachable_ids is in SQL), and the blobs it does
//     not reach that were committed before the grace cutoff become the
//     candidates, in digest order. Anything committed after the snapshot is
//     not a candidate; anything changed after the registration is logged.
//  3. Sweep, in batches of candidates in digest order (blobs and blob_labels
//     are keyed by digest: a batch of neighbours shares pages, so the batches
//     together write each page about once, where batches of scattered rows
//     each rewrote most of the tables), each one short
//     write transaction that first walks from the log entries since the last
//     batch and spares what they reach, then re-checks each candidate (still
//     the same blob, still committed before the cutoff, so not committed
//     again meanwhile), queues its file in pending_file_deletions and deletes
//     its row (its links go by trigger). Between batches the collector steps
//     aside a little longer than a waiting writer's busy handler sleeps, so
//     writers waiting on it get their turn (SQLite's lock is not fair), and
//     the batch size adapts
//     to keep each hold near kTargetHold.
//  4. Unregister (the log is emptied), then the files: pending deletions are
//     flushed (file_reaper.h): the WAL is synced so the row deletions are
//     durable, then each file is taken out of the blob tier only if, inside a
//     later transaction, still no row names it. A commit of the same digest
//     that published its file meanwhile re-checks its file inside its own
//     transaction and puts it back if it was taken (commit.cc).
//  5. Ingests not written within the expiry and held by no unexpired lease
//     are aborted, unless a live writer holds them: their directory's flock is
//     taken (without waiting) before the row goes. Ingest directories that no
//     row names and no writer holds are removed too (what a killed writer
//     leaves).
// A crash anywhere leaves a row in gc_runs (the next collection or writable
// open clears it and the log), queued deletions (the next flush), or nothing.
// Blobs come before ingests so that a dry run (which aborts nothing) and the
// documented sqlite3 query see the same roots as a real run: an ingest's
// expected digest stays a root until the run after the ingest goes.
//
// "Now" is the catalog's view gc_now, read once per run: the same clock that
// decides, in gc_roots, which leases have expired.

#include "store/gc.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <span>

#include "catalog/gc_rows.h"
#include "catalog/ingest_rows.h"
#include "catalog/lease_rows.h"
#include "env/crash_point.h"
#include "env/unique_fd.h"
#include "store/gc_mark.h"
#include "store/ingest_sweep.h"
#include "store/recovery.h"
#include "util/timestamp.h"

namespace contentstore {
namespace {

// Stale ingests are aborted in batches, so a store with many of them does not
// run out of descriptors holding their locks.
constexpr size_t kIngestBatch = 128;

// How long one sweep transaction should hold the write lock, and the batch
// sizes it adapts between.
constexpr int64_t kTargetHoldNs = 30 * 1000 * 1000;
constexpr int64_t kFirstBatch = 1000, kMinBatch = 50, kMaxBatch = 50000;
// The pause between two sweep transactions: longer than the longest wait
// between two tries of the catalog's busy handler (2 ms).
constexpr int64_t kStepAsideMicros = 3000;

// An ingest about to be aborted, its directory locked (or gone), and its ref
// locked across nodes when the catalog is shared.
struct LockedIngest {
  std::string ref;
  std::string id;
  UniqueFd dir_fd;
  std::unique_ptr<catalog::NameLock> node_lock;
  std::optional<std::string> upload_id;
};

// Rows with a digest and a size (catalog::BlobSize, catalog::GcCandidate).
template <typename Row>
void AddRemoved(const std::vector<Row>& removed, GcReport& report) {
  for (const Row& b : removed) {
    auto digest = Digest::Parse(b.digest);
    if (!digest.ok()) continue;  // not a digest: no file to delete either
    report.removed_blobs.push_back(*digest);
    report.bytes_freed += b.size;
  }
}

}  // namespace

Result<GarbageCollector::CollectorLock> GarbageCollector::LockCollector(IngestContext& ctx,
                                                                        bool wait) {
  const std::string dir = ctx.layout.trash_dir();
  auto fd = OpenDir(ctx.env, dir);
  if (!fd.ok()) return fd.status();
  for (;;) {
    Status s = ctx.env.TryLock(fd->get(), dir);
    if (s.ok()) break;
    if (!s.IsUnavailable() || !wait) return s;
    ctx.env.SleepForMicros(10000);  // another collection runs: wait for it
  }
  for (;;) {
    auto across = ctx.catalog.TryLockName("collector");
    if (across.ok()) return CollectorLock{std::move(*fd), std::move(*across)};
    if (!across.status().IsUnavailable() || !wait) return across.status();
    // Another node collects: wait for it (each try is a round trip to the
    // catalog's server).
    ctx.env.SleepForMicros(200000);
  }
}

Status GarbageCollector::ClearAbandonedRun(IngestContext& ctx) {
  bool any = false;
  Status s = ctx.catalog.Read([&](catalog::Transaction& tx) {
    any = catalog::GcRows(tx).AnyRun();
    return Status::OK();
  });
  if (!s.ok() || !any) return s;
  auto lock = LockCollector(ctx, /*wait=*/false);
  if (lock.status().IsUnavailable()) return Status::OK();  // it is alive
  if (!lock.ok()) return lock.status();
  return ctx.catalog.Write(catalog::Sync::kNormal, [](catalog::Transaction& tx) {
    catalog::GcRows(tx).EndRun();
    return Status::OK();
  });
}

Status GarbageCollector::Write(GcReport& report,
                               const std::function<Status(catalog::Transaction&)>& body) {
  // The hold as writers feel it: the body and the COMMIT's writes, which
  // for a batch of thousands of rows took longer than the body.
  catalog::WriteTiming timing;
  Status s = ctx_.catalog.Write(catalog::Sync::kNormal, body, &timing);
  ++report.write_transactions;
  report.longest_write = std::max(report.longest_write, timing.locked);
  last_hold_ns_ = timing.locked.count();
  return s;
}

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
  if (options.dry_run) {
    if (Status b = DryRun(options, now, report); !b.ok()) return b;
  } else {
    auto lock = LockCollector(ctx_, /*wait=*/true);
    if (!lock.ok()) return lock.status().WithContext("gc");
    if (Status b = CollectBlobs(options, now, report); !b.ok()) return b;
    if (Status o = SweepOrphanIngestDirs(ctx_); !o.ok()) return o.WithContext("gc");
  }
  if (Status i = CollectIngests(options, now, report); !i.ok()) return i;
  if (!options.dry_run) {
    auto swept = SweepLeftoverUploads(ctx_, now - options.grace.count());
    if (!swept.ok()) return swept.status().WithContext("gc: leftover uploads");
  }
  std::sort(report.removed_blobs.begin(), report.removed_blobs.end());
  std::sort(report.removed_ingests.begin(), report.removed_ingests.end());
  report.duration = std::chrono::nanoseconds(ctx_.env.MonotonicNanos() - started);
  return report;
}

Status GarbageCollector::DryRun(const GcOptions& options, int64_t now, GcReport& report) {
  // The same selection, changing nothing. Expired leases already hold
  // nothing in gc_roots.
  const int64_t cutoff = now - options.grace.count();
  return ctx_.catalog
      .Read([&](catalog::Transaction& tx) {
        report.removed_leases = catalog::LeaseRows(tx).ExpiredIds(now);
        AddRemoved(MarkUnreached(tx, cutoff), report);
        return Status::OK();
      })
      .WithContext("gc");
}

Status GarbageCollector::CollectBlobs(const GcOptions& options, int64_t now, GcReport& report) {
  const int64_t cutoff = now - options.grace.count();
  // 1. Register.
  int64_t seen = 0;
  Status s = Write(report, [&](catalog::Transaction& tx) {
    catalog::LeaseRows leases(tx);
    report.removed_leases = leases.ExpiredIds(now);
    leases.DeleteExpired(now);
    catalog::GcRows gc(tx);
    gc.StartRun(::getpid(), now);
    seen = gc.LastRevival();
    return Status::OK();
  });
  if (!s.ok()) return s.WithContext("gc");
  // 2.-3., then 4.: the run ends whatever happened.
  s = MarkAndSweep(cutoff, now, seen, report);
  Status ended = Write(report, [](catalog::Transaction& tx) {
    catalog::GcRows(tx).EndRun();
    return Status::OK();
  });
  if (!s.ok()) return s.WithContext("gc");
  if (!ended.ok()) return ended.WithContext("gc");
  test_hooks::CrashPoint("gc.after_sweep");
  if (!options.wait_for_files) {
    std::vector<std::string> queued;
    for (const Digest& d : report.removed_blobs) queued.push_back(d.str());
    reaper_.Queued(std::move(queued));
    return Status::OK();
  }
  return reaper_.Flush().WithContext("gc: deleting files");
}

Status GarbageCollector::MarkAndSweep(int64_t cutoff, int64_t now, int64_t seen,
                                      GcReport& report) {
  // 2. Mark, on a snapshot.
  std::vector<catalog::GcCandidate> candidates;
  Status s = ctx_.catalog.Read([&](catalog::Transaction& tx) {
    catalog::GcRows(tx).ClearScratch();
    candidates = MarkUnreached(tx, cutoff);
    return Status::OK();
  });
  if (!s.ok() || candidates.empty()) return s;
  test_hooks::CrashPoint("gc.after_mark");
  // 3. Sweep.
  const std::span<const catalog::GcCandidate> all(candidates);
  int64_t limit = kFirstBatch;
  for (size_t next = 0; next < all.size();) {
    const auto batch = all.subspan(next, std::min(all.size() - next, static_cast<size_t>(limit)));
    s = Write(report, [&](catalog::Transaction& tx) {
      catalog::GcRows gc(tx);
      gc.Revive(seen);
      seen = gc.LastRevival();
      AddRemoved(gc.SweepBatch(batch, cutoff, now), report);
      return Status::OK();
    });
    if (!s.ok()) return s;
    next += batch.size();
    if (next == all.size()) break;
    // Step aside for writers, and keep the next hold near the target. A
    // writer that waited for our lock polls at least every 2 ms (the
    // catalog's busy handler), so a gap a little longer lets every waiting
    // writer in; sleeping as long as the batch held the lock, as before,
    // only made the collection twice as long when nobody waited.
    ctx_.env.SleepForMicros(kStepAsideMicros);
    if (last_hold_ns_ > kTargetHoldNs) {
      limit = std::max(kMinBatch, limit / 2);
    } else if (last_hold_ns_ < kTargetHoldNs / 2) {
      limit = std::min(kMaxBatch, limit * 2);
    }
  }
  return Status::OK();
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
      // A writer on another node sharing the catalog holds its ref there.
      auto node_lock = LockRefAcrossNodes(ctx_, c.ref);
      if (!node_lock.ok()) {
        if (node_lock.status().IsUnavailable()) continue;
        return node_lock.status().WithContext("gc");
      }
      auto dir_fd = ctx_.dirs.OpenLocked(c.id);
      if (!dir_fd.ok() && !dir_fd.status().IsNotFound()) {
        if (dir_fd.status().IsUnavailable()) continue;  // a live writer
        return dir_fd.status();
      }
      if (dir_fd.ok()) {
        // A writer that died recently wrote after its last checkpoint: the
        // data file's time says so.
        const LocalFile data = ctx_.dirs.DataFile(c.id, dir_fd->get());
        auto st = ctx_.env.StatAt(data.dir_fd, data.name, data.path);
        if (st.ok() && MtimeNanos(*st) >= cutoff) {
          continue;
        }
        if (!options.dry_run) {
          auto recovered = RecoverIngestDir(ctx_, c.ref, c.id, dir_fd->get());
          if (!recovered.ok()) return recovered.status();
          if (*recovered == IngestRecovery::kRemoved) continue;
        }
      }
      locked.push_back({c.ref, c.id, dir_fd.ok() ? std::move(*dir_fd) : UniqueFd(),
                        std::move(*node_lock), c.upload_id});
    }
    for (const LockedIngest& l : locked) report.removed_ingests.push_back(l.ref);
    if (options.dry_run || locked.empty()) continue;
    s = Write(report, [&](catalog::Transaction& tx) {
      catalog::IngestRows ingests(tx);
      catalog::LeaseRows leases(tx);
      for (const LockedIngest& l : locked) {
        ingests.Delete(l.ref);
        leases.DropIngest(l.ref);
      }
      return Status::OK();
    });
    if (s.ok()) s = ctx_.catalog.SyncWal();
    if (!s.ok()) return s.WithContext("gc: aborting stale ingests");
    for (const LockedIngest& l : locked) {
      DiscardIngestUpload(ctx_, l.id, l.upload_id);
      if (l.dir_fd.valid()) (void)ctx_.dirs.Remove(l.id, l.dir_fd.get());
    }
  }
  return Status::OK();
}

}  // namespace contentstore
