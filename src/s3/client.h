// An S3 client for the blob tier: the object and multipart-upload calls an
// ingest and a commit need, against AWS S3 or any compatible server (tested
// against Ceph RGW 16). Path-style addressing (ENDPOINT/BUCKET/KEY), SigV4
// signing by libcurl, XML by pugixml (xml.h). Internal to contentstore: not
// an installed header.
//
// Every call returns a Status or Result; errors.h has the table from S3's
// errors to codes. Keys are used as given (the caller adds any prefix from
// a BucketUrl); they may hold any bytes but NUL, up to 1024 of them.
//
// Retries. A call that fails on the way (connection refused or reset,
// timeout, empty reply) or gets a retryable answer (5xx, SlowDown,
// RequestTimeout) is sent again after a random pause, up to
// ClientOptions::retry.max_attempts attempts in all; then it is Unavailable
// with the last failure in the message. Sending a request twice is harmless
// for GET, HEAD, PUT, DELETE, UploadPart, CopyObject and ListParts. The
// others go out on a fresh connection (libcurl would otherwise repeat them
// silently when a reused connection drops before the answer, and the client
// could not tell), and are handled so that a retry whose first attempt did
// land (its answer was lost) still reports what really happened:
//   - put_object with if_none_match: a 412 after an attempt that may have
//     landed is checked with a HEAD: an object whose ETag is the MD5 of our
//     body is reported OK (it is ours, or byte-identical).
//   - complete_multipart_upload: NoSuchUpload after an attempt that may have
//     landed is checked with a HEAD: an object whose ETag is the one S3
//     computes from the parts' ETags is reported OK with that ETag.
//   - abort_multipart_upload: NoSuchUpload after an attempt that may have
//     landed is OK.
//   - create_multipart_upload is retried: a lost answer leaves an empty
//     upload nobody knows the id of; list_multipart_uploads plus abort, or a
//     lifecycle rule, removes it.
//   - get_object/read_object: a retry after part of the body arrived asks
//     for the rest only, with If-Match on the first answer's ETag, so bytes
//     of two versions never mix (the object changing in between is
//     FailedPrecondition).
//
// Credentials are never logged and never appear in a Status message.
//
// Thread-safety: a Client may be used from any number of threads at once;
// each call uses its own pooled connection (http.h). Destroy it only when no
// call is running.

#ifndef CONTENTSTORE_SRC_S3_CLIENT_H_
#define CONTENTSTORE_SRC_S3_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "contentstore/status.h"
#include "s3/config.h"
#include "s3/types.h"

namespace contentstore::s3 {

struct PutOptions {
  // Send If-None-Match: * so an existing key is never overwritten: the call
  // is then AlreadyExists. Default: false.
  bool if_none_match = false;
  // Content-Type to store. Default: application/octet-stream.
  std::string content_type = "application/octet-stream";
};

// Receives an object's bytes in order; a non-OK Status stops the read and
// becomes its result.
using ChunkSink = std::function<Status(std::string_view chunk)>;

class Client {
 public:
  // InvalidArgument for a bad endpoint, empty credentials or region, or
  // retry.max_attempts < 1.
  static Result<std::unique_ptr<Client>> Create(const ClientOptions& options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClientOptions& options() const;

  // --- Buckets (for setup and tests). ---
  // OK when created, and when it exists and is ours (RGW, like AWS in
  // us-east-1, answers 200); AlreadyExists when someone else owns it. No
  // location constraint is sent: the server's default region.
  Status create_bucket(std::string_view bucket);
  // OK when it exists and we may use it; NotFound; IOError (403) otherwise.
  Status head_bucket(std::string_view bucket);

  // --- Objects. ---
  // Stores `body` under `key` in one request (S3 allows up to 5 GiB; use
  // multipart past a few MiB). Returns the new ETag.
  Result<std::string> put_object(std::string_view bucket, std::string_view key,
                                 std::string_view body, const PutOptions& options = {});
  // Size, ETag and time; NotFound.
  Result<ObjectInfo> head_object(std::string_view bucket, std::string_view key);
  // Reads up to out.size() bytes from `offset` into `out` and returns how
  // many: fewer only at the end of the object, 0 at or past it (as
  // Reader::read_at does). NotFound for a missing key.
  Result<size_t> get_object(std::string_view bucket, std::string_view key, uint64_t offset,
                            std::span<char> out);
  // Streams bytes [offset, offset + length) (to the end when length is
  // nullopt) to `sink` as they arrive, without holding the object in memory.
  // An offset at or past the end streams nothing.
  Status read_object(std::string_view bucket, std::string_view key, uint64_t offset,
                     std::optional<uint64_t> length, const ChunkSink& sink);
  // OK also when the key does not exist (S3 answers 204 either way).
  Status delete_object(std::string_view bucket, std::string_view key);
  // One page of ListObjectsV2.
  Result<ListObjectsPage> list_objects(std::string_view bucket, const ListObjectsRequest& request);
  // Server-side copy of src_key to dst_key in the same bucket; returns the
  // copy's ETag (RGW keeps the source's, "HEX-N" for a multipart source;
  // AWS computes a new one for a multipart source). Overwrites dst_key: RGW
  // 16 ignores If-None-Match on copies, so a caller that must not overwrite
  // HEADs dst_key first (for a content-addressed key, overwriting with the
  // same bytes is harmless).
  Result<std::string> copy_object(std::string_view bucket, std::string_view src_key,
                                  std::string_view dst_key);

  // --- Multipart uploads. Parts are 1..10000; every part but the last must
  // be at least 5 MiB (checked by the server at completion:
  // EntityTooSmall -> FailedPrecondition). ---
  // Returns the upload id.
  Result<std::string> create_multipart_upload(std::string_view bucket, std::string_view key);
  // Uploads part `part_number` from `body` (memory, or a range of a file read
  // as it is sent) and returns its ETag. Uploading a number again replaces
  // that part.
  Result<std::string> upload_part(std::string_view bucket, std::string_view key,
                                  std::string_view upload_id, int part_number, const Body& body);
  // Part `part_number` copied on the server from src_key (all of it, or
  // `range`). Returns its ETag. A range needs libcurl 8.10 or later (older
  // ones sign x-amz-copy-source-range wrongly): FailedPrecondition before.
  Result<std::string> upload_part_copy(std::string_view bucket, std::string_view key,
                                       std::string_view upload_id, int part_number,
                                       std::string_view src_key,
                                       std::optional<ByteRange> range = std::nullopt);
  // One page of the upload's parts after part `part_number_marker`.
  // NotFound when the upload does not exist.
  Result<ListPartsPage> list_parts(std::string_view bucket, std::string_view key,
                                   std::string_view upload_id, int part_number_marker = 0,
                                   int max_parts = 0);
  // Every page of list_parts.
  Result<std::vector<Part>> list_all_parts(std::string_view bucket, std::string_view key,
                                           std::string_view upload_id);
  // Assembles the object from `parts` (numbers strictly increasing; ETags as
  // upload_part returned them) and returns its ETag. InvalidArgument for an
  // empty or unordered list; FailedPrecondition when the server finds a
  // part missing, with another ETag, or too small. RGW 16 also refuses
  // (InvalidPart) a list that leaves out any uploaded part, which AWS
  // allows: name every part list_all_parts shows. Completing an upload that
  // is already complete is OK on RGW 16 (it answers again).
  Result<std::string> complete_multipart_upload(std::string_view bucket, std::string_view key,
                                                std::string_view upload_id,
                                                std::span<const Part> parts);
  // Discards the upload and its parts. NotFound when it does not exist.
  Status abort_multipart_upload(std::string_view bucket, std::string_view key,
                                std::string_view upload_id);
  // One page of the uploads in progress whose key starts with the prefix.
  Result<ListUploadsPage> list_multipart_uploads(std::string_view bucket,
                                                 const ListUploadsRequest& request);

 private:
  class Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The ETag S3 gives an object completed from parts with these ETags: the
// MD5 of the concatenated binary MD5s, "-", the number of parts. nullopt if
// an ETag is not a plain MD5 (32 hex digits).
std::optional<std::string> MultipartETag(std::span<const Part> parts);

}  // namespace contentstore::s3

#endif  // CONTENTSTORE_SRC_S3_CLIENT_H_
