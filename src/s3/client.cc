#include "s3/client.h"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "contentstore/env.h"
#include "s3/errors.h"
#include "s3/http.h"
#include "s3/uri.h"
#include "s3/xml.h"
#include "util/hasher.h"
#include "util/text.h"

namespace contentstore::s3 {

namespace {

constexpr size_t kMaxKeyBytes = 1024;
constexpr int kMaxPartNumber = 10000;
// CompleteMultipartUpload may take long on a big object (the server
// stitches the parts); give it at least this long per attempt.
constexpr std::chrono::milliseconds kCompleteTimeout{10 * 60 * 1000};
// Before libcurl 8.10, SigV4 sorted signed headers as whole "name:value"
// lines, so x-amz-copy-source-range came before x-amz-copy-source and the
// signature never matched (curl PR 14370).
constexpr unsigned kCurlSortsPrefixedHeaders = 0x080A00;

Status CheckBucket(std::string_view bucket) {
  if (bucket.empty()) return Status::InvalidArgument("S3: empty bucket name");
  return Status::OK();
}

Status CheckKey(std::string_view bucket, std::string_view key) {
  if (Status s = CheckBucket(bucket); !s.ok()) return s;
  if (key.empty()) return Status::InvalidArgument("S3 " + Printable(bucket) + ": empty key");
  if (key.size() > kMaxKeyBytes) {
    return Status::InvalidArgument("S3 key " + Printable(key) + ": longer than 1024 bytes");
  }
  if (key.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("S3 key " + Printable(key) + ": contains NUL");
  }
  return Status::OK();
}

Status CheckPartNumber(int part_number) {
  if (part_number < 1 || part_number > kMaxPartNumber) {
    return Status::InvalidArgument("S3 part number " + std::to_string(part_number) +
                                   ": must be 1 to 10000");
  }
  return Status::OK();
}

std::string What(std::string_view method, std::string_view bucket, std::string_view key) {
  std::string what(method);
  what += ' ';
  what += bucket;
  if (!key.empty()) {
    what += '/';
    what += key;
  }
  return what;
}

std::string Hex(const unsigned char* data, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0xF];
  }
  return out;
}

std::string Md5Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  return Hex(md, len);
}

// x-amz-content-sha256 for `body`: UNSIGNED-PAYLOAD, or its SHA-256 when
// payloads are signed (a file body is read once for it here).
Result<std::string> PayloadHash(const Body& body, bool sign) {
  if (!sign) return std::string("UNSIGNED-PAYLOAD");
  Hasher hasher(Algorithm::kSHA256);
  if (!body.is_file()) {
    hasher.update(body.memory().data(), body.memory().size());
    return hasher.digest().hex();
  }
  std::string buffer(size_t{1} << 20, '\0');
  for (uint64_t done = 0; done < body.size();) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), body.size() - done));
    auto got = body.env()->ReadAt(body.fd(), buffer.data(), want,
                                  static_cast<int64_t>(body.offset() + done), "S3 request body");
    if (!got.ok()) return got.status();
    if (*got == 0) {
      return Status::IOError("S3 request body: the file ends " +
                             std::to_string(body.size() - done) +
                             " bytes before the body's length");
    }
    hasher.update(buffer.data(), *got);
    done += *got;
  }
  return hasher.digest().hex();
}

// "Mon, 30 Nov 2026 18:48:18 GMT" (HTTP dates).
Timestamp ParseHttpDate(const std::string& text) {
  time_t t = curl_getdate(text.c_str(), nullptr);
  if (t < 0) return Timestamp{};
  return Timestamp(std::chrono::seconds(t));
}

std::string HeaderOr(const Headers& headers, const std::string& name, std::string fallback = "") {
  auto it = headers.find(name);
  return it == headers.end() ? fallback : it->second;
}

Result<std::string> RequireETag(Result<std::string> etag, std::string_view what) {
  if (etag.ok() && etag->empty()) {
    return Status::IOError("malformed S3 response to " + Printable(what) + ": no ETag");
  }
  return etag;
}

// Bytes [offset, offset + length) of an object, handed on as they arrive,
// across attempts: a retry asks only for what has not arrived yet.
class RangeSink : public BodySink {
 public:
  RangeSink(uint64_t offset, std::optional<uint64_t> length,
            std::function<Status(std::string_view)> consume)
      : offset_(offset), length_(length), consume_(std::move(consume)) {}

  // The Range header of the next attempt; empty when the whole object is
  // wanted and nothing has arrived.
  std::string range_header() const {
    uint64_t first = offset_ + delivered_;
    if (first == 0 && !length_) return "";
    std::string range = "Range: bytes=" + std::to_string(first) + "-";
    if (length_) range += std::to_string(offset_ + *length_ - 1);
    return range;
  }
  bool done() const { return length_ && delivered_ >= *length_; }
  uint64_t delivered() const { return delivered_; }
  const std::string& etag() const { return etag_; }
  const Status& status() const { return status_; }

  void begin(long http_status, const Headers& headers) override {
    if (etag_.empty()) etag_ = HeaderOr(headers, "etag");
    // 200 instead of 206: the server sent the whole object; drop what
    // precedes the bytes we want.
    skip_ = http_status == 200 ? offset_ + delivered_ : 0;
  }
  bool write(std::string_view chunk) override {
    if (skip_ > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(skip_, chunk.size()));
      chunk.remove_prefix(n);
      skip_ -= n;
    }
    if (length_) {
      chunk = chunk.substr(
          0, static_cast<size_t>(std::min<uint64_t>(chunk.size(), *length_ - delivered_)));
    }
    if (!chunk.empty()) {
      status_ = consume_(chunk);
      if (!status_.ok()) return false;
      delivered_ += chunk.size();
    }
    return !done();
  }

 private:
  uint64_t offset_;
  std::optional<uint64_t> length_;
  std::function<Status(std::string_view)> consume_;
  uint64_t delivered_ = 0;
  uint64_t skip_ = 0;
  std::string etag_;
  Status status_;
};

}  // namespace

std::optional<std::string> MultipartETag(std::span<const Part> parts) {
  std::string binary;
  for (const Part& p : parts) {
    std::string etag = StripQuotes(p.etag);
    if (etag.size() != 32) return std::nullopt;
    for (size_t i = 0; i < 32; i += 2) {
      auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      int hi = nibble(etag[i]), lo = nibble(etag[i + 1]);
      if (hi < 0 || lo < 0) return std::nullopt;
      binary += static_cast<char>(hi * 16 + lo);
    }
  }
  return Md5Hex(binary) + "-" + std::to_string(parts.size());
}

// One S3 request as the retry loop sees it.
struct Call {
  std::string what;  // "PUT bucket/key", for messages
  HttpRequest request;
  Conditional conditional = Conditional::kNone;
  // CompleteMultipartUpload and CopyObject can answer 200 with an <Error>.
  bool error_may_come_with_200 = false;
  // Runs before each attempt (a resumed read sets its Range here).
  std::function<void(HttpRequest&)> prepare;
};

// What the retry loop ends with.
struct Outcome {
  Status status;                 // OK when the server said yes
  std::optional<S3Error> error;  // when the server said no
  // An earlier attempt may have been carried out although its answer was
  // lost or an error: the final answer must be read with that in mind.
  bool earlier_attempt_may_have_landed = false;
  HttpExchange exchange;  // the last attempt's
};

class Client::Impl {
 public:
  explicit Impl(std::unique_ptr<Transport> transport) : transport_(std::move(transport)) {}

  const ClientOptions& options() const { return transport_->options(); }

  // A request to ENDPOINT/BUCKET[/KEY][?QUERY]; `detail` goes into messages.
  Call call(std::string method, std::string_view bucket, std::string_view key,
            const QueryString& query = {}, std::string_view detail = "") const {
    Call c;
    c.what = What(method, bucket, key);
    if (!detail.empty()) c.what += " (" + std::string(detail) + ")";
    c.request.method = std::move(method);
    c.request.url = ObjectUrl(options().endpoint, bucket, key, query);
    return c;
  }

  Outcome execute(Call& call, BodySink* sink = nullptr);

  // execute(), then the answer's XML through `parse`.
  template <typename T>
  Result<T> execute_and_parse(Call& call, Result<T> (*parse)(std::string_view)) {
    Outcome out = execute(call);
    if (!out.status.ok()) return out.status;
    return parse(out.exchange.body);
  }

  // Removes the credentials from a message, should a server ever echo them.
  Status redact(Status status) const;

 private:
  std::unique_ptr<Transport> transport_;
};

Status Client::Impl::redact(Status status) const {
  if (status.ok()) return status;
  std::string msg = status.message();
  const Credentials& c = options().credentials;
  for (const std::string* secret : {&c.secret_access_key, &c.session_token, &c.access_key_id}) {
    if (secret->empty()) continue;
    for (size_t at; (at = msg.find(*secret)) != std::string::npos;) {
      msg.replace(at, secret->size(), "[redacted]");
    }
  }
  return Status(status.code(), std::move(msg));
}

Outcome Client::Impl::execute(Call& call, BodySink* sink) {
  const RetryPolicy& retry = options().retry;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  Outcome out;
  std::string last_failure;
  for (int attempt = 1;; ++attempt) {
    if (call.prepare) call.prepare(call.request);
    out.exchange = transport_->perform(call.request, sink);
    HttpExchange& ex = out.exchange;
    if (!ex.body_read_status.ok()) {
      out.status = ex.body_read_status.WithContext("S3 " + Printable(call.what));
      return out;
    }
    if (ex.sink_stopped) {
      out.status = Status::OK();  // the sink has what it wanted, or its own error
      return out;
    }
    // From here on, every failure that does not return is worth another try.
    if (ex.curl_code != CURLE_OK) {
      if (!IsRetryable(ex.curl_code)) {
        out.status = redact(Status::IOError("S3 " + Printable(call.what) + ": " + ex.curl_error));
        return out;
      }
      last_failure = ex.curl_error;
      if (MayHaveBeenSent(ex.curl_code)) out.earlier_attempt_may_have_landed = true;
    } else {
      bool success = ex.http_status >= 200 && ex.http_status < 300;
      std::optional<S3Error> error;
      if (!success || call.error_may_come_with_200) error = ParseError(ex.http_status, ex.body);
      if (!error) {
        out.status = Status::OK();
        out.error.reset();
        return out;
      }
      Status status = StatusFromS3Error(call.what, *error, call.conditional);
      if (!IsRetryable(*error)) {
        out.status = redact(std::move(status));
        out.error = std::move(error);
        return out;
      }
      last_failure = status.message();
      if (MayHaveTakenEffect(*error)) out.earlier_attempt_may_have_landed = true;
    }
    if (attempt >= retry.max_attempts) {
      out.status = redact(Status::Unavailable("S3 " + Printable(call.what) + ": gave up after " +
                                              std::to_string(attempt) + " attempt" +
                                              (attempt == 1 ? "" : "s") + ": " + last_failure));
      return out;
    }
    auto cap = retry.BackoffCap(attempt);
    std::uniform_int_distribution<int64_t> pause(0, cap.count());
    std::this_thread::sleep_for(std::chrono::milliseconds(pause(rng)));
  }
}

// --- Client ---

Result<std::unique_ptr<Client>> Client::Create(const ClientOptions& options) {
  auto transport = Transport::Create(options);
  if (!transport.ok()) return transport.status();
  return std::unique_ptr<Client>(new Client(std::make_unique<Impl>(std::move(*transport))));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

const ClientOptions& Client::options() const { return impl_->options(); }

Status Client::create_bucket(std::string_view bucket) {
  if (Status s = CheckBucket(bucket); !s.ok()) return s;
  Call call = impl_->call("PUT", bucket, "");
  return impl_->execute(call).status;
}

Status Client::head_bucket(std::string_view bucket) {
  if (Status s = CheckBucket(bucket); !s.ok()) return s;
  Call call = impl_->call("HEAD", bucket, "");
  return impl_->execute(call).status;
}

Result<std::string> Client::put_object(std::string_view bucket, std::string_view key,
                                       std::string_view body, const PutOptions& options) {
  if (Status s = CheckKey(bucket, key); !s.ok()) return s;
  Call call = impl_->call("PUT", bucket, key);
  call.request.body = Body::Memory(body);
  call.request.headers.push_back("Content-Type: " + options.content_type);
  if (options.if_none_match) {
    call.request.headers.push_back("If-None-Match: *");
    call.conditional = Conditional::kIfNoneMatch;
    call.request.fresh_connection = true;
  }
  auto hash = PayloadHash(call.request.body, impl_->options().sign_payload);
  if (!hash.ok()) return hash.status();
  call.request.payload_hash = std::move(*hash);
  Outcome out = impl_->execute(call);
  if (out.status.ok()) return StripQuotes(HeaderOr(out.exchange.headers, "etag"));
  // An earlier attempt may have stored the object and this one found it.
  if (out.status.IsAlreadyExists() && out.earlier_attempt_may_have_landed) {
    auto head = head_object(bucket, key);
    std::string ours = Md5Hex(body);
    if (head.ok() && head->etag == ours) return ours;
  }
  return out.status;
}

Result<ObjectInfo> Client::head_object(std::string_view bucket, std::string_view key) {
  if (Status s = CheckKey(bucket, key); !s.ok()) return s;
  Call call = impl_->call("HEAD", bucket, key);
  Outcome out = impl_->execute(call);
  if (!out.status.ok()) return out.status;
  const Headers& h = out.exchange.headers;
  ObjectInfo info;
  info.key = std::string(key);
  info.etag = StripQuotes(HeaderOr(h, "etag"));
  info.last_modified = ParseHttpDate(HeaderOr(h, "last-modified"));
  std::string length = HeaderOr(h, "content-length");
  char* end = nullptr;
  info.size = std::strtoull(length.c_str(), &end, 10);
  if (length.empty() || end == nullptr || *end != '\0') {
    return Status::IOError("S3 " + Printable(call.what) + ": no Content-Length in the answer");
  }
  return info;
}

Status Client::read_object(std::string_view bucket, std::string_view key, uint64_t offset,
                           std::optional<uint64_t> length, const ChunkSink& sink) {
  if (Status s = CheckKey(bucket, key); !s.ok()) return s;
  if (length && *length == 0) return Status::OK();
  RangeSink range(offset, length, sink);
  Call call = impl_->call("GET", bucket, key);
  call.prepare = [&range](HttpRequest& request) {
    request.headers.clear();
    if (std::string header = range.range_header(); !header.empty()) {
      request.headers.push_back(std::move(header));
    }
    // After part of the body arrived: the rest of the same object only.
    if (range.delivered() > 0 && !range.etag().empty()) {
      request.headers.push_back("If-Match: " + range.etag());
    }
  };
  Outcome out = impl_->execute(call, &range);
  if (!range.status().ok()) return range.status();
  if (out.status.ok()) return Status::OK();
  // 416: the offset is at or past the end, where a read finds nothing.
  if (out.error && out.error->http_status == 416 && range.delivered() == 0) return Status::OK();
  if (out.error && out.error->http_status == 412 && range.delivered() > 0) {
    return Status::FailedPrecondition("S3 " + Printable(call.what) +
                                      ": the object changed while it was being read");
  }
  return out.status;
}

Result<size_t> Client::get_object(std::string_view bucket, std::string_view key, uint64_t offset,
                                  std::span<char> out) {
  if (Status s = CheckKey(bucket, key); !s.ok()) return s;
  if (out.empty()) return size_t{0};
  size_t filled = 0;
  Status s = read_object(bucket, key, offset, out.size(), [&](std::string_view chunk) {
    std::copy(chunk.begin(), chunk.end(), out.begin() + static_cast<std::ptrdiff_t>(filled));
    filled += chunk.size();
    return Status::OK();
  });
  if (!s.ok()) return s;
  return filled;
}

Status Client::delete_object(std::string_view bucket, std::string_view key) {
  if (Status s = CheckKey(bucket, key); !s.ok()) return s;
  Call call = impl_->call("DELETE", bucket, key);
  return impl_->execute(call).status;
}

Result<ListObjectsPage> Client::list_objects(std::string_view bucket,
                                             const ListObjectsRequest& request) {
  if (Status s = CheckBucket(bucket); !s.ok()) return s;
  QueryString query;
  query.set("list-type", "2")
      .set("encoding-type", "url")
      .set_optional("prefix", request.prefix)
      .set_optional("delimiter", request.delimiter)
      .set_optional("continuation-token", request.continuation_token)
      .set_optional("start-after", request.start_after)
      .set_optional("max-keys", request.max_keys);
  Call call = impl_->call("GET", bucket, "", query, "list " + request.prefix);
  return impl_->execute_and_parse(call, &ParseListObjects);
}

Result<std::string> Client::copy_object(std::string_view bucket, std::string_view src_key,
                                        std::string_view dst_key) {
  if (Status s = CheckKey(bucket, src_key); !s.ok()) return s;
  if (Status s = CheckKey(bucket, dst_key); !s.ok()) return s;
  Call call = impl_->call("PUT", bucket, dst_key, {}, "copy of " + std::string(src_key));
  call.error_may_come_with_200 = true;
  call.request.headers.push_back(
      "x-amz-copy-source: " +
      UriEncode("/" + std::string(bucket) + "/" + std::string(src_key), true));
  Outcome out = impl_->execute(call);
  if (!out.status.ok()) return out.status;
  return RequireETag(ParseETag(out.exchange.body, "CopyObjectResult"), call.what);
}

Result<std::string> Client::create_multipart_upload(std::string_view bucket, std::string_view key) {
  if (Status s = CheckKey(bucket, key); !s.ok()) return s;
  Call call = impl_->call("POST", bucket, key, QueryString().set("uploads", ""), "create upload");
  call.request.fresh_connection = true;
  call.request.headers.push_back("Content-Type: application/octet-stream");
  return impl_->execute_and_parse(call, &ParseUploadId);
}

Result<std::string> Client::upload_part(std::string_view bucket, std::string_view key,
                                        std::string_view upload_id, int part_number,
                                        const Body& body) {
  if (Status s = CheckKey(bucket, key); !s.ok()) return s;
  if (Status s = CheckPartNumber(part_number); !s.ok()) return s;
  QueryString query;
  query.set("partNumber", std::to_string(part_number)).set("uploadId", std::string(upload_id));
  Call call = impl_->call("PUT", bucket, key, query, "part " + std::to_string(part_number));
  call.request.body = body;
  auto hash = PayloadHash(body, impl_->options().sign_payload);
  if (!hash.ok()) return hash.status();
  call.request.payload_hash = std::move(*hash);
  Outcome out = impl_->execute(call);
  if (!out.status.ok()) return out.status;
  std::string etag = StripQuotes(HeaderOr(out.exchange.headers, "etag"));
  if (etag.empty())
    return Status::IOError("S3 " + Printable(call.what) + ": no ETag in the answer");
  return etag;
}

Result<std::string> Client::upload_part_copy(std::string_view bucket, std::string_view key,
                                             std::string_view upload_id, int part_number,
                                             std::string_view src_key,
                                             std::optional<ByteRange> range) {
  if (Status s = CheckKey(bucket, key); !s.ok()) return s;
  if (Status s = CheckKey(bucket, src_key); !s.ok()) return s;
  if (Status s = CheckPartNumber(part_number); !s.ok()) return s;
  if (range && range->length == 0) {
    return Status::InvalidArgument("S3 part copy: an empty range");
  }
  if (range && curl_version_info(CURLVERSION_NOW)->version_num < kCurlSortsPrefixedHeaders) {
    return Status::FailedPrecondition(
        std::string("S3 part copy with a range: libcurl ") +
        curl_version_info(CURLVERSION_NOW)->version +
        " signs x-amz-copy-source-range in the wrong order (fixed in libcurl 8.10, curl PR "
        "14370); copy the whole object, or upload the bytes");
  }
  QueryString query;
  query.set("partNumber", std::to_string(part_number)).set("uploadId", std::string(upload_id));
  Call call =
      impl_->call("PUT", bucket, key, query,
                  "part " + std::to_string(part_number) + " copied from " + std::string(src_key));
  call.error_may_come_with_200 = true;
  call.request.headers.push_back(
      "x-amz-copy-source: " +
      UriEncode("/" + std::string(bucket) + "/" + std::string(src_key), true));
  if (range) {
    call.request.headers.push_back(
        "x-amz-copy-source-range: bytes=" + std::to_string(range->first) + "-" +
        std::to_string(range->first + range->length - 1));
  }
  Outcome out = impl_->execute(call);
  if (!out.status.ok()) return out.status;
  return RequireETag(ParseETag(out.exchange.body, "CopyPartResult"), call.what);
}

Result<ListPartsPage> Client::list_parts(std::string_view bucket, std::string_view key,
                                         std::string_view upload_id, int part_number_marker,
                                         int max_parts) {
  if (Status s = CheckKey(bucket, key); !s.ok()) return s;
  QueryString query;
  query.set("uploadId", std::string(upload_id))
      .set_optional("part-number-marker", part_number_marker)
      .set_optional("max-parts", max_parts);
  Call call = impl_->call("GET", bucket, key, query, "list parts");
  return impl_->execute_and_parse(call, &ParseListParts);
}

Result<std::vector<Part>> Client::list_all_parts(std::string_view bucket, std::string_view key,
                                                 std::string_view upload_id) {
  std::vector<Part> parts;
  int marker = 0;
  while (true) {
    auto page = list_parts(bucket, key, upload_id, marker);
    if (!page.ok()) return page.status();
    parts.insert(parts.end(), page->parts.begin(), page->parts.end());
    if (!page->truncated) return parts;
    if (page->next_part_number_marker <= marker) {
      return Status::IOError("S3 list parts of " + Printable(key) +
                             ": the server's part marker does not advance");
    }
    marker = page->next_part_number_marker;
  }
}

Result<std::string> Client::complete_multipart_upload(std::string_view bucket, std::string_view key,
                                                      std::string_view upload_id,
                                                      std::span<const Part> parts) {
  if (Status s = CheckKey(bucket, key); !s.ok()) return s;
  if (parts.empty()) return Status::InvalidArgument("S3 complete " + Printable(key) + ": no parts");
  for (size_t i = 0; i < parts.size(); ++i) {
    if (Status s = CheckPartNumber(parts[i].number); !s.ok()) return s;
    if (i > 0 && parts[i].number <= parts[i - 1].number) {
      return Status::InvalidArgument(
          "S3 complete " + Printable(key) + ": part numbers must increase (" +
          std::to_string(parts[i - 1].number) + " then " + std::to_string(parts[i].number) + ")");
    }
    if (parts[i].etag.empty()) {
      return Status::InvalidArgument("S3 complete " + Printable(key) + ": part " +
                                     std::to_string(parts[i].number) + " has no ETag");
    }
  }
  std::string xml = CompleteMultipartBody(parts);
  Call call = impl_->call("POST", bucket, key,
                          QueryString().set("uploadId", std::string(upload_id)), "complete upload");
  call.request.body = Body::Memory(xml);
  call.request.fresh_connection = true;
  call.error_may_come_with_200 = true;
  call.request.headers.push_back("Content-Type: application/xml");
  call.request.timeout = std::max(impl_->options().request_timeout, kCompleteTimeout);
  auto hash = PayloadHash(call.request.body, impl_->options().sign_payload);
  if (!hash.ok()) return hash.status();
  call.request.payload_hash = std::move(*hash);
  Outcome out = impl_->execute(call);
  if (out.status.ok()) {
    auto etag = ParseETag(out.exchange.body, "CompleteMultipartUploadResult");
    if (!etag.ok() || !etag->empty()) return etag;
    // RGW 16 answers the first completion with an empty <ETag>: ask.
    auto head = head_object(bucket, key);
    if (!head.ok()) return head.status().WithContext("S3 " + Printable(call.what) + " succeeded");
    return head->etag;
  }
  if (!out.status.IsNotFound() || !out.earlier_attempt_may_have_landed) return out.status;
  // NoSuchUpload after an attempt that may have completed it: if the object
  // is there with the ETag these parts give, that attempt did.
  std::optional<std::string> expected = MultipartETag(parts);
  auto head = head_object(bucket, key);
  if (expected && head.ok() && head->etag == *expected) return *expected;
  return Status::NotFound(
      out.status.message() + " (after an attempt whose answer was lost; the object " +
      (head.ok() ? "has ETag " + head->etag + ", not " + expected.value_or("(unknown)")
                 : std::string("is not there")) +
      ")");
}

Status Client::abort_multipart_upload(std::string_view bucket, std::string_view key,
                                      std::string_view upload_id) {
  if (Status s = CheckKey(bucket, key); !s.ok()) return s;
  Call call = impl_->call("DELETE", bucket, key,
                          QueryString().set("uploadId", std::string(upload_id)), "abort upload");
  call.request.fresh_connection = true;
  Outcome out = impl_->execute(call);
  if (out.status.IsNotFound() && out.earlier_attempt_may_have_landed) return Status::OK();
  return out.status;
}

Result<ListUploadsPage> Client::list_multipart_uploads(std::string_view bucket,
                                                       const ListUploadsRequest& request) {
  if (Status s = CheckBucket(bucket); !s.ok()) return s;
  QueryString query;
  query.set("uploads", "")
      .set_optional("prefix", request.prefix)
      .set_optional("key-marker", request.key_marker)
      .set_optional("upload-id-marker", request.upload_id_marker)
      .set_optional("max-uploads", request.max_uploads);
  Call call = impl_->call("GET", bucket, "", query, "list uploads " + request.prefix);
  return impl_->execute_and_parse(call, &ParseListUploads);
}

}  // namespace contentstore::s3
