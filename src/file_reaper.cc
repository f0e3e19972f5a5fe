#include "file_reaper.h"

#include <fcntl.h>

#include <chrono>
#include <set>
#include <vector>

#include "embedded_sql.h"
#include "store_impl.h"
#include "test_hooks.h"

namespace contentstore {
namespace {

// How long the background thread lets deletions gather before flushing a
// batch that is not full.
constexpr auto kGatherTime = std::chrono::milliseconds(20);

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
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || queued_ > 0; });
    if (stop_) return;
    wake_.wait_for(lock, kGatherTime, [&] { return stop_ || queued_ >= kBatch; });
    if (stop_) return;
    queued_ = 0;
    lock.unlock();
    (void)Flush();  // an error leaves the queue for the next flush
    lock.lock();
  }
}

Status FileReaper::Flush() {
  std::lock_guard flush_lock(flush_mu_);
  Catalog& catalog = store_.catalog();
  // 1. What is queued now, by this process or any other.
  std::vector<std::string> queued;
  bool nodes_to_check = false;
  Status s = catalog.Read([&](Session& session) {
    auto q = session.Prepare(sql::q::pending_deletion_list);
    while (q->executeStep()) queued.push_back(q->getColumn(0).getString());
    nodes_to_check = session.Prepare(sql::q::gc_nodes_to_check_any)->executeStep();
    return Status::OK();
  });
  if (!s.ok()) return s;
  // 6. Graph nodes left unused are forgotten with the files, in the
  // transactions that forget those (or alone when no file is queued):
  // outside the transaction that removed the rows, because nothing depends
  // on it but the catalog's size. A removed blob's own node goes with its
  // file; nodes that lost their last link were noted by the triggers.
  if (!queued.empty()) return DeleteFiles(queued, nodes_to_check);
  if (!nodes_to_check) return Status::OK();
  return catalog.Write(Catalog::Sync::kNormal, [](Session& session) {
    session.db().exec(std::string(sql::q::gc_forget_nodes));
    return Status::OK();
  });
}

Status FileReaper::DeleteFiles(const std::vector<std::string>& queued, bool forget_nodes) {
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
        auto forget = session.Prepare(sql::q::gc_forget_node_of);
        forget->bindNoCopy(1, queued[i]);
        forget->exec();
      }
      if (forget_nodes && end == queued.size()) {
        session.db().exec(std::string(sql::q::gc_forget_nodes));
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
