// LayoutWriter for a tar (pax, as skopeo's oci-archive), written to
// "<path>.tmp-<pid>" and renamed over <path> only once complete and synced:
// a crash or a failure leaves any earlier file at <path> as it was. Members
// are oci-layout, the blobs, then index.json, with fixed owners, modes and
// times, so the same export gives the same bytes.

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <vector>

#include "env/errno_status.h"
#include "env/unique_fd.h"
#include "oci/files.h"
#include "oci/layout_writer.h"

namespace contentstore::oci {
namespace {

constexpr size_t kBufferBytes = 1 << 20;

class ArchiveWriter final : public LayoutWriter {
 public:
  ArchiveWriter(std::string path, std::string tmp, UniqueFd fd, struct archive* a)
      : path_(std::move(path)), tmp_(std::move(tmp)), fd_(std::move(fd)), archive_(a) {}

  ~ArchiveWriter() override {
    if (archive_ != nullptr) archive_write_free(archive_);
    if (!finished_) ::unlink(tmp_.c_str());
  }

  const std::string& existing_index() const override { return existing_; }

  Status Start() {
    if (Status s = Directory("blobs/"); !s.ok()) return s;
    return SmallFile("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  }

  Result<Placement> PutBlob(Store& store, const Digest& digest, int64_t size) override {
    const std::string alg(AlgorithmName(digest.algorithm()));
    if (dirs_.insert(alg).second) {
      if (Status s = Directory("blobs/" + alg + "/"); !s.ok()) return s;
    }
    auto reader = store.reader(digest);
    if (!reader.ok()) return reader.status();
    if ((*reader)->size() != size) {
      return Status::FailedPrecondition(
          fmt::format("stored {} holds {} bytes, not {}", digest.str(), (*reader)->size(), size));
    }
    if (Status s = Header(fmt::format("blobs/{}/{}", alg, digest.hex()), AE_IFREG, 0644, size);
        !s.ok()) {
      return s;
    }
    std::vector<std::byte> buf(kBufferBytes);
    for (int64_t offset = 0; offset < size;) {
      auto got = (*reader)->read_at(offset, buf);
      if (!got.ok()) return got.status();
      if (*got == 0) {
        return Status::DataLoss(
            fmt::format("stored {} ends after {} of {} bytes", digest.str(), offset, size));
      }
      if (Status s = Data(buf.data(), *got); !s.ok()) return s;
      offset += static_cast<int64_t>(*got);
    }
    return Placement::kCopied;
  }

  Status Finish(const std::string& index_json) override {
    if (Status s = SmallFile("index.json", index_json); !s.ok()) return s;
    if (archive_write_close(archive_) != ARCHIVE_OK) return Error("finishing");
    if (Status s = SyncFd(fd_.get(), tmp_); !s.ok()) return s;
    fd_.reset();
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) return ErrnoStatus("rename to", path_, errno);
    finished_ = true;
    return SyncDir(DirName(path_));
  }

 private:
  Status Error(std::string_view what) const {
    const char* text = archive_error_string(archive_);
    return Status::IOError(fmt::format("{} {}: {}", what, tmp_, text != nullptr ? text : "?"));
  }

  Status Header(const std::string& name, mode_t type, mode_t mode, int64_t size) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, name.c_str());
    archive_entry_set_filetype(entry, type);
    archive_entry_set_perm(entry, mode);
    archive_entry_set_size(entry, size);
    archive_entry_set_mtime(entry, 0, 0);
    archive_entry_set_uid(entry, 0);
    archive_entry_set_gid(entry, 0);
    const int rc = archive_write_header(archive_, entry);
    archive_entry_free(entry);
    if (rc != ARCHIVE_OK) return Error("writing a header to");
    return Status::OK();
  }

  Status Data(const void* data, size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      const la_ssize_t n = archive_write_data(archive_, p, size);
      if (n < 0) return Error("writing");
      p += n;
      size -= static_cast<size_t>(n);
    }
    return Status::OK();
  }

  Status Directory(const std::string& name) { return Header(name, AE_IFDIR, 0755, 0); }

  Status SmallFile(const std::string& name, std::string_view data) {
    if (Status s = Header(name, AE_IFREG, 0644, static_cast<int64_t>(data.size())); !s.ok()) {
      return s;
    }
    return Data(data.data(), data.size());
  }

  std::string path_;
  std::string tmp_;
  UniqueFd fd_;
  struct archive* archive_;
  std::string existing_;
  std::set<std::string> dirs_;
  bool finished_ = false;
};

}  // namespace

Result<std::unique_ptr<LayoutWriter>> OpenArchiveWriter(const std::string& path) {
  const std::string tmp = fmt::format("{}.tmp-{}", path, ::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoStatus("create", tmp, errno);
  struct archive* a = archive_write_new();
  if (a == nullptr) {
    ::unlink(tmp.c_str());
    return Status::Internal("archive_write_new failed");
  }
  const int raw_fd = fd.get();
  auto writer = std::make_unique<ArchiveWriter>(path, tmp, std::move(fd), a);
  if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
      archive_write_open_fd(a, raw_fd) != ARCHIVE_OK) {
    return Status::IOError(fmt::format("opening {} for writing: {}", tmp,
                                       archive_error_string(a) ? archive_error_string(a) : "?"));
  }
  if (Status s = writer->Start(); !s.ok()) return s;
  return std::unique_ptr<LayoutWriter>(std::move(writer));
}

}  // namespace contentstore::oci
