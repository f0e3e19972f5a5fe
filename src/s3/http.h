// One HTTP exchange with an S3 server: libcurl sends the request, signed
// with SigV4 by libcurl itself (CURLOPT_AWS_SIGV4; nothing here computes a
// signature), and hands back the status, headers and body. No retries here:
// client.cc decides what to repeat.
//
// Connections are reused: each exchange borrows an easy handle from a pool
// and gives it back (a handle keeps its connections open between
// exchanges); DNS results and TLS sessions are shared between handles. An
// exchange that finds the pool empty makes a new handle; at most
// ClientOptions::max_idle_connections handles are kept idle.
//
// What libcurl 7.88 needs for SigV4 to match what S3 computes, handled here
// and in uri.h: the URL is already canonical (see uri.h); the payload hash
// goes in an explicit x-amz-content-sha256 header (libcurl then signs with
// that value: UNSIGNED-PAYLOAD or the body's SHA-256; without the header the
// signature does not match), and no header is given empty to suppress it
// (libcurl signs "Expect:" but does not send it).
//
// Thread-safety: a Transport may be used from any number of threads at once
// (the pool and the shared caches are locked); a BodySink is used by the one
// thread running its exchange.

#ifndef CONTENTSTORE_SRC_S3_HTTP_H_
#define CONTENTSTORE_SRC_S3_HTTP_H_

#include <curl/curl.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "contentstore/status.h"
#include "s3/config.h"
#include "s3/types.h"

namespace contentstore::s3 {

// Response headers by lowercase name (the last one wins).
using Headers = std::map<std::string, std::string>;

struct HttpRequest {
  std::string method;  // GET, HEAD, PUT, POST or DELETE
  std::string url;     // canonical (uri.h)
  // "Name: value" lines besides those the transport adds (signing, payload hash).
  std::vector<std::string> headers;
  Body body;  // PUT and POST; empty for the others
  // x-amz-content-sha256: "UNSIGNED-PAYLOAD" or the body's SHA-256 in hex.
  std::string payload_hash = "UNSIGNED-PAYLOAD";
  // Overrides ClientOptions::request_timeout for this exchange when > 0.
  std::chrono::milliseconds timeout{0};
  // Send on a new connection. libcurl silently sends a request again when a
  // reused connection closes before any answer; for a call whose first
  // attempt may have taken effect that hides the ambiguity, so such calls
  // ask for a fresh connection, where libcurl reports the failure instead.
  bool fresh_connection = false;
};

// Takes a successful (2xx) response's body as it arrives; error bodies never
// reach it (the exchange keeps them for the error document).
class BodySink {
 public:
  virtual ~BodySink() = default;
  // Before the first chunk of a 2xx response.
  virtual void begin(long http_status, const Headers& headers) = 0;
  // One chunk. Returning false stops the transfer (the sink has all it
  // wants, or failed and keeps its own Status).
  virtual bool write(std::string_view chunk) = 0;
};

struct HttpExchange {
  CURLcode curl_code = CURLE_OK;
  std::string curl_error;  // libcurl's text when curl_code is not CURLE_OK
  long http_status = 0;    // 0 when no response arrived
  Headers headers;
  // The body when no sink took it: error documents, XML results.
  std::string body;
  bool sink_stopped = false;  // the sink returned false
  // Non-OK when the request body could not be read (a file body's pread
  // failed or the file was shorter than the body's length).
  Status body_read_status;
};

class Transport {
 public:
  // InvalidArgument for a bad endpoint or missing credentials; Internal if
  // libcurl lacks SigV4 (before 7.75).
  static Result<std::unique_ptr<Transport>> Create(const ClientOptions& options);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // One exchange. `sink` (may be null) takes a 2xx body; without one the
  // body goes to HttpExchange::body (up to 64 MiB; more fails the exchange).
  HttpExchange perform(const HttpRequest& request, BodySink* sink);

  const ClientOptions& options() const { return options_; }

 private:
  explicit Transport(ClientOptions options);
  struct Shared;
  CURL* acquire();
  void release(CURL* handle);

  ClientOptions options_;
  std::unique_ptr<Shared> shared_;
};

// libcurl failures worth another attempt: connection refused or reset, DNS
// failure, timeouts, an empty or cut-off response.
bool IsRetryable(CURLcode code);
// False when the request cannot have reached the server (no connection was
// made); true when it may have been carried out even though no answer came.
bool MayHaveBeenSent(CURLcode code);

}  // namespace contentstore::s3

#endif  // CONTENTSTORE_SRC_S3_HTTP_H_
