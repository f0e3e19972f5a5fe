// Store::put_blobs: many small blobs committed with one directory fsync, one
// catalog transaction and one WAL sync.
//
//   1. hash every input in memory, check expected digests and labels;
//   2. drop what is already committed (AlreadyExists);
//   3. stage each new blob as batches/<token>/<alg>-<hex> (fdatasync'ed, mode
//      0444) in a directory this call holds an flock on;
//   4. hard-link each staged file to blobs/<alg>/<hex> (never replacing a file
//      of the right size), and fsync blobs/<alg>/;
//   5. one durable transaction: check each linked file is there, insert the
//      rows and labels (and lease holds);
//   6. remove the staging directory.
// Links, not renames, keep the staged names until the transaction is done, so
// a process that dies between 4 and 5 leaves a directory that says exactly
// which blob files it put in place: the next Store::Open (RecoverBatches)
// removes those that no row names and that are still the same file. A file
// removed by a concurrent deletion between 4 and 5 is linked again from the
// staged copy, as commit() does with its descriptor.

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <map>

#include "util/clock.h"
#include "contentstore/validate.h"
#include "embedded_sql.h"
#include "util/hasher.h"
#include "catalog/lease_rows.h"
#include "store/store_impl.h"
#include "env/test_hooks.h"
#include "util/text.h"

namespace contentstore {
namespace {

std::string StagedName(const Digest& d) {
  return std::string(AlgorithmName(d.algorithm())) + "-" + d.hex();
}

// Removes a staging directory and what is in it.
void RemoveBatchDir(StoreImpl& store, const std::string& name, int dir_fd) {
  const std::string dir = store.layout().batches_dir() + "/" + name;
  for (const std::string& file : posix::ListDir(dir)) {
    (void)posix::UnlinkAt(dir_fd, file, 0, dir + "/" + file);
  }
  auto root = posix::OpenDir(store.layout().batches_dir());
  if (root.ok()) (void)posix::UnlinkAt(root->get(), name, AT_REMOVEDIR, dir);
}

}  // namespace

Result<std::vector<Status>> StoreImpl::put_blobs(std::span<const BlobInput> blobs,
                                                 const PutOptions& options) {
  if (options.lease) {
    if (Status s = ValidateLeaseId(*options.lease); !s.ok()) return s;
  }
  std::vector<Status> results(blobs.size());
  struct Item {
    size_t index;
    Digest digest;
  };
  // 1. Hash and check, in memory.
  std::vector<Item> items;
  std::map<Digest, size_t> first_of;  // a digest twice in one batch: the first wins
  for (size_t i = 0; i < blobs.size(); ++i) {
    const BlobInput& b = blobs[i];
    if (Status s = ValidateLabels(b.labels); !s.ok()) {
      results[i] = s;
      continue;
    }
    Hasher hasher(options.algorithm);
    hasher.update(b.bytes.data(), b.bytes.size());
    Digest digest = hasher.digest();
    if (b.expected && *b.expected != digest) {
      results[i] = Status::FailedPrecondition(
          fmt::format("blob {} of the batch hashes to {}, expected {}", i, digest.str(),
                      b.expected->str()));
      continue;
    }
    if (first_of.count(digest)) {
      results[i] = Status::AlreadyExists(fmt::format("blob {} already exists", digest.str()));
      continue;
    }
    first_of[digest] = i;
    items.push_back({i, std::move(digest)});
  }

  // 2. What is already committed stays as it is.
  std::vector<Item> fresh;
  std::vector<std::string> lease_holds;  // every digest of the batch, for the lease
  Status s = catalog_->Read([&](Session& session) -> Status {
    if (options.lease) {
      if (Status r = RequireLease(session, *options.lease); !r.ok()) return r;
    }
    for (const Item& item : items) {
      lease_holds.push_back(item.digest.str());
      auto q = session.Prepare(sql::q::blob_size);
      q->bind(1, item.digest.str());
      if (q->executeStep()) {
        results[item.index] =
            Status::AlreadyExists(fmt::format("blob {} already exists", item.digest.str()));
      } else {
        fresh.push_back(item);
      }
    }
    return Status::OK();
  });
  if (!s.ok()) return s;

  // 3. Stage.
  const std::string token = posix::RandomHex(16);
  const std::string batch_dir = layout_.batches_dir() + "/" + token;
  posix::UniqueFd dir_fd;
  if (!fresh.empty()) {
    if (Status m = posix::MakeDir(batch_dir); !m.ok()) return m;
    auto opened = posix::OpenDir(batch_dir);
    if (!opened.ok()) return opened.status();
    dir_fd = std::move(*opened);
    if (Status l = posix::TryLockExclusive(dir_fd.get(), batch_dir); !l.ok()) return l;
  }
  auto fail = [&](Status why) -> Result<std::vector<Status>> {
    if (dir_fd.valid()) {
      // Nothing of the batch may stay behind: links first, then the files.
      if (UndoBatchLinks(token, dir_fd.get()).ok()) RemoveBatchDir(*this, token, dir_fd.get());
    }
    return why.WithContext("put_blobs");
  };
  for (const Item& item : fresh) {
    const std::string name = StagedName(item.digest);
    const std::string path = batch_dir + "/" + name;
    auto file = posix::OpenAt(dir_fd.get(), name, O_WRONLY | O_CREAT | O_EXCL, 0644, path);
    if (!file.ok()) return fail(file.status());
    const auto& bytes = blobs[item.index].bytes;
    if (Status w = posix::WriteAt(file->get(), bytes.data(), bytes.size(), 0, path); !w.ok()) {
      return fail(w);
    }
    if (options_.sync) {
      if (Status d = posix::SyncData(file->get(), path); !d.ok()) return fail(d);
    }
    if (Status c = posix::ChangeMode(file->get(), 0444, path); !c.ok()) return fail(c);
  }

  // 4 and 5, again for any file a concurrent deletion took between the two.
  std::map<Algorithm, bool> algorithms;
  for (const Item& item : fresh) algorithms[item.digest.algorithm()] = true;
  for (int attempt = 0;; ++attempt) {
    if (attempt == 5) {
      return fail(Status::Unavailable("blob files keep disappearing (concurrent deletions?)"));
    }
    for (const Item& item : fresh) {
      auto blob_dir = blob_dir_fd(item.digest.algorithm());
      if (!blob_dir.ok()) return fail(blob_dir.status());
      const std::string target = layout_.blob_path(item.digest);
      const int64_t size = static_cast<int64_t>(blobs[item.index].bytes.size());
      auto st = posix::StatAt(*blob_dir, item.digest.hex(), target);
      if (st.ok() && S_ISREG(st->st_mode) && st->st_size == size) continue;  // in place
      if (st.ok()) (void)posix::UnlinkAt(*blob_dir, item.digest.hex(), 0, target);  // damaged
      if (::linkat(dir_fd.get(), StagedName(item.digest).c_str(), *blob_dir,
                   item.digest.hex().c_str(), 0) != 0 &&
          errno != EEXIST) {
        return fail(posix::ErrnoStatus("link to", target, errno));
      }
    }
    test_hooks::CrashPoint("batch.after_link");
    for (const auto& [algorithm, unused] : algorithms) {
      if (Status d = SyncBlobDir(algorithm); !d.ok()) return fail(d);
    }
    bool vanished = false;
    const int64_t now = NowNanos();
    Status t = catalog_->Write(Catalog::Sync::kFull, [&](Session& session) -> Status {
      if (options.lease) {
        if (Status r = RequireLease(session, *options.lease); !r.ok()) return r;
      }
      for (const Item& item : fresh) {
        const int64_t size = static_cast<int64_t>(blobs[item.index].bytes.size());
        auto st = posix::StatAt(*blob_dir_fd(item.digest.algorithm()), item.digest.hex(),
                                layout_.blob_path(item.digest));
        if (!st.ok() || st->st_size != size) {
          vanished = true;
          return Status::Unavailable("a blob file vanished before its row was written");
        }
        const std::string name = item.digest.str();
        auto insert = session.Prepare(sql::q::blob_insert);
        insert->bindNoCopy(1, name);
        insert->bind(2, size);
        insert->bind(3, now);
        insert->exec();
        if (session.Changes() == 0) {  // another process committed it meanwhile
          results[item.index] = Status::AlreadyExists(fmt::format("blob {} already exists", name));
          continue;
        }
        results[item.index] = Status::OK();
        for (const auto& [key, value] : blobs[item.index].labels) {
          if (value.empty()) continue;
          auto label = session.Prepare(sql::q::label_set);
          label->bindNoCopy(1, name);
          label->bindNoCopy(2, key);
          label->bindNoCopy(3, value);
          label->exec();
        }
      }
      if (options.lease) {
        for (const std::string& digest : lease_holds) {
          auto hold = session.Prepare(sql::q::lease_resource_add);
          hold->bindNoCopy(1, *options.lease);
          hold->bind(2, std::string("content"));
          hold->bindNoCopy(3, digest);
          hold->exec();
        }
      }
      return Status::OK();
    });
    if (t.ok()) break;
    if (!vanished) return fail(t);
  }
  test_hooks::CrashPoint("batch.after_catalog");
  // 6. The staged names go; the blob files keep the inodes.
  if (dir_fd.valid()) RemoveBatchDir(*this, token, dir_fd.get());
  return results;
}

Status StoreImpl::UndoBatchLinks(const std::string& token, int dir_fd) {
  const std::string dir = layout_.batches_dir() + "/" + token;
  // A blob file that is still the staged inode and has no row is taken back
  // out of blobs/.
  return catalog_->Write(Catalog::Sync::kFull, [&](Session& session) -> Status {
    for (const std::string& name : posix::ListDir(dir)) {
      const size_t dash = name.find('-');
      if (dash == std::string::npos) continue;
      auto digest = Digest::Parse(name.substr(0, dash) + ":" + name.substr(dash + 1));
      if (!digest.ok()) continue;
      auto q = session.Prepare(sql::q::blob_size);
      q->bind(1, digest->str());
      if (q->executeStep()) continue;  // committed after all
      auto staged = posix::StatAt(dir_fd, name, dir + "/" + name);
      auto blob_dir = blob_dir_fd(digest->algorithm());
      if (!staged.ok() || !blob_dir.ok()) continue;
      auto linked = posix::StatAt(*blob_dir, digest->hex(), layout_.blob_path(*digest));
      if (linked.ok() && linked->st_ino == staged->st_ino && linked->st_dev == staged->st_dev) {
        Status u = posix::UnlinkAt(*blob_dir, digest->hex(), 0, layout_.blob_path(*digest));
        if (!u.ok() && !u.IsNotFound()) return u;
      }
    }
    return Status::OK();
  });
}

Status StoreImpl::RecoverBatches() {
  const std::string root = layout_.batches_dir();
  for (const std::string& token : posix::ListDir(root)) {
    const std::string dir = root + "/" + token;
    auto dir_fd = posix::OpenDir(dir);
    if (!dir_fd.ok()) continue;
    if (!posix::TryLockExclusive(dir_fd->get(), dir).ok()) continue;  // a live batch
    // The process died between linking and its transaction, or after it
    // before cleaning up.
    if (Status s = UndoBatchLinks(token, dir_fd->get()); !s.ok()) {
      return s.WithContext("recovering batch " + dir);
    }
    RemoveBatchDir(*this, token, dir_fd->get());
  }
  return Status::OK();
}

}  // namespace contentstore
