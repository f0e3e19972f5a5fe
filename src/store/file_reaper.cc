#include "store/file_reaper.h"

#include <fcntl.h>

#include <chrono>
#include <set>
#include <vector>

#include "embedded_sql.h"
#include "store/store_impl.h"
#include "env/test_hooks.h"

namespace contentstore {
namespace {

// How long the background thread lets deletions gather before flushing a
// batch that is not full.
constexpr auto kGatherTime = std::chrono::milliseconds(20);

// How long deletions must pause before the background thread forgets the
// graph nodes they left unused: housekeeping waits for a quiet moment rather
// than competing with a burst of removals for the catalog.
constexpr auto kQuietTime = std::chrono::milliseconds(200);

std::string TrashName(const Digest& digest) {
  return std::string(AlgorithmName(digest.algorithm())) + "-" + digest.hex();
}

}  // namespace

FileReaper::FileReaper(StoreImpl& store) : store_(store) {}

FileReaper::~FileReaper() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  (void)Flush();
}

void FileReaper::Queued() {
  std::lock_guard lock(mu_);
  ++queued_;
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  if (queued_ == 1 || queued_ >= kBatch) wake_.notify_all();
}

void FileReaper::Run() {
  std::unique_lock lock(mu_);
  bool nodes_pending = false;
  for (;;) {
    if (nodes_pending &&
        !wake_.wait_for(lock, kQuietTime, [&] { return stop_ || queued_ > 0; })) {
      lock.unlock();
      (void)ForgetUnusedNodes();  // an error leaves them for the next time
      lock.lock();
      nodes_pending = false;
    }
    wake_.wait(lock, [&] { return stop_ || queued_ > 0; });
    if (stop_) return;
    wake_.wait_for(lock, kGatherTime, [&] { return stop_ || queued_ >= kBatch; });
    if (stop_) return;
    queued_ = 0;
    lock.unlock();
    (void)DeleteQueuedFiles();  // an error leaves the queue for the next flush
    lock.lock();
    nodes_pending = true;
  }
}

Status FileReaper::Flush() {
  if (Status s = DeleteQueuedFiles(); !s.ok()) return s;
  return ForgetUnusedNodes();
}

Status FileReaper::DeleteQueuedFiles() {
  std::lock_guard flush_lock(flush_mu_);
  // 1. What is queued now, by this process or any other.
  std::vector<std::string> queued;
  Status s = store_.catalog().Read([&](Session& session) {
    auto q = session.Prepare(sql::q::pending_deletion_list);
    while (q->executeStep()) queued.push_back(q->getColumn(0).getString());
    return Status::OK();
  });
  if (!s.ok() || queued.empty()) return s;
  return DeleteFiles(queued);
}

// 6. Graph nodes that removals and label changes may have left unused
// (gc_nodes_to_check): forgotten in their own transaction, apart from the
// ones that removed the rows, because nothing depends on it but the
// catalog's size.
Status FileReaper::ForgetUnusedNodes() {
  std::lock_guard flush_lock(flush_mu_);
  Catalog& catalog = store_.catalog();
  bool any = false;
  Status s = catalog.Read([&](Session& session) {
    any = session.Prepare(sql::q::gc_nodes_to_check_any)->executeStep();
    return Status::OK();
  });
  if (!s.ok() || !any) return s;
  return catalog.Write(Catalog::Sync::kNormal, [](Session& session) {
    session.db().exec(std::string(sql::q::gc_forget_nodes));
    return Status::OK();
  });
}

Status FileReaper::DeleteFiles(const std::vector<std::string>& queued) {
  Catalog& catalog = store_.catalog();
  const Layout& layout = store_.layout();
  Status s;
  // 2. Those row deletions become durable before any file goes.
  if (Status w = catalog.SyncWal(); !w.ok()) return w;
  auto trash = posix::OpenDir(layout.trash_dir());
  if (!trash.ok()) return trash.status();

  for (size_t start = 0; start < queued.size(); start += kBatch) {
    const size_t end = std::min(queued.size(), start + kBatch);
    // 3. Move the files of digests that still have no row out of blobs/.
    std::vector<std::string> moved;
    std::set<Algorithm> touched;
    s = catalog.Write(Catalog::Sync::kNormal, [&](Session& session) -> Status {
      for (size_t i = start; i < end; ++i) {
        auto digest = Digest::Parse(queued[i]);
        if (!digest.ok()) continue;
        auto exists = session.Prepare(sql::q::blob_size);
        exists->bindNoCopy(1, queued[i]);
        if (exists->executeStep()) continue;  // committed again: keep the file
        auto dir = store_.blob_dir_fd(digest->algorithm());
        if (!dir.ok()) return dir.status();
        Status r = posix::Rename(*dir, digest->hex(), trash->get(), TrashName(*digest),
                                 layout.trash_dir() + "/" + TrashName(*digest));
        if (r.IsNotFound()) continue;
        if (!r.ok()) return r;
        moved.push_back(TrashName(*digest));
        touched.insert(digest->algorithm());
      }
      return Status::OK();
    });
    if (!s.ok()) return s;
    test_hooks::CrashPoint("reaper.after_trash");
    // 4. The slow part, holding no lock.
    for (const std::string& name : moved) {
      Status u = posix::UnlinkAt(trash->get(), name, 0, layout.trash_dir() + "/" + name);
      if (!u.ok() && !u.IsNotFound()) return u;
    }
    // 5. Forget the batch only once its files are durably out of blobs/.
    for (Algorithm algorithm : touched) {
      if (Status d = store_.SyncBlobDir(algorithm); !d.ok()) return d;
    }
    s = catalog.Write(Catalog::Sync::kNormal, [&](Session& session) {
      for (size_t i = start; i < end; ++i) {
        auto done = session.Prepare(sql::q::pending_deletion_remove);
        done->bindNoCopy(1, queued[i]);
        done->exec();
        // The removed blob's graph node, to be forgotten later unless a
        // link names it or the blob comes back.
        auto check = session.Prepare(sql::q::gc_check_node_of);
        check->bindNoCopy(1, queued[i]);
        check->exec();
      }
      return Status::OK();
    });
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status FileReaper::EmptyTrash() {
  const std::string dir = store_.layout().trash_dir();
  auto fd = posix::OpenDir(dir);
  if (!fd.ok()) return fd.status();
  for (const std::string& name : posix::ListDir(dir)) {
    Status u = posix::UnlinkAt(fd->get(), name, 0, dir + "/" + name);
    if (!u.ok() && !u.IsNotFound()) return u;
  }
  return Status::OK();
}

}  // namespace contentstore
