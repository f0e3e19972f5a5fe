// The values S3 calls take and return: object metadata, listing pages,
// multipart parts and uploads, and the body of an upload (bytes in memory or
// a range of an open file).
//
// ETags are kept without their quotes: "5d41...c592", or "HEX-N" for an
// object assembled from N parts. Times are what the server reported.
//
// Thread-safety: plain values. A Body refers to memory or a descriptor the
// caller keeps alive and unchanged for the duration of the call.

#ifndef CONTENTSTORE_SRC_S3_TYPES_H_
#define CONTENTSTORE_SRC_S3_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contentstore/env.h"
#include "contentstore/types.h"

namespace contentstore::s3 {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string etag;
  Timestamp last_modified{};
};

struct ListObjectsRequest {
  std::string prefix;
  // Keys are grouped at the first delimiter after the prefix into
  // common_prefixes. Empty: no grouping.
  std::string delimiter;
  // From the previous page's next_continuation_token. Empty: the first page.
  std::string continuation_token;
  // Only keys after this one (first page only). Empty: from the start.
  std::string start_after;
  // At most this many keys per page (servers cap it at 1000). 0: the server's default.
  int max_keys = 0;
};

struct ListObjectsPage {
  std::vector<ObjectInfo> objects;  // in key (byte) order
  std::vector<std::string> common_prefixes;
  // Empty on the last page.
  std::string next_continuation_token;
  bool truncated = false;
};

struct Part {
  int number = 0;  // 1..10000
  std::string etag;
  uint64_t size = 0;  // 0 when unknown (parts named for completion)
};

struct ListPartsPage {
  std::vector<Part> parts;  // by part number
  int next_part_number_marker = 0;
  bool truncated = false;
};

struct Upload {
  std::string key;
  std::string upload_id;
  Timestamp initiated{};
};

struct ListUploadsRequest {
  std::string prefix;
  // From the previous page. Empty: the first page.
  std::string key_marker;
  std::string upload_id_marker;
  int max_uploads = 0;  // 0: the server's default (1000)
};

struct ListUploadsPage {
  std::vector<Upload> uploads;  // by key, then initiation time
  std::string next_key_marker;
  std::string next_upload_id_marker;
  bool truncated = false;
};

// Bytes [first, first + length) of an object, for copies of a part.
struct ByteRange {
  uint64_t first = 0;
  uint64_t length = 0;
};

// The body of a PUT: bytes in memory, or `length` bytes of the open file
// `fd` from `offset`, read through `env` (Env::ReadAt, a pread) as they are
// sent (the part is never held in memory whole); the store passes its own
// Env, so fault-injection tests reach the body's reads too. REQUIRES: the
// memory or file range stays valid and unchanged until the call returns (a
// retry reads it again); `env` outlives the call.
class Body {
 public:
  Body() = default;
  static Body Memory(std::string_view bytes) {
    Body b;
    b.memory_ = bytes;
    b.length_ = bytes.size();
    return b;
  }
  static Body File(int fd, uint64_t offset, uint64_t length, Env* env = Env::Default()) {
    Body b;
    b.env_ = env;
    b.fd_ = fd;
    b.offset_ = offset;
    b.length_ = length;
    return b;
  }

  bool is_file() const { return fd_ >= 0; }
  uint64_t size() const { return length_; }
  std::string_view memory() const { return memory_; }
  int fd() const { return fd_; }
  uint64_t offset() const { return offset_; }
  Env* env() const { return env_; }

 private:
  std::string_view memory_;
  Env* env_ = nullptr;
  int fd_ = -1;
  uint64_t offset_ = 0;
  uint64_t length_ = 0;
};

}  // namespace contentstore::s3

#endif  // CONTENTSTORE_SRC_S3_TYPES_H_
