#include "server_env.h"

#include <cstdlib>
#include <fstream>

namespace contentstore::s3::testing {

bool SkipServerTests() {
  const char* skip = std::getenv("CONTENTSTORE_SKIP_SERVER_TESTS");
  return skip != nullptr && std::string(skip) == "1";
}

Result<std::map<std::string, std::string>> ReadEnvFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read " + path);
  std::map<std::string, std::string> vars;
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    vars[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return vars;
}

Result<S3Server> S3Server::FromEnvironment() {
  const char* path = std::getenv("CONTENTSTORE_S3_ENV");
  const std::string how =
      " (ctest starts the server through its fixture; by hand: "
      "tools/test-servers/ceph-rgw start DIR, then CONTENTSTORE_S3_ENV=DIR/env; "
      "CONTENTSTORE_SKIP_SERVER_TESTS=1 skips these tests)";
  if (path == nullptr || *path == '\0') {
    return Status::FailedPrecondition("CONTENTSTORE_S3_ENV is not set" + how);
  }
  auto vars = ReadEnvFile(path);
  if (!vars.ok()) {
    return Status::FailedPrecondition(vars.status().message() +
                                      ": the S3 server did not start or was stopped" + how);
  }
  S3Server s;
  s.endpoint = (*vars)["S3_ENDPOINT"];
  s.region = (*vars)["S3_REGION"];
  s.bucket = (*vars)["S3_BUCKET"];
  s.credentials.access_key_id = (*vars)["AWS_ACCESS_KEY_ID"];
  s.credentials.secret_access_key = (*vars)["AWS_SECRET_ACCESS_KEY"];
  if (s.endpoint.empty() || s.bucket.empty() || s.credentials.access_key_id.empty() ||
      s.credentials.secret_access_key.empty()) {
    return Status::FailedPrecondition(std::string(path) + " lacks S3_ENDPOINT, S3_BUCKET or keys");
  }
  s.port = std::atoi(s.endpoint.substr(s.endpoint.rfind(':') + 1).c_str());
  return s;
}

void S3Server::ExportCredentials() const {
  ::setenv("AWS_ACCESS_KEY_ID", credentials.access_key_id.c_str(), 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", credentials.secret_access_key.c_str(), 1);
  ::unsetenv("AWS_SESSION_TOKEN");
}

ClientOptions S3Server::client_options() const {
  ClientOptions o;
  o.endpoint = endpoint;
  o.region = region;
  o.credentials = credentials;
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.stall_timeout = std::chrono::seconds(10);
  o.retry.max_attempts = 3;
  o.retry.initial_backoff = std::chrono::milliseconds(20);
  o.retry.max_backoff = std::chrono::milliseconds(200);
  return o;
}

}  // namespace contentstore::s3::testing
