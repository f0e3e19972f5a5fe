// What a server test needs from the server the CTest fixture started: the
// KEY=VALUE lines of DIR/env (tools/test-servers/ceph-rgw writes them),
// found through $CONTENTSTORE_S3_ENV, and a client made from them.
//
// When the file cannot be read the tests fail, saying how to start the
// server; they skip (visibly) only when CONTENTSTORE_SKIP_SERVER_TESTS=1.
//
// Thread-safety: load once per test suite; read-only afterwards.

#ifndef CONTENTSTORE_TESTS_S3_SERVER_ENV_H_
#define CONTENTSTORE_TESTS_S3_SERVER_ENV_H_

#include <map>
#include <optional>
#include <string>

#include "contentstore/status.h"
#include "s3/config.h"

namespace contentstore::s3::testing {

// True when CONTENTSTORE_SKIP_SERVER_TESTS=1.
bool SkipServerTests();

// The KEY=VALUE lines of a file; IOError when it cannot be read.
Result<std::map<std::string, std::string>> ReadEnvFile(const std::string& path);

struct S3Server {
  std::string endpoint;
  std::string region;
  std::string bucket;
  Credentials credentials;
  int port = 0;  // of the endpoint

  // From $CONTENTSTORE_S3_ENV. The error says how to start a server.
  static Result<S3Server> FromEnvironment();

  // Makes this server's keys the process's AWS_ACCESS_KEY_ID and
  // AWS_SECRET_ACCESS_KEY (no session token), where a Store with
  // Options::blobs takes them from.
  void ExportCredentials() const;

  // Options for a client of this server with short retries (tests should not
  // wait long for a failure they expect).
  ClientOptions client_options() const;
};

}  // namespace contentstore::s3::testing

#endif  // CONTENTSTORE_TESTS_S3_SERVER_ENV_H_
