// The Write stream's protocol beyond the generic suite, and the methods
// that read what writes left: truncation at offset 0, resumable half-closes,
// expectations given late, exact live offsets in Status and ListStatuses,
// the lease and namespace headers, List in batches, Read in chunks, times
// in nanoseconds, Delete and Abort.

#include <set>

#include "convert.h"
#include "server_test_util.h"

namespace contentstore::server::testing {
namespace {

// The Infos a List returns, and how many messages carried them.
std::vector<api::Info> List(Stub& stub, const std::vector<std::string>& filters,
                            int* messages = nullptr) {
  std::vector<api::Info> infos;
  EXPECT_GRPC_OK(ListBlobs(stub, filters, &infos, messages));
  return infos;
}

class WriteProtocolTest : public ::testing::Test {
 protected:
  WriteProtocolTest() : stub_(server_.stub()) {}

  api::Status StatusOf(const std::string& ref) {
    api::Status status;
    EXPECT_GRPC_OK(GetStatus(*stub_, ref, &status));
    return status;
  }
  std::vector<api::Status> ListStatuses(const std::vector<std::string>& filters = {}) {
    std::vector<api::Status> statuses;
    EXPECT_GRPC_OK(ListIngests(*stub_, filters, &statuses));
    return statuses;
  }
  TestServer server_;
  std::unique_ptr<Stub> stub_;
};

TEST_F(WriteProtocolTest, OffsetZeroTruncatesWhatTheIngestHolds) {
  WriteCall call(*stub_);
  ASSERT_TRUE(call.Send(Stat("t")));
  ASSERT_TRUE(call.Send(WriteAt(0, "abcdef")));
  EXPECT_EQ(call.response.offset(), 6);
  ASSERT_TRUE(call.Send(WriteAt(0, "xy")));
  EXPECT_EQ(call.response.offset(), 2);
  EXPECT_EQ(call.response.digest(), Sha256("xy"));
  // A WRITE at offset 0 without data truncates too (containerd's rule).
  ASSERT_TRUE(call.Send(WriteAt(0, "")));
  EXPECT_EQ(call.response.offset(), 0);
  EXPECT_EQ(call.response.digest(), Sha256(""));
  ASSERT_TRUE(call.Send(WriteAt(0, "hello")));
  ASSERT_TRUE(call.Send(CommitAt(5, 5, Sha256("hello"))));
  EXPECT_EQ(call.response.action(), api::COMMIT);
  EXPECT_EQ(call.response.offset(), 5);
  EXPECT_EQ(call.response.digest(), Sha256("hello"));
  EXPECT_GRPC_OK(call.Finish());
}

TEST_F(WriteProtocolTest, HalfCloseLeavesTheIngestResumable) {
  const std::string data = MakeContent(3000, 21);
  {
    WriteCall call(*stub_);
    ASSERT_TRUE(call.Send(Stat("resume-me", 3000)));
    ASSERT_TRUE(call.Send(WriteAt(0, data.substr(0, 1000))));
    EXPECT_GRPC_OK(call.Finish());
  }
  EXPECT_EQ(StatusOf("resume-me").offset(), 1000);
  EXPECT_EQ(StatusOf("resume-me").total(), 3000);
  auto listed = ListStatuses({"ref==resume-me"});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].offset(), 1000);
  // The blob is not there; the upload resumes where it stopped.
  WriteCall call(*stub_);
  ASSERT_TRUE(call.Send(Stat("resume-me")));
  EXPECT_EQ(call.response.offset(), 1000);
  EXPECT_EQ(call.response.digest(), Sha256(data.substr(0, 1000)));
  ASSERT_TRUE(call.Send(WriteAt(1000, data.substr(1000))));
  ASSERT_TRUE(call.Send(CommitAt(3000, 3000, Sha256(data), {{"a", "b"}})));
  EXPECT_GRPC_OK(call.Finish());
  auto info = server_.store().info(*Digest::Parse(Sha256(data)));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->labels, (Labels{{"a", "b"}}));
}

TEST_F(WriteProtocolTest, SizeAndDigestGivenOnlyAtCommitAreChecked) {
  const std::string data = MakeContent(500, 22);
  WriteCall call(*stub_);
  ASSERT_TRUE(call.Send(Stat("late")));
  EXPECT_EQ(call.response.total(), 0);
  ASSERT_TRUE(call.Send(WriteAt(0, data)));
  ASSERT_TRUE(call.Send(CommitAt(500, 500, Sha256(data))));
  EXPECT_EQ(call.response.digest(), Sha256(data));
  EXPECT_EQ(call.response.total(), 500);
  EXPECT_GRPC_OK(call.Finish());
}

TEST_F(WriteProtocolTest, StatusOfALiveStreamIsExact) {
  // 20 MiB goes past the library's staging threshold, where the data file
  // may lag what the writer accepted; the stream's own figure does not.
  const std::string data = MakeContent(20 << 20, 23);
  WriteCall call(*stub_);
  ASSERT_TRUE(call.Send(Stat("live", 40 << 20)));
  for (size_t at = 0; at < data.size(); at += 1 << 20) {
    ASSERT_TRUE(call.Send(WriteAt(static_cast<int64_t>(at), data.substr(at, 1 << 20))));
  }
  const api::Status status = StatusOf("live");
  EXPECT_EQ(status.offset(), 20 << 20);
  EXPECT_EQ(status.total(), 40 << 20);
  EXPECT_EQ(FromProto(status.updated_at()), FromProto(call.response.updated_at()));
  auto listed = ListStatuses();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].offset(), 20 << 20);
  EXPECT_GRPC_OK(call.Finish());
  EXPECT_EQ(StatusOf("live").offset(), 20 << 20);
}

TEST_F(WriteProtocolTest, LeaseHeaderHoldsTheIngestAndTheBlobAndCreatesTheLease) {
  const std::string data = MakeContent(4096, 24);
  auto context = Context();
  context->AddMetadata("containerd-lease", "build-42");
  context->AddMetadata("containerd-namespace", "default");
  WriteCall call(*stub_, std::move(context));
  ASSERT_TRUE(call.Send(Stat("leased", 4096)));
  Store& store = server_.store();
  auto lease = store.get_lease("build-42");
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  EXPECT_TRUE(lease->expires_at.has_value());  // created with containerd's 24 h default
  auto held = store.lease_resources("build-42");
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(*held, (std::vector<LeaseResource>{{LeaseResource::Type::kIngest, "leased"}}));
  ASSERT_TRUE(call.Send(WriteAt(0, data)));
  ASSERT_TRUE(call.Send(CommitAt(4096, 4096, Sha256(data))));
  EXPECT_GRPC_OK(call.Finish());
  held = store.lease_resources("build-42");
  ASSERT_TRUE(held.ok());
  EXPECT_NE(std::find(held->begin(), held->end(),
                      LeaseResource{LeaseResource::Type::kContent, Sha256(data)}),
            held->end());
  // An existing lease is used as it is.
  auto second = Context();
  second->AddMetadata("containerd-lease", "build-42");
  EXPECT_GRPC_OK(Upload(*stub_, "leased-2", "more", {}, 1 << 20, std::move(second)));
  held = store.lease_resources("build-42");
  ASSERT_TRUE(held.ok());
  EXPECT_NE(std::find(held->begin(), held->end(),
                      LeaseResource{LeaseResource::Type::kContent, Sha256("more")}),
            held->end());
}

TEST(ListTest, ListStreamsEveryBlobInBatchesInDigestOrder) {
  // Populated through the library without fsyncs (fast), listed through
  // the server.
  Options no_sync;
  no_sync.sync = false;
  TestServer server({}, no_sync);
  auto stub = server.stub();
  std::vector<std::string> contents;
  std::vector<BlobInput> inputs;
  for (int i = 0; i < 6000; ++i) contents.push_back("blob " + std::to_string(i));
  for (int i = 0; i < 6000; ++i) {
    BlobInput in;
    in.bytes = std::as_bytes(std::span(contents[i].data(), contents[i].size()));
    if (i % 100 == 0) in.labels = {{"bench/sel", "1"}};
    inputs.push_back(in);
  }
  ASSERT_TRUE(server.store().put_blobs(inputs).ok());
  int messages = 0;
  auto all = List(*stub, {}, &messages);
  ASSERT_EQ(all.size(), 6000u);
  EXPECT_GT(messages, 1);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].digest(), all[i].digest());
  auto selected = List(*stub, {R"(labels."bench/sel"==1)"});
  ASSERT_EQ(selected.size(), 60u);
  for (const auto& info : selected) EXPECT_EQ(info.labels().at("bench/sel"), "1");
  // Several filters mean OR; an empty filter string matches everything.
  EXPECT_EQ(List(*stub, {"digest==" + Sha256("blob 1"), "digest==" + Sha256("blob 2")}).size(), 2u);
  EXPECT_EQ(List(*stub, {""}).size(), 6000u);
}

TEST_F(WriteProtocolTest, ReadHonoursOffsetAndSizeInChunks) {
  const std::string data = MakeContent((5 << 20) + 123, 25);
  ASSERT_GRPC_OK(Upload(*stub_, "read-me", data));
  auto context = Context();
  api::ReadContentRequest request;
  request.set_digest(Sha256(data));
  auto reader = stub_->Read(context.get(), request);
  api::ReadContentResponse chunk;
  std::string got;
  int messages = 0;
  while (reader->Read(&chunk)) {
    EXPECT_EQ(chunk.offset(), static_cast<int64_t>(got.size()));
    EXPECT_LE(chunk.data().size(), 1u << 20);
    got += chunk.data();
    ++messages;
  }
  ASSERT_GRPC_OK(reader->Finish());
  EXPECT_EQ(got, data);
  EXPECT_GE(messages, 6);
  std::string part;
  ASSERT_GRPC_OK(ReadBlob(*stub_, Sha256(data), &part, 3 << 20, 1 << 20));
  EXPECT_EQ(part, data.substr(3 << 20, 1 << 20));
  ASSERT_GRPC_OK(ReadBlob(*stub_, Sha256(data), &part, data.size() - 10, 1 << 20));
  EXPECT_EQ(part, data.substr(data.size() - 10));
}

TEST_F(WriteProtocolTest, MessagesOfUpTo16MiBAreAccepted) {
  // containerd's limit; gRPC's default of 4 MiB would refuse this WRITE.
  const std::string data = MakeContent(15 << 20, 26);
  WriteCall call(*stub_);
  ASSERT_TRUE(call.Send(Stat("big-message")));
  ASSERT_TRUE(call.Send(WriteAt(0, data))) << Describe(call.Finish());
  EXPECT_EQ(call.response.offset(), 15 << 20);
  ASSERT_TRUE(call.Send(CommitAt(15 << 20, 15 << 20, Sha256(data))));
  EXPECT_GRPC_OK(call.Finish());
  // Past it, the server refuses the message (from a client that would send
  // it), and the call fails, not the server.
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  auto unlimited = api::Content::NewStub(grpc::CreateCustomChannel(
      "unix:" + server_.socket(), grpc::InsecureChannelCredentials(), args));
  WriteCall too_big(*unlimited);
  ASSERT_TRUE(too_big.Send(Stat("too-big")));
  EXPECT_FALSE(too_big.Send(WriteAt(0, MakeContent(17 << 20, 27))));
  EXPECT_GRPC_CODE(too_big.Finish(), RESOURCE_EXHAUSTED);
  EXPECT_GRPC_OK(Upload(*stub_, "after", "the server is fine"));
}

TEST_F(WriteProtocolTest, TimesKeepTheirNanoseconds) {
  ASSERT_GRPC_OK(Upload(*stub_, "ns", "nanoseconds"));
  auto stored = server_.store().info(*Digest::Parse(Sha256("nanoseconds")));
  ASSERT_TRUE(stored.ok());
  api::Info info;
  ASSERT_GRPC_OK(GetInfo(*stub_, Sha256("nanoseconds"), &info));
  EXPECT_EQ(FromProto(info.created_at()), stored->created_at);
  EXPECT_EQ(FromProto(info.updated_at()), stored->updated_at);
  EXPECT_EQ(info.created_at().nanos(),
            stored->created_at.time_since_epoch().count() % 1000000000);
}

TEST_F(WriteProtocolTest, DeleteAndAbort) {
  ASSERT_GRPC_OK(Upload(*stub_, "del", "delete me"));
  ASSERT_GRPC_OK(DeleteBlob(*stub_, Sha256("delete me")));
  EXPECT_GRPC_CODE(GetInfo(*stub_, Sha256("delete me")), NOT_FOUND);

  // Abort right after the client closed its stream, without waiting for the
  // server to finish it: the abort waits for the stream to let go.
  for (int i = 0; i < 20; ++i) {
    WriteCall call(*stub_);
    ASSERT_TRUE(call.Send(Stat("abort-me")));
    ASSERT_TRUE(call.Send(WriteAt(0, "partial")));
    call.stream->WritesDone();
    ASSERT_GRPC_OK(AbortIngest(*stub_, "abort-me"));
    EXPECT_GRPC_OK(call.stream->Finish());
    EXPECT_GRPC_CODE(GetStatus(*stub_, "abort-me"), NOT_FOUND);
  }
}

}  // namespace
}  // namespace contentstore::server::testing
