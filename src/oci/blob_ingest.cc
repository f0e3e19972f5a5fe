#include "oci/blob_ingest.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>
#include <vector>

namespace contentstore::oci {
namespace {

constexpr size_t kBufferBytes = 1 << 20;
// Another import of the same blob holds its ref: wait this long for it to
// commit before giving up (Unavailable).
constexpr auto kLockWait = std::chrono::seconds(60);
constexpr auto kLockPoll = std::chrono::milliseconds(100);

Status Copy(Writer& writer, ByteSource& source, int64_t from, int64_t size,
            std::string_view source_name) {
  if (Status s = source.Skip(from); !s.ok()) return s;
  std::vector<std::byte> buf(kBufferBytes);
  int64_t offset = from;
  while (offset < size) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(size - offset, buf.size()));
    auto got = source.Read(std::span<std::byte>(buf.data(), want));
    if (!got.ok()) return got.status();
    if (*got == 0) {
      return Status::FailedPrecondition(
          fmt::format("{} ends after {} bytes; its descriptor says {}", source_name, offset, size));
    }
    if (Status s = writer.write(std::span<const std::byte>(buf.data(), *got)); !s.ok()) return s;
    offset += static_cast<int64_t>(*got);
  }
  return Status::OK();
}

}  // namespace

std::string IngestRef(const Digest& digest) { return "import-" + digest.str(); }

Result<bool> HoldExisting(Store& store, const std::string& lease, const Digest& digest,
                          int64_t size) {
  // The lease first: a blob found by info() can then not be collected
  // before the image's name holds it.
  LeaseResource resource;
  resource.type = LeaseResource::Type::kContent;
  resource.id = digest.str();
  if (Status s = store.add_lease_resource(lease, resource); !s.ok()) return s;
  auto info = store.info(digest);
  if (!info.ok()) {
    if (info.status().IsNotFound()) return false;
    return info.status();
  }
  if (info->size != size) {
    return Status::FailedPrecondition(
        fmt::format("{} is described as {} bytes, but the stored blob holds {}", digest.str(), size,
                    info->size));
  }
  return true;
}

Result<bool> IngestBlob(Store& store, const std::string& lease, const Digest& digest, int64_t size,
                        ByteSource& source, std::string_view source_name) {
  const auto deadline = std::chrono::steady_clock::now() + kLockWait;
  for (;;) {
    auto have = HoldExisting(store, lease, digest, size);
    if (!have.ok()) return have.status();
    if (*have) return false;

    WriterOptions options;
    options.ref = IngestRef(digest);
    options.expected = digest;
    options.total = size;
    options.lease = lease;
    auto writer = store.writer(options);
    if (!writer.ok()) {
      if (writer.status().IsAlreadyExists()) continue;  // committed meanwhile: HoldExisting says so
      if (writer.status().IsUnavailable() && std::chrono::steady_clock::now() < deadline) {
        // Another import is storing the same blob.
        std::this_thread::sleep_for(kLockPoll);
        continue;
      }
      return writer.status();
    }
    const int64_t from = (*writer)->status().offset;
    if (Status s = Copy(**writer, source, from, size, source_name); !s.ok()) {
      if (s.IsFailedPrecondition()) {
        (void)(*writer)->close();
        (void)store.abort(options.ref);
      }
      return s;
    }
    CommitOptions commit;
    commit.size = size;
    commit.expected = digest;
    Status committed = (*writer)->commit(commit);
    if (committed.IsAlreadyExists()) return false;
    if (committed.IsFailedPrecondition()) {
      // The bytes will never become this blob: drop them.
      (void)store.abort(options.ref);
      return Status::FailedPrecondition(fmt::format(
          "{} does not match its digest {} ({})", source_name, digest.str(), committed.message()));
    }
    if (!committed.ok()) return committed;
    return true;
  }
}

}  // namespace contentstore::oci
