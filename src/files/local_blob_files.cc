#include "files/local_blob_files.h"

#include <fcntl.h>

#include <fmt/format.h>

#include "files/blob_reader.h"
#include "files/lost_found.h"

namespace contentstore {
namespace {

std::string TrashName(const Digest& digest) {
  return std::string(AlgorithmName(digest.algorithm())) + "-" + digest.hex();
}

bool IsBlobFile(const struct stat& st, int64_t size) {
  return S_ISREG(st.st_mode) && st.st_size == size;
}

}  // namespace

Result<bool> BlobTier::Holds(const Digest& digest, int64_t size) {
  auto st = Stat(digest);
  if (st.status().IsNotFound()) return false;
  if (!st.ok()) return st.status();
  return IsBlobFile(*st, size);
}

LocalBlobFiles::LocalBlobFiles(Env& env, const Layout& layout, bool sync)
    : env_(env), layout_(layout), sync_(sync) {}

Result<int> LocalBlobFiles::DirFd(Algorithm algorithm) {
  std::lock_guard lock(mu_);
  UniqueFd& fd = dir_fds_[static_cast<size_t>(algorithm)];
  if (!fd.valid()) {
    const std::string dir = layout_.blob_dir(algorithm);
    const bool existed = env_.StatAt(AT_FDCWD, dir, dir).ok();
    if (Status s = env_.MakeDirAt(AT_FDCWD, dir, dir, 0755); !s.ok()) return s;
    if (!existed && sync_) {
      // The new directory's own entry must survive too.
      auto parent = OpenDir(env_, layout_.blobs_dir());
      if (!parent.ok()) return parent.status();
      if (Status s = env_.SyncDir(parent->get(), layout_.blobs_dir()); !s.ok()) return s;
    }
    auto opened = OpenDir(env_, dir);
    if (!opened.ok()) return opened.status();
    fd = std::move(*opened);
  }
  return fd.get();
}

Result<BlobTier::Published> LocalBlobFiles::Publish(const Digest& digest, int64_t size,
                                                    const LocalFile& source, Mode mode) {
  auto dir = DirFd(digest.algorithm());
  if (!dir.ok()) return dir.status();
  const std::string& hex = digest.hex();
  const std::string path = layout_.blob_path(digest);
  Status s = mode == Mode::kMove
                 ? env_.RenameNoReplace(source.dir_fd, source.name, *dir, hex, path)
                 : env_.LinkAt(source.dir_fd, source.name, *dir, hex, path);
  if (s.ok()) return mode == Mode::kMove ? Published::kMoved : Published::kLinked;
  if (!s.IsAlreadyExists()) return s;
  // Someone published these bytes already (or a crash left them). Blob files
  // only ever appear complete (published after an fsync), so a file of the
  // right size is the blob: keep it. Anything else is damage: replace it.
  auto st = env_.StatAt(*dir, hex, path);
  if (st.ok() && IsBlobFile(*st, size)) return Published::kExisting;
  if (mode == Mode::kMove) {
    if (Status r = env_.Rename(source.dir_fd, source.name, *dir, hex, path); !r.ok()) return r;
    return Published::kMoved;
  }
  Status u = env_.UnlinkAt(*dir, hex, S_ISDIR(st.ok() ? st->st_mode : 0) ? AT_REMOVEDIR : 0, path);
  if (!u.ok() && !u.IsNotFound()) return u;
  if (Status l = env_.LinkAt(source.dir_fd, source.name, *dir, hex, path); !l.ok()) return l;
  return Published::kLinked;
}

Status LocalBlobFiles::SyncPublished(Algorithm algorithm) {
  if (!sync_) return Status::OK();
  auto fd = DirFd(algorithm);
  if (!fd.ok()) return fd.status();
  return dir_syncs_[static_cast<size_t>(algorithm)].Sync(
      [&] { return env_.SyncDir(*fd, layout_.blob_dir(algorithm)); });
}

Result<struct stat> LocalBlobFiles::Stat(const Digest& digest) {
  auto dir = DirFd(digest.algorithm());
  if (!dir.ok()) return dir.status();
  return env_.StatAt(*dir, digest.hex(), layout_.blob_path(digest));
}

Result<std::unique_ptr<Reader>> LocalBlobFiles::Open(const Digest& digest, int64_t size) {
  auto dir = DirFd(digest.algorithm());
  if (!dir.ok()) return dir.status();
  const std::string path = layout_.blob_path(digest);
  auto not_a_file = [&](const struct stat& st) {
    return Status::DataLoss(fmt::format("blob {}: {} is not a regular file (mode {:o})",
                                        digest.str(), path, st.st_mode & S_IFMT));
  };
  // Never through a symbolic link, never blocking on a FIFO: whatever is
  // there must be the file itself.
  auto fd = OpenAt(env_, *dir, digest.hex(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0, path);
  if (!fd.ok()) {
    if (fd.status().IsNotFound()) return fd.status();
    auto st = env_.StatAt(*dir, digest.hex(), path);
    if (st.ok() && !S_ISREG(st->st_mode)) return not_a_file(*st);
    return fd.status();
  }
  auto st = env_.StatFd(fd->get(), path);
  if (!st.ok()) return st.status();
  if (!S_ISREG(st->st_mode)) return not_a_file(*st);
  if (st->st_size != size) {
    return Status::DataLoss(fmt::format("blob {}: file {} has {} bytes, the catalog says {}",
                                        digest.str(), path, st->st_size, size));
  }
  return std::unique_ptr<Reader>(new BlobReader(env_, std::move(*fd), path, size));
}

Status LocalBlobFiles::Retire(const Digest& digest) {
  auto dir = DirFd(digest.algorithm());
  if (!dir.ok()) return dir.status();
  auto trash = OpenDir(env_, layout_.trash_dir());
  if (!trash.ok()) return trash.status();
  const std::string name = TrashName(digest);
  return env_.Rename(*dir, digest.hex(), trash->get(), name, layout_.trash_dir() + "/" + name);
}

Status LocalBlobFiles::Purge(const std::vector<Digest>& retired) {
  if (retired.empty()) return Status::OK();
  const std::string dir = layout_.trash_dir();
  auto fd = OpenDir(env_, dir);
  if (!fd.ok()) return fd.status();
  for (const Digest& digest : retired) {
    const std::string name = TrashName(digest);
    Status u = env_.UnlinkAt(fd->get(), name, 0, dir + "/" + name);
    if (!u.ok() && !u.IsNotFound()) return u;
  }
  return Status::OK();
}

Status LocalBlobFiles::PurgeAllRetired() {
  const std::string dir = layout_.trash_dir();
  auto fd = OpenDir(env_, dir);
  if (!fd.ok()) return fd.status();
  auto names = env_.ListDir(fd->get(), dir);
  if (!names.ok()) return names.status();
  std::vector<Digest> retired;
  for (const std::string& name : *names) {
    const size_t dash = name.find('-');
    if (dash == std::string::npos) continue;
    auto digest = Digest::Parse(name.substr(0, dash) + ":" + name.substr(dash + 1));
    auto st = env_.StatAt(fd->get(), name, dir + "/" + name);
    if (digest.ok() && st.ok() && S_ISREG(st->st_mode)) retired.push_back(*digest);
  }
  return Purge(retired);
}

Status LocalBlobFiles::Withdraw(const Digest& digest, const LocalFile& target) {
  auto dir = DirFd(digest.algorithm());
  if (!dir.ok()) return dir.status();
  return env_.Rename(*dir, digest.hex(), target.dir_fd, target.name, target.path);
}

Status LocalBlobFiles::Unlink(const Digest& digest, const LocalFile& source) {
  auto staged = env_.StatAt(source.dir_fd, source.name, source.path);
  if (staged.status().IsNotFound()) return Status::OK();
  if (!staged.ok()) return staged.status();
  auto dir = DirFd(digest.algorithm());
  if (!dir.ok()) return dir.status();
  const std::string path = layout_.blob_path(digest);
  auto linked = env_.StatAt(*dir, digest.hex(), path);
  if (!linked.ok() || linked->st_ino != staged->st_ino || linked->st_dev != staged->st_dev) {
    return Status::OK();
  }
  Status u = env_.UnlinkAt(*dir, digest.hex(), 0, path);
  return u.IsNotFound() ? Status::OK() : u;
}

Result<std::string> LocalBlobFiles::MoveAside(const std::string& path) {
  return MoveToLostFound(env_, layout_, path);
}

Status LocalBlobFiles::List(const Visitor& visitor) {
  const std::string root = layout_.blobs_dir();
  auto root_fd = OpenDir(env_, root);
  if (!root_fd.ok()) return root_fd.status();
  auto algorithms = env_.ListDir(root_fd->get(), root);
  if (!algorithms.ok()) return algorithms.status();
  for (const std::string& alg_name : *algorithms) {
    const std::string alg_dir = root + "/" + alg_name;
    auto algorithm = ParseAlgorithm(alg_name);
    auto dir_fd = algorithm.ok() ? OpenDirAt(env_, root_fd->get(), alg_name, alg_dir)
                                 : Result<UniqueFd>(Status::InvalidArgument("not an algorithm"));
    if (!dir_fd.ok()) {
      if (Status s = visitor.stray(alg_dir, "not a digest algorithm directory"); !s.ok()) return s;
      continue;
    }
    auto names = env_.ListDir(dir_fd->get(), alg_dir);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      const std::string path = alg_dir + "/" + name;
      auto digest = Digest::Parse(alg_name + ":" + name);
      auto st = env_.StatAt(dir_fd->get(), name, path);
      if (!st.ok() && st.status().IsNotFound()) continue;  // removed meanwhile
      if (!st.ok()) return st.status();
      Status s = digest.ok() ? visitor.blob(*digest, *st, path)
                             : visitor.stray(path, "not a blob file name");
      if (!s.ok()) return s;
    }
  }
  return Status::OK();
}

}  // namespace contentstore
