#include "s3/s3_blob_tier.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "env/unique_fd.h"
#include "files/lost_found.h"
#include "util/text.h"

namespace contentstore::s3 {
namespace {

constexpr std::string_view kBlobsPrefix = "blobs/";
constexpr std::string_view kLostFoundPrefix = "lost+found/";
constexpr std::string_view kIngestsPrefix = "ingests/";

struct stat StatOf(const ObjectInfo& info) {
  struct stat st {};
  st.st_mode = S_IFREG | 0444;
  st.st_size = static_cast<off_t>(info.size);
  st.st_nlink = 1;
  const auto ns = info.last_modified.time_since_epoch().count();
  st.st_mtim.tv_sec = ns / 1'000'000'000;
  st.st_mtim.tv_nsec = ns % 1'000'000'000;
  return st;
}

// Ranged GETs of one object whose size the catalog gave.
class ObjectReader final : public Reader {
 public:
  ObjectReader(Client& client, std::string bucket, std::string key, int64_t size)
      : client_(client), bucket_(std::move(bucket)), key_(std::move(key)), size_(size) {}

  int64_t size() const override { return size_; }
  Result<size_t> read_at(int64_t offset, std::span<std::byte> buf) const override {
    if (offset < 0) return Status::InvalidArgument(fmt::format("negative offset {}", offset));
    if (offset >= size_ || buf.empty()) return size_t{0};
    const size_t want = static_cast<size_t>(std::min<int64_t>(
        static_cast<int64_t>(buf.size()), size_ - offset));
    auto got = client_.get_object(bucket_, key_, static_cast<uint64_t>(offset),
                                  std::span<char>(reinterpret_cast<char*>(buf.data()), want));
    if (!got.ok()) return got.status();
    if (*got < want) {
      return Status::DataLoss(fmt::format("s3://{}/{} is shorter than its {} bytes", bucket_,
                                          key_, size_));
    }
    return *got;
  }

 private:
  Client& client_;
  const std::string bucket_;
  const std::string key_;
  const int64_t size_;
};

}  // namespace

S3BlobTier::S3BlobTier(Env& env, std::unique_ptr<Client> client, BucketUrl url,
                       std::unique_ptr<BlobCache> cache)
    : env_(env), client_(std::move(client)), url_(std::move(url)), cache_(std::move(cache)) {}

Result<std::unique_ptr<S3BlobTier>> S3BlobTier::Open(Env& env, const BucketUrl& url,
                                                     std::unique_ptr<BlobCache> cache) {
  auto credentials = Credentials::FromEnvironment();
  if (!credentials.ok()) return credentials.status();
  ClientOptions options;
  options.endpoint = url.endpoint;
  options.region = url.region;
  options.credentials = std::move(*credentials);
  auto client = Client::Create(options);
  if (!client.ok()) return client.status();
  if (Status s = (*client)->head_bucket(url.bucket); !s.ok()) {
    return s.WithContext(fmt::format("blob bucket {} at {}", url.bucket, url.endpoint));
  }
  return std::make_unique<S3BlobTier>(env, std::move(*client), url, std::move(cache));
}

std::string S3BlobTier::KeyOf(const Digest& digest) const {
  return fmt::format("{}{}{}/{}", url_.prefix, kBlobsPrefix, AlgorithmName(digest.algorithm()),
                     digest.hex());
}

std::string S3BlobTier::UrlOf(const std::string& key) const {
  return fmt::format("s3://{}/{}", url_.bucket, key);
}

std::string S3BlobTier::Where(const Digest& digest) const { return UrlOf(KeyOf(digest)); }

Status S3BlobTier::UploadFile(const std::string& key, int64_t size, int fd, const std::string& path) {
  if (size <= kSinglePutBytes) {
    std::string body(static_cast<size_t>(size), '\0');
    for (int64_t off = 0; off < size;) {
      auto got = env_.ReadAt(fd, body.data() + off, static_cast<size_t>(size - off), off, path);
      if (!got.ok()) return got.status();
      if (*got == 0) return Status::DataLoss(fmt::format("{} shrank while publishing", path));
      off += static_cast<int64_t>(*got);
    }
    auto etag = client_->put_object(url_.bucket, key, body);
    return etag.status();
  }
  auto upload_id = client_->create_multipart_upload(url_.bucket, key);
  if (!upload_id.ok()) return upload_id.status();
  std::vector<Part> parts;
  Status s;
  for (int64_t off = 0; off < size && s.ok(); off += kPartBytes) {
    const int64_t length = std::min(kPartBytes, size - off);
    const int number = static_cast<int>(parts.size()) + 1;
    auto etag = client_->upload_part(
        url_.bucket, key, *upload_id, number,
        Body::File(fd, static_cast<uint64_t>(off), static_cast<uint64_t>(length), &env_));
    if (!etag.ok()) {
      s = etag.status();
      break;
    }
    parts.push_back({number, *etag, static_cast<uint64_t>(length)});
  }
  if (s.ok()) s = client_->complete_multipart_upload(url_.bucket, key, *upload_id, parts).status();
  if (!s.ok()) (void)client_->abort_multipart_upload(url_.bucket, key, *upload_id);
  return s;
}

Result<BlobTier::Published> S3BlobTier::Publish(const Digest& digest, int64_t size,
                                                const LocalFile& source, Mode) {
  const std::string key = KeyOf(digest);
  auto existing = client_->head_object(url_.bucket, key);
  if (existing.ok() && existing->size == static_cast<uint64_t>(size)) {
    return Published::kExisting;
  }
  if (!existing.ok() && !existing.status().IsNotFound()) return existing.status();
  // Absent, or damaged (another size): upload, replacing it.
  auto fd = OpenAt(env_, source.dir_fd, source.name, O_RDONLY, 0, source.path);
  if (!fd.ok()) return fd.status();
  if (Status s = UploadFile(key, size, fd->get(), source.path); !s.ok()) {
    return s.WithContext(fmt::format("publishing {} to {}", digest.str(), UrlOf(key)));
  }
  // The local file stays until the caller's catalog transaction is durable
  // (the class comment says why).
  return Published::kLinked;
}

Result<struct stat> S3BlobTier::Stat(const Digest& digest) {
  auto info = client_->head_object(url_.bucket, KeyOf(digest));
  if (!info.ok()) return info.status();
  return StatOf(*info);
}

Result<std::unique_ptr<Reader>> S3BlobTier::Open(const Digest& digest, int64_t size) {
  const std::string key = KeyOf(digest);
  if (cache_ && cache_->Admits(size)) {
    auto cached = cache_->Find(digest, size);
    if (cached.ok() && *cached) return std::move(**cached);
  }
  auto info = client_->head_object(url_.bucket, key);
  if (!info.ok()) return info.status();
  if (info->size != static_cast<uint64_t>(size)) {
    return Status::DataLoss(fmt::format("blob {}: {} holds {} bytes, the catalog says {}",
                                        digest.str(), UrlOf(key), info->size, size));
  }
  if (cache_ && cache_->Admits(size)) {
    auto filled = cache_->Fill(digest, size, [&](const BlobCache::Sink& sink) {
      return client_->read_object(url_.bucket, key, 0, std::nullopt, sink);
    });
    if (filled.ok()) return std::move(*filled);
    // A full local disk or a damaged transfer: read from S3 instead; a
    // damaged object shows when the reader's bytes are checked.
  }
  return std::unique_ptr<Reader>(std::make_unique<ObjectReader>(*client_, url_.bucket, key, size));
}

Status S3BlobTier::Retire(const Digest& digest) {
  if (cache_) cache_->Forget(digest);
  return client_->delete_object(url_.bucket, KeyOf(digest));
}

Status S3BlobTier::Withdraw(const Digest& digest, const LocalFile& target) {
  // Only reached when a commit's local file is gone (Publish keeps it), so
  // this is rare: the bytes come back from S3, durably, before the object
  // goes.
  const std::string key = KeyOf(digest);
  auto info = client_->head_object(url_.bucket, key);
  if (!info.ok()) return info.status();
  auto fd = OpenAt(env_, target.dir_fd, target.name, O_RDWR | O_CREAT | O_TRUNC, 0644,
                   target.path);
  if (!fd.ok()) return fd.status();
  int64_t offset = 0;
  Status s = client_->read_object(url_.bucket, key, 0, std::nullopt, [&](std::string_view b) {
    Status w = env_.WriteAt(fd->get(), b.data(), b.size(), offset, target.path);
    offset += static_cast<int64_t>(b.size());
    return w;
  });
  if (s.ok()) s = env_.SyncData(fd->get(), target.path);
  if (s.ok()) s = env_.SyncDir(target.dir_fd, target.path);
  if (!s.ok()) return s;
  if (cache_) cache_->Forget(digest);
  return client_->delete_object(url_.bucket, key);
}

Status S3BlobTier::Unlink(const Digest& digest, const LocalFile&) {
  // No row names the digest (the caller checked in its transaction), and a
  // racing commit re-checks its object in its own: as Retire.
  return Retire(digest);
}

Status S3BlobTier::List(const Visitor& visitor) {
  ListObjectsRequest request;
  request.prefix = url_.prefix + std::string(kBlobsPrefix);
  for (;;) {
    auto page = client_->list_objects(url_.bucket, request);
    if (!page.ok()) return page.status();
    for (const ObjectInfo& object : page->objects) {
      const std::string rest = object.key.substr(request.prefix.size());
      const size_t slash = rest.find('/');
      auto digest = slash == std::string::npos
                        ? Result<Digest>(Status::InvalidArgument("no algorithm"))
                        : Digest::Parse(rest.substr(0, slash) + ":" + rest.substr(slash + 1));
      const std::string where = UrlOf(object.key);
      Status s = digest.ok() ? visitor.blob(*digest, StatOf(object), where)
                             : visitor.stray(where, "not a blob object name");
      if (!s.ok()) return s;
    }
    if (!page->truncated || page->next_continuation_token.empty()) break;
    request.continuation_token = page->next_continuation_token;
  }
  return Status::OK();
}

Result<std::string> S3BlobTier::MoveAside(const std::string& path) {
  const std::string url_prefix = fmt::format("s3://{}/", url_.bucket);
  if (!path.starts_with(url_prefix)) {
    return Status::InvalidArgument(fmt::format("{} is not in bucket {}", Printable(path),
                                               url_.bucket));
  }
  const std::string key = path.substr(url_prefix.size());
  const std::string target =
      url_.prefix + std::string(kLostFoundPrefix) +
      LostFoundName(key.substr(std::min(key.size(), url_.prefix.size())), env_.NowNanos());
  auto copied = client_->copy_object(url_.bucket, key, target);
  if (!copied.ok()) return copied.status();
  if (Status s = client_->delete_object(url_.bucket, key); !s.ok()) return s;
  return UrlOf(target);
}

// --- Ingests as multipart uploads (files/ingest_uploads.h) ---

std::string S3BlobTier::IngestKeyOf(const std::string& id) const {
  return fmt::format("{}{}{}", url_.prefix, kIngestsPrefix, id);
}

Result<std::string> S3BlobTier::Start(const std::string& id) {
  return client_->create_multipart_upload(url_.bucket, IngestKeyOf(id));
}

Result<std::string> S3BlobTier::PutPart(const std::string& id, const std::string& upload_id,
                                        int number, int fd, int64_t offset, int64_t size,
                                        const std::string&) {
  return client_->upload_part(
      url_.bucket, IngestKeyOf(id), upload_id, number,
      Body::File(fd, static_cast<uint64_t>(offset), static_cast<uint64_t>(size), &env_));
}

Result<std::vector<int>> S3BlobTier::PartNumbers(const std::string& id,
                                                 const std::string& upload_id) {
  auto parts = client_->list_all_parts(url_.bucket, IngestKeyOf(id), upload_id);
  if (!parts.ok()) return parts.status();
  std::vector<int> numbers;
  for (const Part& p : *parts) numbers.push_back(p.number);
  return numbers;
}

Result<BlobTier::Published> S3BlobTier::Publish(const Digest& digest, int64_t size,
                                                const std::string& id,
                                                const std::string& upload_id,
                                                std::span<const UploadedPart> parts) {
  const std::string key = KeyOf(digest);
  const std::string ingest_key = IngestKeyOf(id);
  const std::string what = fmt::format("publishing {} to {}", digest.str(), UrlOf(key));
  std::vector<Part> list;
  for (const UploadedPart& p : parts) {
    list.push_back({p.number, p.etag, static_cast<uint64_t>(p.size)});
  }
  // Assembling again is fine (a commit that died after it, or a blob that
  // vanished before its row: complete_multipart_upload says OK).
  auto assembled = client_->complete_multipart_upload(url_.bucket, ingest_key, upload_id, list);
  if (!assembled.ok()) return assembled.status().WithContext(what);
  auto ingest_info = client_->head_object(url_.bucket, ingest_key);
  if (!ingest_info.ok()) return ingest_info.status().WithContext(what);
  if (ingest_info->size != static_cast<uint64_t>(size)) {
    return Status::DataLoss(fmt::format("{}: the assembled upload {} holds {} bytes, not {}", what,
                                        UrlOf(ingest_key), ingest_info->size, size));
  }
  auto existing = client_->head_object(url_.bucket, key);
  if (existing.ok() && existing->size == static_cast<uint64_t>(size)) {
    return Published::kExisting;
  }
  if (!existing.ok() && !existing.status().IsNotFound()) return existing.status().WithContext(what);
  auto copied = client_->copy_object(url_.bucket, ingest_key, key);
  if (!copied.ok()) return copied.status().WithContext(what);
  return Published::kLinked;
}

Status S3BlobTier::Discard(const std::string& id, const std::string& upload_id) {
  const std::string ingest_key = IngestKeyOf(id);
  Status s = client_->abort_multipart_upload(url_.bucket, ingest_key, upload_id);
  if (!s.ok() && !s.IsNotFound()) return s;
  // What a commit assembled; another ingest of the same ref (same id) may
  // have started a new upload since, but has assembled nothing yet: the key
  // only holds an object between a commit's Publish and its Discard.
  return client_->delete_object(url_.bucket, ingest_key);
}

Result<std::vector<IngestUploads::StartedUpload>> S3BlobTier::ListUploads() {
  const std::string prefix = url_.prefix + std::string(kIngestsPrefix);
  std::vector<StartedUpload> out;
  ListUploadsRequest request;
  request.prefix = prefix;
  for (;;) {
    auto page = client_->list_multipart_uploads(url_.bucket, request);
    if (!page.ok()) return page.status();
    for (const s3::Upload& u : page->uploads) {
      if (!u.key.starts_with(prefix)) continue;
      out.push_back({u.key.substr(prefix.size()), u.upload_id,
                     std::chrono::duration_cast<std::chrono::nanoseconds>(
                         u.initiated.time_since_epoch())
                         .count()});
    }
    if (!page->truncated || (page->next_key_marker.empty() &&
                             page->next_upload_id_marker.empty())) {
      break;
    }
    request.key_marker = page->next_key_marker;
    request.upload_id_marker = page->next_upload_id_marker;
  }
  return out;
}

}  // namespace contentstore::s3
