#include "oci/archive_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>

#include "env/errno_status.h"

namespace contentstore::oci {

Result<Member> ClassifyMemberName(std::string_view raw_name) {
  std::string_view name = raw_name;
  if (name.starts_with("/")) {
    return Status::InvalidArgument(
        fmt::format("archive member \"{}\" has an absolute path", raw_name));
  }
  while (name.starts_with("./")) name.remove_prefix(2);
  while (name.ends_with("/")) name.remove_suffix(1);
  // Every component: no "..", nothing empty in the middle.
  for (size_t start = 0; start <= name.size();) {
    const size_t slash = std::min(name.find('/', start), name.size());
    const std::string_view part = name.substr(start, slash - start);
    if (part == "..") {
      return Status::InvalidArgument(
          fmt::format("archive member \"{}\" points outside the layout", raw_name));
    }
    start = slash + 1;
  }
  Member member;
  member.name = std::string(name);
  if (name == "oci-layout") {
    member.type = Member::Type::kLayoutFile;
  } else if (name == "index.json") {
    member.type = Member::Type::kIndex;
  } else if (name.starts_with("blobs/")) {
    const std::string_view rest = name.substr(6);
    const size_t slash = rest.find('/');
    if (slash != std::string_view::npos && rest.find('/', slash + 1) == std::string_view::npos) {
      auto digest =
          Digest::Parse(fmt::format("{}:{}", rest.substr(0, slash), rest.substr(slash + 1)));
      if (digest.ok()) {
        member.type = Member::Type::kBlob;
        member.digest = *digest;
      }
    }
  }
  return member;
}

Result<std::unique_ptr<ArchiveReader>> ArchiveReader::Open(const std::string& path) {
  struct archive* a = archive_read_new();
  if (a == nullptr) return Status::Internal("archive_read_new failed");
  archive_read_support_format_tar(a);
  archive_read_support_format_gnutar(a);
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  std::unique_ptr<ArchiveReader> reader(new ArchiveReader(path, a));
  if (archive_read_open_filename(a, path.c_str(), 1 << 20) != ARCHIVE_OK) {
    const int err = archive_errno(a);
    if (err == ENOENT || err == EACCES || err == EISDIR)
      return ErrnoStatus("open archive", path, err);
    return reader->Error("open");
  }
  return reader;
}

ArchiveReader::~ArchiveReader() { archive_read_free(archive_); }

Status ArchiveReader::Error(std::string_view what) const {
  const char* text = archive_error_string(archive_);
  std::string message =
      fmt::format("{} {}{}: {}", what, path_, member_.empty() ? "" : " (member " + member_ + ")",
                  text != nullptr ? text : "unknown libarchive error");
  // An I/O error reading the file is the OS's; anything else is the
  // archive's bytes (truncated, garbled).
  const int err = archive_errno(archive_);
  if (err == EIO || err == ENOMEM) return Status::IOError(std::move(message));
  return Status::DataLoss(std::move(message));
}

Result<std::optional<Member>> ArchiveReader::Next() {
  struct archive_entry* entry = nullptr;
  const int rc = archive_read_next_header(archive_, &entry);
  if (rc == ARCHIVE_EOF) return std::optional<Member>();
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return Error("reading");
  const char* raw = archive_entry_pathname(entry);
  if (raw == nullptr)
    return Status::InvalidArgument(fmt::format("{}: a member has no name", path_));
  member_ = raw;
  auto member = ClassifyMemberName(raw);
  if (!member.ok()) return member.status().WithContext(path_);
  if (archive_entry_hardlink(entry) != nullptr) {
    return Status::InvalidArgument(fmt::format(
        "{}: archive member \"{}\" is a hard link; a layout holds regular files only", path_, raw));
  }
  const mode_t type = archive_entry_filetype(entry);
  if (type == AE_IFDIR) {
    member->type = Member::Type::kOther;
    return std::optional<Member>(std::move(*member));
  }
  if (type != AE_IFREG) {
    return Status::InvalidArgument(
        fmt::format("{}: archive member \"{}\" is {}; a layout holds regular files only", path_,
                    raw, type == AE_IFLNK ? "a symlink" : "not a regular file"));
  }
  member->size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
  if (member->size < 0) {
    return Status::InvalidArgument(
        fmt::format("{}: archive member \"{}\" has size {}", path_, raw, member->size));
  }
  return std::optional<Member>(std::move(*member));
}

Result<size_t> ArchiveReader::Read(std::span<std::byte> buf) {
  size_t done = 0;
  while (done < buf.size()) {
    const la_ssize_t n = archive_read_data(archive_, buf.data() + done, buf.size() - done);
    if (n < 0) {
      if (n == ARCHIVE_RETRY) continue;
      return Error("reading");
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

}  // namespace contentstore::oci
