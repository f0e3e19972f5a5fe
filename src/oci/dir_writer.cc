// LayoutWriter for a directory. Each blob is published as a temporary file
// beside its final name, synced, then renamed; the directories are synced at
// Finish, before index.json goes in by temp + rename: a crash leaves the old
// layout (or none) plus some whole blobs, never an index naming a blob that
// is not there.

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <vector>

#include "env/errno_status.h"
#include "env/unique_fd.h"
#include "oci/dir_reader.h"
#include "oci/files.h"
#include "oci/layout_writer.h"

namespace contentstore::oci {
namespace {

constexpr size_t kBufferBytes = 1 << 20;

class DirWriter final : public LayoutWriter {
 public:
  DirWriter(std::string path, LinkMode mode, std::string existing)
      : path_(std::move(path)), mode_(mode), existing_(std::move(existing)) {}

  const std::string& existing_index() const override { return existing_; }

  Result<Placement> PutBlob(Store& store, const Digest& digest, int64_t size) override {
    const std::string alg_dir =
        fmt::format("{}/blobs/{}", path_, AlgorithmName(digest.algorithm()));
    if (dirs_.insert(alg_dir).second) {
      if (Status s = MakeDir(alg_dir); !s.ok()) return s;
    }
    const std::string final_path = alg_dir + "/" + digest.hex();
    struct stat st;
    if (::lstat(final_path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == size) {
      return Placement::kPresent;  // content-addressed: the same bytes
    }
    const std::string tmp = fmt::format("{}.tmp-{}", final_path, ::getpid());
    ::unlink(tmp.c_str());
    Result<Placement> placed = Placement::kCopied;
    if (mode_ == LinkMode::kLink) {
      placed = LinkOrClone(store, digest, tmp);
    } else {
      placed = Copy(store, digest, size, tmp);
    }
    if (!placed.ok()) {
      ::unlink(tmp.c_str());
      return placed;
    }
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return ErrnoStatus("rename to", final_path, err);
    }
    return placed;
  }

  Status Finish(const std::string& index_json) override {
    for (const std::string& dir : dirs_) {
      if (Status s = SyncDir(dir); !s.ok()) return s;
    }
    if (Status s = SyncDir(path_ + "/blobs"); !s.ok()) return s;
    const std::string layout = path_ + "/oci-layout";
    if (::access(layout.c_str(), F_OK) != 0) {
      if (Status s = PublishFile(layout, R"({"imageLayoutVersion":"1.0.0"})"); !s.ok()) return s;
    }
    return PublishFile(path_ + "/index.json", index_json);
  }

 private:
  // A reflink of the store's file, else a hard link to it, else a copy.
  Result<Placement> LinkOrClone(Store& store, const Digest& digest, const std::string& tmp) {
    const std::string source = fmt::format("{}/blobs/{}/{}", store.root(),
                                           AlgorithmName(digest.algorithm()), digest.hex());
    UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in.valid()) return ErrnoStatus("open", source, errno);
    {
      UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
      if (!out.valid()) return ErrnoStatus("create", tmp, errno);
      if (::ioctl(out.get(), FICLONE, in.get()) == 0) {
        if (Status s = SyncFd(out.get(), tmp); !s.ok()) return s;
        return Placement::kCloned;
      }
    }
    ::unlink(tmp.c_str());
    if (::link(source.c_str(), tmp.c_str()) == 0) return Placement::kLinked;
    const int err = errno;
    if (err != EXDEV && err != EPERM && err != EMLINK && err != EOPNOTSUPP) {
      return ErrnoStatus("link to", tmp, err);
    }
    struct stat st;
    if (::fstat(in.get(), &st) != 0) return ErrnoStatus("stat", source, errno);
    return Copy(store, digest, st.st_size, tmp);
  }

  Result<Placement> Copy(Store& store, const Digest& digest, int64_t size, const std::string& tmp) {
    auto reader = store.reader(digest);
    if (!reader.ok()) return reader.status();
    if ((*reader)->size() != size) {
      return Status::FailedPrecondition(
          fmt::format("stored {} holds {} bytes, not {}", digest.str(), (*reader)->size(), size));
    }
    UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!out.valid()) return ErrnoStatus("create", tmp, errno);
    std::vector<std::byte> buf(kBufferBytes);
    for (int64_t offset = 0; offset < size;) {
      auto got = (*reader)->read_at(offset, buf);
      if (!got.ok()) return got.status();
      if (*got == 0) {
        return Status::DataLoss(
            fmt::format("stored {} ends after {} of {} bytes", digest.str(), offset, size));
      }
      if (Status s = WriteFull(out.get(), std::span<const std::byte>(buf.data(), *got), tmp);
          !s.ok()) {
        return s;
      }
      offset += static_cast<int64_t>(*got);
    }
    if (Status s = SyncFd(out.get(), tmp); !s.ok()) return s;
    return Placement::kCopied;
  }

  std::string path_;
  LinkMode mode_;
  std::string existing_;
  std::set<std::string> dirs_;
};

bool IsEmptyDir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return false;
  // Any name but . and .. in a listing makes it non-empty; readdir needs a DIR*.
  DIR* dir = ::fdopendir(fd.release());
  if (dir == nullptr) return false;
  bool empty = true;
  while (struct dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      empty = false;
      break;
    }
  }
  ::closedir(dir);
  return empty;
}

}  // namespace

Result<std::unique_ptr<LayoutWriter>> OpenDirWriter(const std::string& path, LinkMode mode) {
  std::string existing;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return Status::InvalidArgument(fmt::format("{} exists and is not a directory", path));
    }
    if (!IsEmptyDir(path)) {
      // Add to a layout; refuse to scatter blobs into any other directory.
      auto layout = DirReader::Open(path);
      if (!layout.ok()) {
        return Status::InvalidArgument(fmt::format(
            "{} is neither empty nor an OCI image layout ({})", path, layout.status().message()));
      }
      auto index = layout->ReadIndex();
      if (!index.ok() && !index.status().IsNotFound()) return index.status();
      if (index.ok()) {
        if (auto entries = ParseLayoutIndex(*index); !entries.ok()) {
          return entries.status().WithContext(path);
        }
        existing = std::move(*index);
      }
    }
  } else if (errno != ENOENT) {
    return ErrnoStatus("stat", path, errno);
  }
  if (Status s = MakeDir(path); !s.ok()) return s;
  if (Status s = MakeDir(path + "/blobs"); !s.ok()) return s;
  return std::unique_ptr<LayoutWriter>(new DirWriter(path, mode, std::move(existing)));
}

}  // namespace contentstore::oci
