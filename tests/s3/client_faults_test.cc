// The client against network faults on 127.0.0.1, no S3 server: a port
// where nothing listens, one that accepts and closes, canned 5xx answers.
// Checks the number of attempts, that the result is Unavailable after a
// bounded time, and what is not retried. Also the argument checks that need
// no server.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>

#include "contentstore/env.h"
#include "env/unique_fd.h"
#include "fault_server.h"
#include "s3/client.h"
#include "test_util.h"

namespace contentstore::s3 {
namespace {

using contentstore::testing::TempDir;
using testing::FaultServer;

ClientOptions FastOptions(std::string endpoint, int attempts) {
  ClientOptions o;
  o.endpoint = std::move(endpoint);
  o.credentials = {"AKFAULTTEST", "FAULT-SECRET-abc123", ""};
  o.connect_timeout = std::chrono::milliseconds(1000);
  o.stall_timeout = std::chrono::seconds(2);
  o.retry.max_attempts = attempts;
  o.retry.initial_backoff = std::chrono::milliseconds(10);
  o.retry.max_backoff = std::chrono::milliseconds(40);
  return o;
}

std::string Response(int status, std::string_view reason, std::string_view body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: application/xml\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + std::string(body);
}

std::string ErrorBody(std::string_view code) {
  return R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>)" + std::string(code) +
         "</Code><Message>canned</Message></Error>";
}

void ExpectNoSecret(const Status& s) {
  EXPECT_EQ(s.message().find("FAULT-SECRET"), std::string::npos) << s.ToString();
  EXPECT_EQ(s.message().find("AKFAULTTEST"), std::string::npos) << s.ToString();
}

TEST(S3ClientFaultTest, AcceptThenCloseIsRetriedThenUnavailable) {
  FaultServer server(FaultServer::CloseAtOnce());
  auto client = Client::Create(FastOptions(server.endpoint(), 4));
  ASSERT_OK(client);
  auto start = std::chrono::steady_clock::now();
  auto head = (*client)->head_object("bucket", "key");
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_CODE(head.status(), kUnavailable);
  EXPECT_NE(head.status().message().find("gave up after 4 attempts"), std::string::npos)
      << head.status().ToString();
  EXPECT_EQ(server.connections(), 4);
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  ExpectNoSecret(head.status());
}

TEST(S3ClientFaultTest, NothingListeningIsUnavailable) {
  int port;
  {
    FaultServer gone(FaultServer::CloseAtOnce());
    port = gone.port();
  }  // closed: connections are refused
  auto client = Client::Create(FastOptions("http://127.0.0.1:" + std::to_string(port), 3));
  ASSERT_OK(client);
  auto start = std::chrono::steady_clock::now();
  Status s = (*client)->put_object("bucket", "key", "data").status();
  ASSERT_CODE(s, kUnavailable);
  EXPECT_NE(s.message().find("gave up after 3 attempts"), std::string::npos) << s.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(S3ClientFaultTest, ServerErrorsAreRetriedAndCanRecover) {
  const std::string ok =
      "HTTP/1.1 200 OK\r\nETag: \"0cc175b9c0f1b6a831c399e269772661\"\r\n"
      "Content-Length: 0\r\nConnection: close\r\n\r\n";
  FaultServer server(FaultServer::Respond(
      {Response(503, "Service Unavailable", ErrorBody("SlowDown")),
       Response(500, "Internal Server Error", ErrorBody("InternalError")), ok}));
  auto client = Client::Create(FastOptions(server.endpoint(), 3));
  ASSERT_OK(client);
  auto etag = (*client)->put_object("bucket", "key", "a");
  ASSERT_OK(etag);
  EXPECT_EQ(*etag, "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(server.connections(), 3);
}

TEST(S3ClientFaultTest, PersistentServerErrorBecomesUnavailableWithTheLastCode) {
  FaultServer server(
      FaultServer::Respond({Response(503, "Service Unavailable", ErrorBody("SlowDown"))}));
  auto client = Client::Create(FastOptions(server.endpoint(), 2));
  ASSERT_OK(client);
  Status s = (*client)->delete_object("bucket", "key");
  ASSERT_CODE(s, kUnavailable);
  EXPECT_NE(s.message().find("SlowDown"), std::string::npos) << s.ToString();
  EXPECT_EQ(server.connections(), 2);
}

TEST(S3ClientFaultTest, ClientErrorsAreNotRetried) {
  FaultServer server(
      FaultServer::Respond({Response(400, "Bad Request", ErrorBody("InvalidArgument"))}));
  auto client = Client::Create(FastOptions(server.endpoint(), 4));
  ASSERT_OK(client);
  EXPECT_CODE((*client)->delete_object("bucket", "key"), kInvalidArgument);
  EXPECT_EQ(server.connections(), 1);
}

TEST(S3ClientFaultTest, ErrorInsideA200IsSeen) {
  // CompleteMultipartUpload may answer 200 and then report an error.
  FaultServer server(FaultServer::Respond({Response(200, "OK", ErrorBody("InvalidPart"))}));
  auto client = Client::Create(FastOptions(server.endpoint(), 2));
  ASSERT_OK(client);
  std::vector<Part> parts = {{1, "0cc175b9c0f1b6a831c399e269772661", 0}};
  EXPECT_CODE((*client)->complete_multipart_upload("bucket", "key", "id", parts).status(),
              kFailedPrecondition);
}

TEST(S3ClientFaultTest, StalledServerTimesOut) {
  // Accepts, reads the request, never answers.
  FaultServer server([](int fd, int) {
    testing::ReadRequest(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  });
  ClientOptions o = FastOptions(server.endpoint(), 2);
  o.stall_timeout = std::chrono::seconds(1);
  auto client = Client::Create(o);
  ASSERT_OK(client);
  auto start = std::chrono::steady_clock::now();
  EXPECT_CODE((*client)->head_object("bucket", "key").status(), kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(6));
  EXPECT_EQ(server.connections(), 2);
}

// What AWS does when a CompleteMultipartUpload is retried after its answer
// was lost: NoSuchUpload. (RGW answers the retry with 200: client_test.cc.)
// The client then HEADs the object and compares its ETag with the one the
// parts give.
TEST(S3ClientFaultTest, CompleteRetriedIntoNoSuchUploadChecksTheObject) {
  std::vector<Part> parts = {{1, "0cc175b9c0f1b6a831c399e269772661", 0},
                             {2, "92eb5ffee6ae2fec3ad71c777531578f", 0}};
  const std::string no_such_upload = Response(404, "Not Found", ErrorBody("NoSuchUpload"));
  auto head_with = [](std::string_view etag) {
    return "HTTP/1.1 200 OK\r\nETag: \"" + std::string(etag) +
           "\"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n";
  };
  {
    FaultServer server(
        FaultServer::Respond({"", no_such_upload, head_with(*MultipartETag(parts))}));
    auto client = Client::Create(FastOptions(server.endpoint(), 3));
    ASSERT_OK(client);
    auto etag = (*client)->complete_multipart_upload("bucket", "key", "id", parts);
    ASSERT_OK(etag);
    EXPECT_EQ(*etag, "96e024ba2074fe77e8e965ba43a704be-2");
    EXPECT_EQ(server.connections(), 3);
  }
  {  // Another object is there: not ours.
    FaultServer server(FaultServer::Respond({"", no_such_upload, head_with("other-2")}));
    auto client = Client::Create(FastOptions(server.endpoint(), 3));
    ASSERT_OK(client);
    auto etag = (*client)->complete_multipart_upload("bucket", "key", "id", parts);
    ASSERT_CODE(etag.status(), kNotFound);
    EXPECT_NE(etag.status().message().find("other-2"), std::string::npos)
        << etag.status().ToString();
  }
  {  // No lost answer: NoSuchUpload is simply NotFound, without a HEAD.
    FaultServer server(FaultServer::Respond({no_such_upload}));
    auto client = Client::Create(FastOptions(server.endpoint(), 3));
    ASSERT_OK(client);
    EXPECT_CODE((*client)->complete_multipart_upload("bucket", "key", "id", parts).status(),
                kNotFound);
    EXPECT_EQ(server.connections(), 1);
  }
}

TEST(S3ClientFaultTest, AbortRetriedIntoNoSuchUploadIsOk) {
  const std::string no_such_upload = Response(404, "Not Found", ErrorBody("NoSuchUpload"));
  {
    FaultServer server(FaultServer::Respond({"", no_such_upload}));
    auto client = Client::Create(FastOptions(server.endpoint(), 3));
    ASSERT_OK(client);
    EXPECT_OK((*client)->abort_multipart_upload("bucket", "key", "id"));
  }
  {
    FaultServer server(FaultServer::Respond({no_such_upload}));
    auto client = Client::Create(FastOptions(server.endpoint(), 3));
    ASSERT_OK(client);
    EXPECT_CODE((*client)->abort_multipart_upload("bucket", "key", "id"), kNotFound);
  }
}

TEST(S3ClientFaultTest, PutIfNoneMatchRetriedInto412ChecksTheObject) {
  const std::string exists = Response(412, "Precondition Failed", ErrorBody("PreconditionFailed"));
  auto head_with = [](std::string_view etag) {
    return "HTTP/1.1 200 OK\r\nETag: \"" + std::string(etag) +
           "\"\r\nContent-Length: 1\r\nConnection: close\r\n\r\n";
  };
  PutOptions once;
  once.if_none_match = true;
  {  // Our bytes (MD5 of "a"): the lost attempt stored them.
    FaultServer server(
        FaultServer::Respond({"", exists, head_with("0cc175b9c0f1b6a831c399e269772661")}));
    auto client = Client::Create(FastOptions(server.endpoint(), 3));
    ASSERT_OK(client);
    EXPECT_OK((*client)->put_object("bucket", "key", "a", once));
  }
  {  // Someone else's bytes.
    FaultServer server(
        FaultServer::Respond({"", exists, head_with("92eb5ffee6ae2fec3ad71c777531578f")}));
    auto client = Client::Create(FastOptions(server.endpoint(), 3));
    ASSERT_OK(client);
    EXPECT_CODE((*client)->put_object("bucket", "key", "a", once).status(), kAlreadyExists);
  }
}

// An Env whose every read fails, counting them.
class FailingReadsEnv : public EnvWrapper {
 public:
  FailingReadsEnv() : EnvWrapper(Env::Default()) {}
  Result<size_t> ReadAt(int, void*, size_t, int64_t, std::string_view path) override {
    reads.fetch_add(1);
    return Status::IOError("injected read failure: " + std::string(path));
  }
  std::atomic<int> reads{0};
};

// A file body is read through the Env it names (the store passes its own),
// so fault-injection tests reach an upload's reads. A failed read is the
// caller's problem, not the network's: it is not retried.
TEST(S3ClientFaultTest, FileBodyIsReadThroughItsEnvAndFailedReadsAreNotRetried) {
  TempDir dir;
  {
    std::ofstream f(dir / "body", std::ios::binary);
    f << std::string(1000, 'b');
  }
  auto fd = OpenPath(*Env::Default(), dir / "body", O_RDONLY);
  ASSERT_OK(fd);
  const std::string ok =
      "HTTP/1.1 200 OK\r\nETag: \"0cc175b9c0f1b6a831c399e269772661\"\r\n"
      "Content-Length: 0\r\nConnection: close\r\n\r\n";
  FaultServer server(FaultServer::Respond({ok}));
  FailingReadsEnv env;
  for (bool sign : {true, false}) {
    ClientOptions o = FastOptions(server.endpoint(), 3);
    o.sign_payload = sign;
    auto client = Client::Create(o);
    ASSERT_OK(client);
    auto part =
        (*client)->upload_part("bucket", "key", "id", 1, Body::File(fd->get(), 0, 1000, &env));
    ASSERT_CODE(part.status(), kIOError) << "sign_payload=" << sign;
    EXPECT_NE(part.status().message().find("injected read failure: S3 request body"),
              std::string::npos)
        << part.status().ToString();
    // A signed payload is hashed before any request is made.
    if (sign) {
      EXPECT_EQ(server.connections(), 0);
    }
  }
  EXPECT_EQ(env.reads.load(), 2);
}

TEST(S3ClientTest, CreateRefusesBadOptions) {
  ClientOptions o = FastOptions("ftp://h", 1);
  EXPECT_CODE(Client::Create(o).status(), kInvalidArgument);
  o = FastOptions("http://h", 1);
  o.credentials.secret_access_key.clear();
  EXPECT_CODE(Client::Create(o).status(), kInvalidArgument);
  o = FastOptions("http://h", 0);
  EXPECT_CODE(Client::Create(o).status(), kInvalidArgument);
}

TEST(S3ClientTest, ArgumentsAreCheckedBeforeAnyRequest) {
  FaultServer server(FaultServer::CloseAtOnce());
  auto client = Client::Create(FastOptions(server.endpoint(), 1));
  ASSERT_OK(client);
  Client& c = **client;
  EXPECT_CODE(c.put_object("bucket", "", "x").status(), kInvalidArgument);
  EXPECT_CODE(c.put_object("", "k", "x").status(), kInvalidArgument);
  EXPECT_CODE(c.head_object("bucket", std::string(1025, 'k')).status(), kInvalidArgument);
  EXPECT_CODE(c.head_object("bucket", std::string("a\0b", 3)).status(), kInvalidArgument);
  EXPECT_CODE(c.upload_part("bucket", "k", "id", 0, Body::Memory("x")).status(), kInvalidArgument);
  EXPECT_CODE(c.upload_part("bucket", "k", "id", 10001, Body::Memory("x")).status(),
              kInvalidArgument);
  std::vector<Part> none;
  EXPECT_CODE(c.complete_multipart_upload("bucket", "k", "id", none).status(), kInvalidArgument);
  std::vector<Part> unordered = {{2, "a", 0}, {1, "b", 0}};
  EXPECT_CODE(c.complete_multipart_upload("bucket", "k", "id", unordered).status(),
              kInvalidArgument);
  std::vector<Part> no_etag = {{1, "", 0}};
  EXPECT_CODE(c.complete_multipart_upload("bucket", "k", "id", no_etag).status(), kInvalidArgument);
  EXPECT_EQ(server.connections(), 0);
}

TEST(S3ClientTest, MultipartETag) {
  std::vector<Part> parts = {{1, "0cc175b9c0f1b6a831c399e269772661", 0},
                             {2, "\"92eb5ffee6ae2fec3ad71c777531578f\"", 0}};
  EXPECT_EQ(MultipartETag(parts), "96e024ba2074fe77e8e965ba43a704be-2");
  std::vector<Part> not_md5 = {{1, "abc", 0}};
  EXPECT_FALSE(MultipartETag(not_md5));
}

}  // namespace
}  // namespace contentstore::s3
