// Helpers for the server's tests: temporary directories with short paths
// (unix socket paths are limited to 107 bytes), deterministic content, an
// in-process server on a fresh store, clients for it, and the few Write
// conversations the tests repeat.
//
// Thread-safety: TestServer's methods may be called from any thread;
// the helpers are plain functions.

#ifndef CONTENTSTORE_TESTS_SERVER_SERVER_TEST_UTIL_H_
#define CONTENTSTORE_TESTS_SERVER_SERVER_TEST_UTIL_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "containerd/services/content/v1/content.grpc.pb.h"
#include "contentstore/store.h"
#include "server.h"

namespace contentstore::server::testing {

namespace api = ::containerd::services::content::v1;
using Stub = api::Content::Stub;
using WriteStream = grpc::ClientReaderWriter<api::WriteContentRequest, api::WriteContentResponse>;

// A fresh directory under /tmp, removed with its contents at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// `size` pseudo-random bytes; the same seed gives the same bytes.
std::string MakeContent(size_t size, uint64_t seed = 1);
std::string Sha256(std::string_view bytes);  // "sha256:<hex>"

// A client channel to a unix socket, with containerd's 16 MiB limits.
std::shared_ptr<grpc::Channel> Connect(const std::string& socket);
std::unique_ptr<Stub> NewStub(const std::string& socket);

// A call context whose deadline turns a hang into a failure, not a timing
// assertion: `limit` is far above any expected duration.
std::unique_ptr<grpc::ClientContext> Context(
    std::chrono::milliseconds limit = std::chrono::seconds(60));

// The store and server of one test: a store at DIR/root, the server on
// DIR/s.sock, both gone at destruction.
class TestServer {
 public:
  explicit TestServer(ServeOptions options = {}, Options store_options = {});
  ~TestServer();

  Store& store() { return *store_; }
  const std::string& root() const { return root_; }
  const std::string& socket() const { return socket_; }
  const std::string& dir() const { return dir_.path(); }
  std::unique_ptr<Stub> stub() const { return NewStub(socket_); }
  Server& server() { return *server_; }

  // Stops the server (gracefully); the store stays open.
  void Stop();

  // Stops the server, closes the store, opens it again with `store_options`
  // (say read_only) and serves it on the same socket. Stubs made before
  // reconnect by themselves.
  void Reopen(Options store_options);

 private:
  void Start(Options store_options);

  TempDir dir_;
  ServeOptions options_;
  std::string root_;
  std::string socket_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Server> server_;
};

// Request builders.
api::WriteContentRequest Stat(std::string ref = "", int64_t total = 0, std::string expected = "");
api::WriteContentRequest WriteAt(int64_t offset, std::string data, std::string ref = "");
api::WriteContentRequest CommitAt(int64_t offset, int64_t total = 0, std::string expected = "",
                                  std::map<std::string, std::string> labels = {});

// One Write stream and its context (which must outlive it).
struct WriteCall {
  explicit WriteCall(Stub& stub, std::unique_ptr<grpc::ClientContext> call_context = Context());

  // Sends `request` and reads the answer into `response`; false if the
  // stream ended instead.
  bool Send(const api::WriteContentRequest& request);
  // Half-closes, drains, and returns the status the stream ended with.
  grpc::Status Finish();

  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<WriteStream> stream;
  api::WriteContentResponse response;
};

// STAT, WRITE in `chunk`-byte messages, COMMIT with size and digest (and
// labels): containerd's proxy client's whole upload. Returns the stream's
// final status.
grpc::Status Upload(Stub& stub, const std::string& ref, std::string_view data,
                    std::map<std::string, std::string> labels = {}, size_t chunk = 1 << 20,
                    std::unique_ptr<grpc::ClientContext> context = nullptr);

// The unary methods and List, each a call with a fresh Context(); what the
// server answers goes to the out-parameter when one is given.
grpc::Status GetInfo(Stub& stub, const std::string& digest, api::Info* info = nullptr);
// Update with these labels, and an update mask of `paths` (none: replace
// every label).
grpc::Status UpdateLabels(Stub& stub, const std::string& digest,
                          const std::map<std::string, std::string>& labels,
                          const std::vector<std::string>& paths = {}, api::Info* info = nullptr);
grpc::Status DeleteBlob(Stub& stub, const std::string& digest);
grpc::Status GetStatus(Stub& stub, const std::string& ref, api::Status* status = nullptr);
grpc::Status AbortIngest(Stub& stub, const std::string& ref);
grpc::Status ListIngests(Stub& stub, const std::vector<std::string>& filters = {},
                         std::vector<api::Status>* statuses = nullptr);
// Every message of the List stream; `messages` counts them.
grpc::Status ListBlobs(Stub& stub, const std::vector<std::string>& filters = {},
                       std::vector<api::Info>* infos = nullptr, int* messages = nullptr);

// The whole blob through Read (empty with a non-OK status on failure).
grpc::Status ReadBlob(Stub& stub, const std::string& digest, std::string* out, int64_t offset = 0,
                      int64_t size = 0);

// gtest output for statuses.
std::string Describe(const grpc::Status& status);

#define EXPECT_GRPC_OK(expr)                                             \
  do {                                                                   \
    const ::grpc::Status s_ = (expr);                                    \
    EXPECT_TRUE(s_.ok()) << #expr << ": " << ::contentstore::server::testing::Describe(s_); \
  } while (0)
#define ASSERT_GRPC_OK(expr)                                             \
  do {                                                                   \
    const ::grpc::Status s_ = (expr);                                    \
    ASSERT_TRUE(s_.ok()) << #expr << ": " << ::contentstore::server::testing::Describe(s_); \
  } while (0)
#define EXPECT_GRPC_CODE(expr, code)                                                  \
  do {                                                                                \
    const ::grpc::Status s_ = (expr);                                                 \
    EXPECT_EQ(s_.error_code(), ::grpc::StatusCode::code)                              \
        << #expr << ": " << ::contentstore::server::testing::Describe(s_);            \
  } while (0)

}  // namespace contentstore::server::testing

#endif  // CONTENTSTORE_TESTS_SERVER_SERVER_TEST_UTIL_H_
