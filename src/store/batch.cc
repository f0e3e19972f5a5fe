// Store::put_blobs: many small blobs committed with one directory fsync, one
// catalog transaction and one WAL sync.
//
//   1. hash every input in memory, check expected digests and labels;
//   2. drop what is already committed (AlreadyExists);
//   3. stage each new blob as batches/<token>/<alg>-<hex> (fdatasync'ed, mode
//      0444) in a directory this call holds an flock on;
//   4. hard-link each staged file into the blob tier (never replacing a file
//      of the right size), and make that durable;
//   5. one durable transaction: check each linked file is there, insert the
//      rows and labels (and lease holds);
//   6. remove the staging directory.
// Links, not renames, keep the staged names until the transaction is done, so
// a process that dies between 4 and 5 leaves a directory that says exactly
// which blob files it put in place: the next writable Store::Open
// (RecoverBatches) removes those that no row names and that are still the
// same file. A file removed by a concurrent deletion between 4 and 5 is
// linked again from the staged copy, as commit() does with its descriptor.

#include "store/batch.h"

#include <fcntl.h>

#include <fmt/format.h>

#include <map>
#include <set>

#include "catalog/blob_rows.h"
#include "catalog/lease_rows.h"
#include "contentstore/validate.h"
#include "env/crash_point.h"
#include "env/random.h"
#include "env/unique_fd.h"
#include "util/hasher.h"

namespace contentstore {
namespace {

struct Item {
  size_t index;
  Digest digest;
};

std::string StagedName(const Digest& d) {
  return std::string(AlgorithmName(d.algorithm())) + "-" + d.hex();
}

// One call's staging directory, batches/<token>/, flock'ed while it lives.
class Staging {
 public:
  Staging(IngestContext& ctx, const Layout& layout, std::string token)
      : ctx_(ctx), token_(std::move(token)), path_(layout.batches_dir() + "/" + token_) {}

  Status Create() {
    if (Status m = ctx_.env.MakeDirAt(AT_FDCWD, path_, path_, 0755); !m.ok()) return m;
    return Adopt();
  }
  // An existing directory (recovery); Unavailable while its batch is alive.
  Status Adopt() {
    auto opened = OpenDir(ctx_.env, path_);
    if (!opened.ok()) return opened.status();
    fd_ = std::move(*opened);
    return ctx_.env.TryLock(fd_.get(), path_);
  }
  bool valid() const { return fd_.valid(); }

  LocalFile File(const Digest& digest) const {
    const std::string name = StagedName(digest);
    return {fd_.get(), name, path_ + "/" + name};
  }

  Status Write(const Digest& digest, std::span<const std::byte> bytes) {
    const LocalFile f = File(digest);
    auto file = OpenAt(ctx_.env, fd_.get(), f.name, O_WRONLY | O_CREAT | O_EXCL, 0644, f.path);
    if (!file.ok()) return file.status();
    if (Status w = ctx_.env.WriteAt(file->get(), bytes.data(), bytes.size(), 0, f.path); !w.ok()) {
      return w;
    }
    if (ctx_.options.sync) {
      if (Status d = ctx_.env.SyncData(file->get(), f.path); !d.ok()) return d;
    }
    return ctx_.env.ChangeMode(file->get(), 0444, f.path);
  }

  // The digests staged here, from the file names.
  std::vector<Digest> Staged() {
    std::vector<Digest> out;
    auto names = ctx_.env.ListDir(fd_.get(), path_);
    if (!names.ok()) return out;
    for (const std::string& name : *names) {
      const size_t dash = name.find('-');
      if (dash == std::string::npos) continue;
      auto digest = Digest::Parse(name.substr(0, dash) + ":" + name.substr(dash + 1));
      if (digest.ok()) out.push_back(*digest);
    }
    return out;
  }

  // Takes back out of the tier every staged blob that no row names and that
  // is still the staged file.
  Status UndoLinks() {
    const std::vector<Digest> staged = Staged();
    return ctx_.catalog.Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) -> Status {
      catalog::BlobRows rows(tx);
      for (const Digest& digest : staged) {
        if (rows.Exists(digest.str())) continue;  // committed after all
        if (Status u = ctx_.blobs.Unlink(digest, File(digest)); !u.ok()) return u;
      }
      return Status::OK();
    });
  }

  // Removes the directory and what is in it.
  void Remove() {
    if (!fd_.valid()) return;
    if (auto names = ctx_.env.ListDir(fd_.get(), path_); names.ok()) {
      for (const std::string& name : *names) {
        (void)ctx_.env.UnlinkAt(fd_.get(), name, 0, path_ + "/" + name);
      }
    }
    (void)ctx_.env.UnlinkAt(AT_FDCWD, path_, AT_REMOVEDIR, path_);
    fd_.reset();
  }

 private:
  IngestContext& ctx_;
  const std::string token_;
  const std::string path_;
  UniqueFd fd_;
};

// 1. Hash and check, in memory. A digest twice in one batch: the first wins.
std::vector<Item> HashInputs(std::span<const BlobInput> blobs, Algorithm algorithm,
                             std::vector<Status>& results) {
  std::vector<Item> items;
  std::set<Digest> seen;
  for (size_t i = 0; i < blobs.size(); ++i) {
    const BlobInput& b = blobs[i];
    if (Status s = ValidateLabels(b.labels); !s.ok()) {
      results[i] = s;
      continue;
    }
    Hasher hasher(algorithm);
    hasher.update(b.bytes.data(), b.bytes.size());
    Digest digest = hasher.digest();
    if (b.expected && *b.expected != digest) {
      results[i] = Status::FailedPrecondition(fmt::format(
          "blob {} of the batch hashes to {}, expected {}", i, digest.str(), b.expected->str()));
      continue;
    }
    if (!seen.insert(digest).second) {
      results[i] = Status::AlreadyExists(fmt::format("blob {} already exists", digest.str()));
      continue;
    }
    items.push_back({i, std::move(digest)});
  }
  return items;
}

// 2. What is already committed stays as it is; the rest is returned.
Result<std::vector<Item>> DropCommitted(IngestContext& ctx, const std::vector<Item>& items,
                                        const PutOptions& options, std::vector<Status>& results) {
  std::vector<Item> fresh;
  Status s = ctx.catalog.Read([&](catalog::Transaction& tx) -> Status {
    if (options.lease) {
      if (Status r = catalog::LeaseRows(tx).Require(*options.lease); !r.ok()) return r;
    }
    catalog::BlobRows rows(tx);
    for (const Item& item : items) {
      if (rows.Exists(item.digest.str())) {
        results[item.index] =
            Status::AlreadyExists(fmt::format("blob {} already exists", item.digest.str()));
      } else {
        fresh.push_back(item);
      }
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  return fresh;
}

// 4. Links every staged blob into the tier and makes that durable.
Status LinkStaged(IngestContext& ctx, Staging& staging, const std::vector<Item>& fresh,
                  std::span<const BlobInput> blobs) {
  std::set<Algorithm> algorithms;
  for (const Item& item : fresh) {
    const int64_t size = static_cast<int64_t>(blobs[item.index].bytes.size());
    auto published =
        ctx.blobs.Publish(item.digest, size, staging.File(item.digest), BlobTier::Mode::kLink);
    if (!published.ok()) return published.status();
    algorithms.insert(item.digest.algorithm());
  }
  test_hooks::CrashPoint("batch.after_link");
  for (Algorithm algorithm : algorithms) {
    if (Status d = ctx.blobs.SyncPublished(algorithm); !d.ok()) return d;
  }
  return Status::OK();
}

// 5. The rows, labels and lease holds, in one durable transaction. Sets
// *vanished when a linked file was taken meanwhile (the caller links again).
Status RecordBatch(IngestContext& ctx, const std::vector<Item>& items,
                   const std::vector<Item>& fresh, std::span<const BlobInput> blobs,
                   const PutOptions& options, std::vector<Status>& results, bool* vanished) {
  const int64_t now = ctx.env.NowNanos();
  return ctx.catalog.Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) -> Status {
    catalog::LeaseRows leases(tx);
    if (options.lease) {
      if (Status r = leases.Require(*options.lease); !r.ok()) return r;
    }
    catalog::BlobRows rows(tx);
    for (const Item& item : fresh) {
      const int64_t size = static_cast<int64_t>(blobs[item.index].bytes.size());
      auto present = ctx.blobs.Holds(item.digest, size);
      if (!present.ok() || !*present) {
        *vanished = true;
        return Status::Unavailable("a blob file vanished before its row was written");
      }
      const std::string name = item.digest.str();
      if (!rows.Insert(name, size, now)) {  // another process committed it meanwhile
        results[item.index] = Status::AlreadyExists(fmt::format("blob {} already exists", name));
        continue;
      }
      results[item.index] = Status::OK();
      rows.SetLabels(name, blobs[item.index].labels);
    }
    if (options.lease) {
      // Every blob of the batch, those committed before it included.
      for (const Item& item : items) {
        leases.Hold(*options.lease, {LeaseResource::Type::kContent, item.digest.str()});
      }
    }
    return Status::OK();
  });
}

}  // namespace

Result<std::vector<Status>> PutBlobs(IngestContext& ctx, const Layout& layout,
                                     std::span<const BlobInput> blobs,
                                     const PutOptions& options) {
  if (ctx.catalog.read_only()) {
    return Status::FailedPrecondition("the store is open read-only: put_blobs refused");
  }
  if (options.lease) {
    if (Status s = ValidateLeaseId(*options.lease); !s.ok()) return s;
  }
  std::vector<Status> results(blobs.size());
  const std::vector<Item> items = HashInputs(blobs, options.algorithm, results);
  auto fresh = DropCommitted(ctx, items, options, results);
  if (!fresh.ok()) return fresh.status();

  // 3. Stage.
  Staging staging(ctx, layout, RandomHex(16));
  if (!fresh->empty()) {
    if (Status c = staging.Create(); !c.ok()) return c.WithContext("put_blobs");
  }
  auto fail = [&](Status why) -> Result<std::vector<Status>> {
    if (staging.valid()) {
      // Nothing of the batch may stay behind: links first, then the files.
      if (staging.UndoLinks().ok()) staging.Remove();
    }
    return why.WithContext("put_blobs");
  };
  for (const Item& item : *fresh) {
    if (Status w = staging.Write(item.digest, blobs[item.index].bytes); !w.ok()) return fail(w);
  }
  // 4 and 5, again for any file a concurrent deletion took between the two.
  for (int attempt = 0;; ++attempt) {
    if (attempt == 5) {
      return fail(Status::Unavailable("blob files keep disappearing (concurrent deletions?)"));
    }
    if (Status l = LinkStaged(ctx, staging, *fresh, blobs); !l.ok()) return fail(l);
    bool vanished = false;
    Status t = RecordBatch(ctx, items, *fresh, blobs, options, results, &vanished);
    if (t.ok()) break;
    if (!vanished) return fail(t);
  }
  test_hooks::CrashPoint("batch.after_catalog");
  // 6. The staged names go; the blob files keep the inodes.
  staging.Remove();
  return results;
}

Status RecoverBatches(IngestContext& ctx, const Layout& layout) {
  const std::string root = layout.batches_dir();
  auto root_fd = OpenDir(ctx.env, root);
  if (!root_fd.ok()) return root_fd.status();
  auto tokens = ctx.env.ListDir(root_fd->get(), root);
  if (!tokens.ok()) return tokens.status();
  for (const std::string& token : *tokens) {
    Staging staging(ctx, layout, token);
    if (!staging.Adopt().ok()) continue;  // a live batch, or not a directory
    // The process died between linking and its transaction, or after it
    // before cleaning up.
    if (Status s = staging.UndoLinks(); !s.ok()) {
      return s.WithContext("recovering batch " + root + "/" + token);
    }
    staging.Remove();
  }
  return Status::OK();
}

}  // namespace contentstore
