// What the S3 client needs to know before its first request: the server's
// endpoint and signing region, the credentials, timeouts and the retry
// policy; and the s3:// URL that names a bucket and key prefix on a server
// (the form the command line's future --blobs flag takes).
//
// Credentials never appear in a message, a log line or a URL: no type here
// can be printed, and errors name the environment variable, not its value.
//
// Thread-safety: plain values; ParseBucketUrl and Credentials::FromEnvironment
// are safe to call concurrently (the latter reads the environment: do not
// call setenv meanwhile).

#ifndef CONTENTSTORE_SRC_S3_CONFIG_H_
#define CONTENTSTORE_SRC_S3_CONFIG_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "contentstore/status.h"

namespace contentstore::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  // Temporary credentials' token, sent as x-amz-security-token. Empty: none.
  std::string session_token;

  // From AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (optional)
  // AWS_SESSION_TOKEN. InvalidArgument naming the variable when one of the
  // first two is unset or empty.
  static Result<Credentials> FromEnvironment();
};

// How a call retries after a connection failure, a timeout, a 5xx, 429
// SlowDown or a 400 RequestTimeout. Calls that must not be repeated blindly
// check what the first attempt did instead (client.h says which).
struct RetryPolicy {
  // Attempts per call, the first included; 1 turns retries off. Default: 4.
  int max_attempts = 4;
  // The pause before retry n (n = 1, 2, ...) is uniformly random in
  // [0, min(max_backoff, initial_backoff * 2^(n-1))] ("full jitter": many
  // clients hitting one overloaded server spread out). Default: 200 ms, 5 s.
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{5000};

  // The upper bound of the pause before retry `retry` (1-based).
  std::chrono::milliseconds BackoffCap(int retry) const;
};

struct ClientOptions {
  // "http://HOST[:PORT]" or "https://HOST[:PORT]", no path. Required.
  // Requests use path-style addressing: ENDPOINT/BUCKET/KEY.
  std::string endpoint;
  // The SigV4 signing region. Default: "us-east-1". RGW accepts any value
  // (its zonegroup is "default").
  std::string region = "us-east-1";
  Credentials credentials;
  // false: x-amz-content-sha256 is UNSIGNED-PAYLOAD. true: it is the body's
  // SHA-256, which the server checks (a mismatch is XAmzContentSHA256Mismatch,
  // reported as IOError); costs one more pass over each body (a file body is
  // read twice). Default: false.
  bool sign_payload = false;
  // Establishing a connection (TCP and TLS). Default: 10 s.
  std::chrono::milliseconds connect_timeout{10000};
  // Total time of one attempt, transfer included; 0 means no limit (a large
  // transfer can take long). Default: 0.
  std::chrono::milliseconds request_timeout{0};
  // An attempt during which no byte moves for this long fails and is
  // retried: catches a dead server without limiting large transfers.
  // Default: 30 s.
  std::chrono::seconds stall_timeout{30};
  RetryPolicy retry;
  // Idle connections kept for reuse (one per pooled curl handle). Calls
  // beyond this many at once open more, closed when they finish. Default: 8.
  size_t max_idle_connections = 8;
  // TLS: verify the server's certificate. Default: true.
  bool verify_tls = true;
  // TLS: a CA bundle to verify with; empty: the system's. Default: empty.
  std::string ca_file;
};

// InvalidArgument unless `endpoint` is http(s)://HOST[:PORT] with an
// optional trailing "/". Returns it without the trailing "/".
Result<std::string> NormalizeEndpoint(std::string_view endpoint);

// s3://BUCKET[/PREFIX]?endpoint=URL[&region=REGION]
struct BucketUrl {
  std::string bucket;
  // Keys the caller puts under; "" or ends with "/": "s3://b/x/y" gives "x/y/".
  std::string prefix;
  std::string endpoint;  // normalized (NormalizeEndpoint)
  std::string region;    // "us-east-1" when the URL has none
};

// Parses an s3:// URL. Query values may be percent-encoded. The bucket must
// follow S3's naming rules (3-63 of a-z 0-9 . -, starting and ending with a
// letter or digit); the prefix must be valid UTF-8 without control
// characters or empty segments. InvalidArgument says what is wrong; an
// unknown query parameter is refused by name (credentials never go in URLs).
Result<BucketUrl> ParseBucketUrl(std::string_view url);

}  // namespace contentstore::s3

#endif  // CONTENTSTORE_SRC_S3_CONFIG_H_
