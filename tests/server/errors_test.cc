// Every error code the server answers, each provoked over the wire, and the
// mapping itself: containerd's errdefs/grpc.go codes for its error classes,
// OUT_OF_RANGE for offsets, DATA_LOSS/INTERNAL (never the retryable
// UNAVAILABLE) for damaged data and I/O failures, RESOURCE_EXHAUSTED for a
// full disk, FAILED_PRECONDITION for writes to a read-only store.

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "contentstore/env.h"
#include "error_mapping.h"
#include "server_test_util.h"

namespace contentstore::server::testing {
namespace {

using grpc::StatusCode;

TEST(ErrorMappingTest, EveryCodeGetsContainerdsGrpcCode) {
  const std::pair<Code, StatusCode> table[] = {
      {Code::kOk, StatusCode::OK},
      {Code::kInvalidArgument, StatusCode::INVALID_ARGUMENT},
      {Code::kNotFound, StatusCode::NOT_FOUND},
      {Code::kAlreadyExists, StatusCode::ALREADY_EXISTS},
      {Code::kUnavailable, StatusCode::UNAVAILABLE},
      {Code::kFailedPrecondition, StatusCode::FAILED_PRECONDITION},
      {Code::kDataLoss, StatusCode::DATA_LOSS},
      {Code::kIOError, StatusCode::INTERNAL},
      {Code::kInternal, StatusCode::INTERNAL},
  };
  for (const auto& [code, grpc_code] : table) {
    EXPECT_EQ(ToGrpcCode(code), grpc_code) << CodeName(code);
    if (code != Code::kUnavailable) {
      EXPECT_NE(ToGrpcCode(code), StatusCode::UNAVAILABLE);
    }
  }
  const grpc::Status s = ToGrpc(Status::NotFound("blob sha256:x not found"));
  EXPECT_EQ(s.error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "blob sha256:x not found");
  EXPECT_TRUE(ToGrpc(Status::OK()).ok());
  EXPECT_EQ(OutOfRange("past the end").error_code(), StatusCode::OUT_OF_RANGE);
}

TEST(ErrorMappingTest, AFullDiskIsResourceExhausted) {
  // The library's wording for ENOSPC, EDQUOT and SQLITE_FULL.
  const grpc::Status full =
      ToGrpc(Status::IOError("write /r/ingest/ab/data: No space left on device"));
  EXPECT_EQ(full.error_code(), StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(full.error_message(), "write /r/ingest/ab/data: No space left on device");
  EXPECT_EQ(ToGrpc(Status::IOError("write /r/x: File too large")).error_code(),
            StatusCode::INTERNAL);
  // Only an IOError is a full disk, whatever another message says.
  EXPECT_EQ(ToGrpc(Status::InvalidArgument("label \"No space left on device\"")).error_code(),
            StatusCode::INVALID_ARGUMENT);
}

// While it lives, files of this process may not grow past `bytes`: the OS
// refuses with EFBIG (SIGXFSZ is ignored meanwhile).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    if (::getrlimit(RLIMIT_FSIZE, &old_) != 0) return;
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limited = old_;
    limited.rlim_cur = bytes;
    ok_ = ::setrlimit(RLIMIT_FSIZE, &limited) == 0;
  }
  ~FileSizeLimit() {
    if (ok_) ::setrlimit(RLIMIT_FSIZE, &old_);
    if (old_handler_ != SIG_ERR) ::signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  bool ok() const { return ok_; }

 private:
  struct rlimit old_ {};
  sighandler_t old_handler_ = SIG_ERR;
  bool ok_ = false;
};

class ErrorsTest : public ::testing::Test {
 protected:
  ErrorsTest() : server_(Options()), stub_(server_.stub()) {}

  static ServeOptions Options() {
    ServeOptions options;
    options.lock_wait = std::chrono::milliseconds(200);
    return options;
  }

  // Sends `requests` on one Write stream and returns how it ended.
  grpc::Status WriteConversation(const std::vector<api::WriteContentRequest>& requests) {
    WriteCall call(*stub_);
    for (const auto& request : requests) {
      if (!call.Send(request)) break;
    }
    return call.Finish();
  }
  std::string Commit(const std::string& ref, const std::string& data) {
    EXPECT_GRPC_OK(Upload(*stub_, ref, data));
    return Sha256(data);
  }

  TestServer server_;
  std::unique_ptr<Stub> stub_;
};

TEST_F(ErrorsTest, InvalidArgument) {
  const std::string data = MakeContent(100);
  const std::string digest = Commit("ok", data);
  EXPECT_GRPC_CODE(GetInfo(*stub_, "sha256:abc"), INVALID_ARGUMENT);
  EXPECT_GRPC_CODE(GetInfo(*stub_, ""), INVALID_ARGUMENT);
  EXPECT_GRPC_CODE(DeleteBlob(*stub_, "md5:0000"), INVALID_ARGUMENT);
  EXPECT_GRPC_CODE(UpdateLabels(*stub_, "sha256:ABC", {}), INVALID_ARGUMENT);
  std::string out;
  EXPECT_GRPC_CODE(ReadBlob(*stub_, "nonsense", &out), INVALID_ARGUMENT);
  EXPECT_GRPC_CODE(ListBlobs(*stub_, {"labels.a=="}), INVALID_ARGUMENT);
  EXPECT_GRPC_CODE(ListBlobs(*stub_, {"nosuchfield==1"}), INVALID_ARGUMENT);
  EXPECT_GRPC_CODE(ListIngests(*stub_, {"ref=="}), INVALID_ARGUMENT);
  // Write: no ref in the first message, a bad expected digest, an unknown
  // action, a label the store refuses, a ref with a control character.
  EXPECT_GRPC_CODE(WriteConversation({Stat()}), INVALID_ARGUMENT);
  EXPECT_GRPC_CODE(WriteConversation({Stat("r1", 0, "sha256:nothex")}), INVALID_ARGUMENT);
  auto unknown = Stat("r2");
  unknown.set_action(static_cast<api::WriteAction>(7));
  EXPECT_GRPC_CODE(WriteConversation({unknown}), INVALID_ARGUMENT);
  EXPECT_GRPC_CODE(WriteConversation({Stat("r3"), WriteAt(0, "abc"),
                                      CommitAt(3, 0, "", {{std::string(5000, 'k'), "v"}})}),
                   INVALID_ARGUMENT);
  EXPECT_GRPC_CODE(WriteConversation({Stat("bad\nref")}), INVALID_ARGUMENT);
  EXPECT_GRPC_CODE(UpdateLabels(*stub_, digest, {{"", "v"}}), INVALID_ARGUMENT);
}

TEST_F(ErrorsTest, NotFound) {
  const std::string unknown = Sha256("never stored");
  EXPECT_GRPC_CODE(GetInfo(*stub_, unknown), NOT_FOUND);
  EXPECT_GRPC_CODE(DeleteBlob(*stub_, unknown), NOT_FOUND);
  EXPECT_GRPC_CODE(UpdateLabels(*stub_, unknown, {{"a", "b"}}), NOT_FOUND);
  std::string out;
  EXPECT_GRPC_CODE(ReadBlob(*stub_, unknown, &out), NOT_FOUND);
  EXPECT_GRPC_CODE(GetStatus(*stub_, "no-such-ref"), NOT_FOUND);
  EXPECT_GRPC_CODE(AbortIngest(*stub_, "no-such-ref"), NOT_FOUND);
}

TEST_F(ErrorsTest, AlreadyExists) {
  const std::string data = MakeContent(300, 2);
  const std::string digest = Commit("first", data);
  // An expected digest that is committed: at the open...
  EXPECT_GRPC_CODE(WriteConversation({Stat("second", 300, digest)}), ALREADY_EXISTS);
  // ...or named later, which also aborts the ingest.
  EXPECT_GRPC_CODE(WriteConversation({Stat("third"), WriteAt(0, "xyz"), Stat("", 0, digest)}),
                   ALREADY_EXISTS);
  EXPECT_GRPC_CODE(GetStatus(*stub_, "third"), NOT_FOUND);
  // Committing bytes that are committed already, without naming them.
  EXPECT_GRPC_CODE(WriteConversation({Stat("fourth"), WriteAt(0, data), CommitAt(300)}),
                   ALREADY_EXISTS);
  EXPECT_GRPC_CODE(GetStatus(*stub_, "fourth"), NOT_FOUND);
}

TEST_F(ErrorsTest, FailedPrecondition) {
  const std::string data = MakeContent(256, 3);
  EXPECT_GRPC_CODE(WriteConversation({Stat("size"), WriteAt(0, data), CommitAt(256, 255)}),
                   FAILED_PRECONDITION);
  EXPECT_GRPC_CODE(
      WriteConversation({Stat("digest"), WriteAt(0, data), CommitAt(256, 256, Sha256("other"))}),
      FAILED_PRECONDITION);
  // Both ingests stay, to be resumed or aborted.
  EXPECT_GRPC_OK(GetStatus(*stub_, "size"));
  EXPECT_GRPC_OK(GetStatus(*stub_, "digest"));
}

TEST_F(ErrorsTest, UnavailableWhileAnotherStreamHoldsTheRef) {
  WriteCall holder(*stub_);
  ASSERT_TRUE(holder.Send(Stat("held")));
  EXPECT_GRPC_CODE(WriteConversation({Stat("held")}), UNAVAILABLE);
  EXPECT_GRPC_CODE(AbortIngest(*stub_, "held"), UNAVAILABLE);
  EXPECT_GRPC_OK(holder.Finish());
  EXPECT_GRPC_OK(AbortIngest(*stub_, "held"));
}

TEST_F(ErrorsTest, UnavailableWhileStopping) {
  WriteCall holder(*stub_);
  ASSERT_TRUE(holder.Send(Stat("idle")));
  server_.Stop();
  // The stream waiting for its client was cancelled by the stop (or, if
  // the stop came before it began to wait, ended with UNAVAILABLE); its
  // ingest stays. New calls are refused.
  const grpc::Status ended = holder.Finish();
  EXPECT_TRUE(ended.error_code() == StatusCode::CANCELLED ||
              ended.error_code() == StatusCode::UNAVAILABLE)
      << Describe(ended);
  EXPECT_GRPC_CODE(GetInfo(*stub_, Sha256("x")), UNAVAILABLE);
  auto status = server_.store().get_ingest("idle");
  EXPECT_TRUE(status.ok()) << status.status().ToString();
}

TEST_F(ErrorsTest, OutOfRange) {
  EXPECT_GRPC_CODE(WriteConversation({Stat("o1"), WriteAt(0, "abc"), WriteAt(4, "d")}),
                   OUT_OF_RANGE);
  EXPECT_GRPC_CODE(WriteConversation({Stat("o2"), WriteAt(5, "abc")}), OUT_OF_RANGE);
  EXPECT_GRPC_CODE(WriteConversation({Stat("o3"), WriteAt(-1, "abc")}), OUT_OF_RANGE);
  // The ingest keeps what was written before the bad offset.
  api::Status status;
  ASSERT_GRPC_OK(GetStatus(*stub_, "o1", &status));
  EXPECT_EQ(status.offset(), 3);

  const std::string digest = Commit("r", "0123456789");
  std::string out;
  EXPECT_GRPC_CODE(ReadBlob(*stub_, digest, &out, 11), OUT_OF_RANGE);
  EXPECT_GRPC_OK(ReadBlob(*stub_, digest, &out, 10));
  EXPECT_EQ(out, "");
}

TEST_F(ErrorsTest, DataLossWhenABlobFileIsGone) {
  const std::string digest = Commit("gone", MakeContent(1000, 4));
  std::filesystem::remove(server_.root() + "/blobs/sha256/" + digest.substr(7));
  std::string out;
  EXPECT_GRPC_CODE(ReadBlob(*stub_, digest, &out), DATA_LOSS);
}

TEST_F(ErrorsTest, InternalWhenTheOsRefusesAWrite) {
  // A file size limit makes the ingest's data file refuse to grow (EFBIG):
  // an IOError in the library, INTERNAL on the wire, never UNAVAILABLE.
  grpc::Status s;
  {
    FileSizeLimit limit(2 << 20);
    ASSERT_TRUE(limit.ok());
    s = WriteConversation({Stat("big"), WriteAt(0, MakeContent(3 << 20, 5))});
  }
  EXPECT_GRPC_CODE(s, INTERNAL);
}

TEST_F(ErrorsTest, AQueuedWriteThatFailsEndsTheStreamAtItsNextMessage) {
  // Large WRITEs are answered once queued (write_behind.h); one that then
  // fails is the error of the stream's next message, and the ingest keeps
  // what was really written.
  const std::string data = MakeContent(3 << 20, 6);
  auto limit = std::make_unique<FileSizeLimit>(2 << 20);
  ASSERT_TRUE(limit->ok());
  WriteCall call(*stub_);
  bool answered = call.Send(Stat("queued")) &&
                  call.Send(WriteAt(0, data.substr(0, 3 << 19))) &&
                  call.Send(WriteAt(3 << 19, data.substr(3 << 19)));
  EXPECT_TRUE(answered);
  EXPECT_EQ(call.response.offset(), 3 << 20);  // what the client was told
  answered = call.Send(Stat());
  const grpc::Status ended = call.Finish();
  limit.reset();
  EXPECT_FALSE(answered);
  EXPECT_EQ(ended.error_code(), StatusCode::INTERNAL) << Describe(ended);
  WriteCall resume(*stub_);
  ASSERT_TRUE(resume.Send(Stat("queued")));
  EXPECT_EQ(resume.response.offset(), 3 << 19);
  EXPECT_EQ(resume.response.digest(), Sha256(data.substr(0, 3 << 19)));
  EXPECT_GRPC_OK(resume.Finish());
}

TEST_F(ErrorsTest, FailedPreconditionForWritesToAReadOnlyStore) {
  // Reads are served; every write is refused with FAILED_PRECONDITION, which
  // containerd's client knows (errdefs.IsFailedPrecondition) and does not
  // retry, and nothing on disk changes.
  const std::string data = MakeContent(1000, 7);
  const std::string digest = Commit("kept", data);
  WriteCall open(*stub_);
  ASSERT_TRUE(open.Send(Stat("open")) && open.Send(WriteAt(0, "partial")));
  ASSERT_GRPC_OK(open.Finish());
  contentstore::Options read_only;
  read_only.read_only = true;
  server_.Reopen(read_only);
  stub_ = server_.stub();

  std::string out;
  EXPECT_GRPC_OK(ReadBlob(*stub_, digest, &out));
  EXPECT_EQ(out, data);
  EXPECT_GRPC_OK(GetInfo(*stub_, digest));
  std::vector<api::Info> infos;
  EXPECT_GRPC_OK(ListBlobs(*stub_, {}, &infos));
  EXPECT_EQ(infos.size(), 1u);
  api::Status status;
  EXPECT_GRPC_OK(GetStatus(*stub_, "open", &status));
  EXPECT_EQ(status.offset(), 7);
  std::vector<api::Status> statuses;
  EXPECT_GRPC_OK(ListIngests(*stub_, {}, &statuses));
  EXPECT_EQ(statuses.size(), 1u);

  EXPECT_GRPC_CODE(Upload(*stub_, "new", "new bytes"), FAILED_PRECONDITION);
  EXPECT_GRPC_CODE(WriteConversation({Stat("open")}), FAILED_PRECONDITION);
  EXPECT_GRPC_CODE(UpdateLabels(*stub_, digest, {{"a", "b"}}), FAILED_PRECONDITION);
  EXPECT_GRPC_CODE(DeleteBlob(*stub_, digest), FAILED_PRECONDITION);
  EXPECT_GRPC_CODE(AbortIngest(*stub_, "open"), FAILED_PRECONDITION);

  EXPECT_GRPC_OK(GetInfo(*stub_, digest));
  EXPECT_GRPC_OK(GetStatus(*stub_, "open", &status));
  EXPECT_EQ(status.offset(), 7);
  EXPECT_GRPC_CODE(GetStatus(*stub_, "new"), NOT_FOUND);
}

// The real file system, except that while `full` is set every write and
// allocation of a file fails as a full disk does.
class FullDiskEnv : public EnvWrapper {
 public:
  FullDiskEnv() : EnvWrapper(Env::Default()) {}
  Status WriteAt(int fd, const void* data, size_t size, int64_t offset,
                 std::string_view path) override {
    if (full) return NoSpace("write", path);
    return EnvWrapper::WriteAt(fd, data, size, offset, path);
  }
  Status Allocate(int fd, int64_t size, std::string_view path) override {
    if (full) return NoSpace("allocate", path);
    return EnvWrapper::Allocate(fd, size, path);
  }
  std::atomic<bool> full{false};

 private:
  static Status NoSpace(std::string_view op, std::string_view path) {
    return Status::IOError(std::string(op) + " " + std::string(path) + ": No space left on device");
  }
};

TEST(DiskFullTest, ResourceExhaustedAndTheIngestResumesOnceThereIsSpace) {
  FullDiskEnv env;  // outlives the store
  contentstore::Options store_options;
  store_options.env = &env;
  TestServer server({}, store_options);
  auto stub = server.stub();
  const std::string data = MakeContent(3 << 20, 8);
  const std::string head = data.substr(0, 1 << 20);

  // A first part is stored; then the disk is full.
  WriteCall first(*stub);
  ASSERT_TRUE(first.Send(Stat("full", static_cast<int64_t>(data.size()), Sha256(data))));
  ASSERT_TRUE(first.Send(WriteAt(0, head)));
  ASSERT_TRUE(first.Send(Stat()));  // the queued write is on disk
  env.full = true;
  bool answered = first.Send(WriteAt(1 << 20, data.substr(1 << 20)));
  if (answered) answered = first.Send(CommitAt(static_cast<int64_t>(data.size())));
  const grpc::Status ended = first.Finish();
  EXPECT_FALSE(answered);
  EXPECT_EQ(ended.error_code(), StatusCode::RESOURCE_EXHAUSTED) << Describe(ended);
  EXPECT_NE(ended.error_message().find("No space left on device"), std::string::npos);

  // Reads and the ingest's status still work while the disk is full.
  api::Status status;
  ASSERT_GRPC_OK(GetStatus(*stub, "full", &status));
  EXPECT_GE(status.offset(), 1 << 20);

  // Space returns: the upload resumes where the ingest stands and commits.
  env.full = false;
  EXPECT_GRPC_OK(Upload(*stub, "full", data));
  std::string out;
  ASSERT_GRPC_OK(ReadBlob(*stub, Sha256(data), &out));
  EXPECT_TRUE(out == data);
}

}  // namespace
}  // namespace contentstore::server::testing
