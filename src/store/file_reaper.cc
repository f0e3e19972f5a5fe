#include "store/file_reaper.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <vector>

#include "catalog/blob_rows.h"
#include "catalog/deletion_queue.h"
#include "catalog/gc_rows.h"
#include "env/crash_point.h"
#include "env/thread_name.h"

namespace contentstore {
namespace {

// How long the background thread lets deletions gather before flushing a
// batch that is not full.
constexpr auto kGatherTime = std::chrono::milliseconds(20);

// How long deletions must pause before the background thread forgets the
// graph nodes they left unused: housekeeping waits for a quiet moment rather
// than competing with a burst of removals for the catalog.
constexpr auto kQuietTime = std::chrono::milliseconds(200);

}  // namespace

FileReaper::FileReaper(catalog::Catalog& catalog, BlobTier& blobs)
    : catalog_(catalog), blobs_(blobs) {}

FileReaper::~FileReaper() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<std::string> own;
  {
    std::lock_guard lock(mu_);
    own.swap(own_);
  }
  if (!own.empty()) (void)DeleteFiles(own);  // what is left waits for a flush
}

void FileReaper::Queued(std::vector<std::string> digests) {
  if (digests.empty()) return;
  std::lock_guard lock(mu_);
  const bool was_empty = own_.empty();
  own_.insert(own_.end(), std::make_move_iterator(digests.begin()),
              std::make_move_iterator(digests.end()));
  if (!thread_.joinable()) {
    thread_ = std::thread([this] {
      NameThisThread("reaper");
      Run();
    });
  }
  if (was_empty || own_.size() >= kBatch) wake_.notify_all();
}

void FileReaper::Run() {
  std::unique_lock lock(mu_);
  bool nodes_pending = false;
  for (;;) {
    if (nodes_pending &&
        !wake_.wait_for(lock, kQuietTime, [&] { return stop_ || !own_.empty(); })) {
      lock.unlock();
      (void)ForgetUnusedNodes();  // an error leaves them for the next time
      lock.lock();
      nodes_pending = false;
    }
    wake_.wait(lock, [&] { return stop_ || !own_.empty(); });
    if (stop_) return;
    wake_.wait_for(lock, kGatherTime, [&] { return stop_ || own_.size() >= kBatch; });
    if (stop_) return;
    std::vector<std::string> batch;
    batch.swap(own_);
    lock.unlock();
    (void)DeleteFiles(batch);  // an error leaves the queue entries for a flush
    lock.lock();
    nodes_pending = true;
  }
}

Status FileReaper::Flush() {
  if (catalog_.read_only()) return Status::OK();
  std::vector<std::string> queued;
  Status s = catalog_.Read([&](catalog::Transaction& tx) {
    queued = catalog::DeletionQueue(tx).List();
    return Status::OK();
  });
  if (!s.ok()) return s;
  if (Status d = DeleteFiles(queued); !d.ok()) return d;
  {
    std::lock_guard flush_lock(flush_mu_);
    if (Status p = blobs_.PurgeAllRetired(); !p.ok()) return p;
  }
  return ForgetUnusedNodes();
}

// Graph nodes that removals and label changes may have left unused
// (gc_nodes_to_check): forgotten in their own transaction, apart from the
// ones that removed the rows, because nothing depends on it but the
// catalog's size.
Status FileReaper::ForgetUnusedNodes() {
  if (catalog_.read_only()) return Status::OK();
  std::lock_guard flush_lock(flush_mu_);
  bool any = false;
  Status s = catalog_.Read([&](catalog::Transaction& tx) {
    any = catalog::GcRows(tx).AnyNodesToCheck();
    return Status::OK();
  });
  if (!s.ok() || !any) return s;
  return catalog_.Write(catalog::Sync::kNormal, [](catalog::Transaction& tx) {
    catalog::GcRows(tx).ForgetUnusedNodes();
    return Status::OK();
  });
}

Status FileReaper::DeleteFiles(const std::vector<std::string>& queued) {
  if (queued.empty()) return Status::OK();
  std::lock_guard flush_lock(flush_mu_);
  // 1. Those row deletions become durable before any file goes.
  if (Status w = catalog_.SyncWal(); !w.ok()) return w;
  const size_t batch = std::max<size_t>(1, std::min(kBatch, blobs_.RetiresPerTransaction()));
  for (size_t start = 0; start < queued.size(); start += batch) {
    const size_t end = std::min(queued.size(), start + batch);
    // 2. Take the files of digests that still have no row out of blobs/.
    std::set<Algorithm> touched;
    std::vector<Digest> retired;
    Status s = catalog_.Write(catalog::Sync::kNormal, [&](catalog::Transaction& tx) -> Status {
      catalog::BlobRows blobs(tx);
      for (size_t i = start; i < end; ++i) {
        auto digest = Digest::Parse(queued[i]);
        if (!digest.ok()) continue;
        if (blobs.Exists(queued[i])) continue;  // committed again: keep the file
        Status r = blobs_.Retire(*digest);
        if (r.IsNotFound()) continue;
        if (!r.ok()) return r;
        touched.insert(digest->algorithm());
        retired.push_back(*digest);
      }
      return Status::OK();
    });
    if (!s.ok()) return s;
    test_hooks::CrashPoint("reaper.after_trash");
    // 3. The slow part, holding no lock.
    if (Status p = blobs_.Purge(retired); !p.ok()) return p;
    // 4. Forget the batch only once its files are durably out of blobs/.
    for (Algorithm algorithm : touched) {
      if (Status d = blobs_.SyncPublished(algorithm); !d.ok()) return d;
    }
    s = catalog_.Write(catalog::Sync::kNormal, [&](catalog::Transaction& tx) {
      catalog::DeletionQueue queue(tx);
      catalog::GcRows graph(tx);
      for (size_t i = start; i < end; ++i) {
        queue.Remove(queued[i]);
        // The removed blob's graph node, to be forgotten later unless a
        // link names it or the blob comes back.
        graph.CheckNodeOf(queued[i]);
      }
      return Status::OK();
    });
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace contentstore
