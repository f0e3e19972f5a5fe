#include "files/blob_cache.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "env/random.h"
#include "env/unique_fd.h"
#include "files/blob_reader.h"
#include "util/hasher.h"

namespace contentstore {
namespace {

constexpr std::string_view kTempPrefix = ".fill-";

}  // namespace

BlobCache::BlobCache(Env& env, std::string dir, int64_t capacity_bytes)
    : env_(env), dir_(std::move(dir)), capacity_(capacity_bytes) {}

std::string BlobCache::AlgDir(Algorithm algorithm) const {
  return fmt::format("{}/{}", dir_, AlgorithmName(algorithm));
}

std::string BlobCache::PathOf(const Digest& digest) const {
  return AlgDir(digest.algorithm()) + "/" + digest.hex();
}

Status BlobCache::EnsureDirs(Algorithm algorithm) {
  if (Status s = env_.MakeDirAt(AT_FDCWD, dir_, dir_, 0755); !s.ok() && !s.IsAlreadyExists()) {
    return s;
  }
  const std::string alg_dir = AlgDir(algorithm);
  if (Status s = env_.MakeDirAt(AT_FDCWD, alg_dir, alg_dir, 0755);
      !s.ok() && !s.IsAlreadyExists()) {
    return s;
  }
  return Status::OK();
}

Result<std::optional<std::unique_ptr<Reader>>> BlobCache::Find(const Digest& digest,
                                                                int64_t size) {
  const std::string path = PathOf(digest);
  auto fd = OpenPath(env_, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  if (fd.status().IsNotFound()) return std::optional<std::unique_ptr<Reader>>();
  if (!fd.ok()) return fd.status();
  auto st = env_.StatFd(fd->get(), path);
  if (!st.ok()) return st.status();
  if (!S_ISREG(st->st_mode) || st->st_size != size) {
    Forget(digest);
    return std::optional<std::unique_ptr<Reader>>();
  }
  // Recency for eviction; a failure only makes eviction less exact.
  (void)::futimens(fd->get(), nullptr);
  return std::optional<std::unique_ptr<Reader>>(
      std::make_unique<BlobReader>(env_, std::move(*fd), path, size));
}

Result<std::unique_ptr<Reader>> BlobCache::Fill(
    const Digest& digest, int64_t size, const std::function<Status(const Sink&)>& fetch) {
  if (Status s = EnsureDirs(digest.algorithm()); !s.ok()) return s;
  const std::string path = PathOf(digest);
  const std::string alg_dir = AlgDir(digest.algorithm());
  const std::string temp_name = fmt::format("{}{}", kTempPrefix, RandomHex(8));
  const std::string temp_path = alg_dir + "/" + temp_name;
  auto dir_fd = OpenDir(env_, alg_dir);
  if (!dir_fd.ok()) return dir_fd.status();
  auto fd = OpenAt(env_, dir_fd->get(), temp_name, O_RDWR | O_CREAT | O_EXCL, 0444, temp_path);
  if (!fd.ok()) return fd.status();
  Hasher hasher(digest.algorithm());
  int64_t offset = 0;
  Status s = fetch([&](std::string_view bytes) -> Status {
    if (offset + static_cast<int64_t>(bytes.size()) > size) {
      return Status::DataLoss(fmt::format("blob {} is longer than its {} bytes", digest.str(), size));
    }
    if (Status w = env_.WriteAt(fd->get(), bytes.data(), bytes.size(), offset, temp_path);
        !w.ok()) {
      return w;
    }
    hasher.update(bytes.data(), bytes.size());
    offset += static_cast<int64_t>(bytes.size());
    return Status::OK();
  });
  if (s.ok() && offset != size) {
    s = Status::DataLoss(
        fmt::format("blob {}: {} bytes fetched, its size is {}", digest.str(), offset, size));
  }
  if (s.ok() && hasher.digest() != digest) {
    s = Status::DataLoss(fmt::format("blob {}: the fetched bytes hash to {}", digest.str(),
                                     hasher.digest().str()));
  }
  // No fsync: a cached copy lost in a crash is fetched again, and one torn
  // by a power loss has the wrong size or is caught by the next fsck.
  if (s.ok()) s = env_.Rename(dir_fd->get(), temp_name, dir_fd->get(), digest.hex(), path);
  if (!s.ok()) {
    (void)env_.UnlinkAt(dir_fd->get(), temp_name, 0, temp_path);
    return s;
  }
  (void)Evict();
  return std::unique_ptr<Reader>(std::make_unique<BlobReader>(env_, std::move(*fd), path, size));
}

void BlobCache::Forget(const Digest& digest) {
  const std::string path = PathOf(digest);
  (void)env_.UnlinkAt(AT_FDCWD, path, 0, path);
}

Status BlobCache::ForEachFile(
    const std::function<void(const std::string& name, const std::string& path,
                             const struct stat& st)>& fn) {
  for (Algorithm algorithm : {Algorithm::kSHA256, Algorithm::kSHA384, Algorithm::kSHA512}) {
    const std::string alg_dir = AlgDir(algorithm);
    auto dir_fd = OpenDir(env_, alg_dir);
    if (dir_fd.status().IsNotFound()) continue;
    if (!dir_fd.ok()) return dir_fd.status();
    auto names = env_.ListDir(dir_fd->get(), alg_dir);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      const std::string path = alg_dir + "/" + name;
      auto st = env_.StatAt(dir_fd->get(), name, path);
      if (st.ok()) fn(name, path, *st);  // else evicted by another process meanwhile
    }
  }
  return Status::OK();
}

Result<int64_t> BlobCache::TotalBytes() {
  int64_t total = 0;
  Status s = ForEachFile([&](const std::string&, const std::string&, const struct stat& st) {
    total += st.st_size;
  });
  if (!s.ok()) return s;
  return total;
}

Status BlobCache::Evict() {
  std::lock_guard lock(evict_mu_);
  struct Entry {
    int64_t mtime_ns;
    int64_t size;
    std::string path;
  };
  std::vector<Entry> entries;
  int64_t total = 0;
  Status s = ForEachFile([&](const std::string& name, const std::string& path,
                             const struct stat& st) {
    total += st.st_size;
    // A fill in progress counts against the capacity but is not evicted.
    if (name.starts_with(kTempPrefix)) return;
    entries.push_back({st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec, st.st_size, path});
  });
  if (!s.ok()) return s;
  if (total <= capacity_) return Status::OK();
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.mtime_ns < b.mtime_ns; });
  for (const Entry& e : entries) {
    if (total <= capacity_) break;
    if (env_.UnlinkAt(AT_FDCWD, e.path, 0, e.path).ok()) total -= e.size;
  }
  return Status::OK();
}

}  // namespace contentstore
