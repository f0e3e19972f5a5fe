// Many streams at once: one ref's lock held for exactly the life of its
// stream (a racing second stream gets Unavailable; a reopen racing the
// previous stream's end succeeds), and clients that stall, or write and
// read at the same time, never hold anyone else up. Deadlines on every
// call turn a hang into a failure; nothing here asserts a duration.

#include <atomic>
#include <thread>

#include "server_test_util.h"

namespace contentstore::server::testing {
namespace {

ServeOptions ShortLockWait() {
  ServeOptions options;
  options.lock_wait = std::chrono::milliseconds(300);
  return options;
}

TEST(ConcurrencyTest, TwoStreamsOnOneRefOneWinsTheOtherIsUnavailable) {
  TestServer server(ShortLockWait());
  for (int round = 0; round < 5; ++round) {
    const std::string ref = "contended-" + std::to_string(round);
    std::atomic<int> wins{0}, unavailable{0}, finished{0};
    std::atomic<int> ready{0};
    auto contender = [&] {
      auto stub = server.stub();
      WriteCall call(*stub);
      ready++;
      while (ready < 2) std::this_thread::yield();
      if (call.Send(Stat(ref))) {
        wins++;
        // Hold the ref until the other stream has its answer.
        const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (finished < 1 && std::chrono::steady_clock::now() < limit) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        EXPECT_GRPC_OK(call.Finish());
      } else {
        const grpc::Status s = call.Finish();
        EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(s);
        if (s.error_code() == grpc::StatusCode::UNAVAILABLE) unavailable++;
      }
      finished++;
    };
    std::thread a(contender), b(contender);
    a.join();
    b.join();
    EXPECT_EQ(wins, 1);
    EXPECT_EQ(unavailable, 1);
  }
}

TEST(ConcurrencyTest, ReopenRacingThePreviousStreamsEndSucceeds) {
  // containerd's client: Close() is CloseSend, and the next Writer() on the
  // same ref follows at once, before the server has finished the first.
  TestServer server;
  auto stub = server.stub();
  std::string expected;
  std::vector<std::unique_ptr<WriteCall>> old;
  for (int i = 0; i < 100; ++i) {
    auto call = std::make_unique<WriteCall>(*stub);
    ASSERT_TRUE(call->Send(Stat("hot"))) << "round " << i << ": " << Describe(call->Finish());
    ASSERT_EQ(call->response.offset(), static_cast<int64_t>(expected.size())) << "round " << i;
    const std::string piece = "piece " + std::to_string(i) + ";";
    ASSERT_TRUE(call->Send(WriteAt(call->response.offset(), piece)));
    expected += piece;
    call->stream->WritesDone();  // and go on at once
    old.push_back(std::move(call));
  }
  for (auto& call : old) EXPECT_GRPC_OK(call->stream->Finish());
  WriteCall call(*stub);
  ASSERT_TRUE(call.Send(Stat("hot")));
  EXPECT_EQ(call.response.digest(), Sha256(expected));
  ASSERT_TRUE(call.Send(CommitAt(call.response.offset(), static_cast<int64_t>(expected.size()),
                                 Sha256(expected))));
  EXPECT_GRPC_OK(call.Finish());
}

TEST(ConcurrencyTest, StalledClientsDoNotHoldUpOthers) {
  TestServer server;
  auto stub = server.stub();
  const std::string big = MakeContent(64 << 20, 31);
  ASSERT_GRPC_OK(Upload(*stub, "big", big));

  // Stalled: a Read of 64 MiB nobody consumes (flow control stops the
  // server's sends), and a Write stream that holds its ref and sends
  // nothing more. Each on its own connection.
  auto stalled_read_stub = server.stub();
  auto read_context = Context();
  api::ReadContentRequest read;
  read.set_digest(Sha256(big));
  auto stalled_read = stalled_read_stub->Read(read_context.get(), read);
  api::ReadContentResponse first;
  ASSERT_TRUE(stalled_read->Read(&first));
  auto stalled_write_stub = server.stub();
  WriteCall stalled_write(*stalled_write_stub);
  ASSERT_TRUE(stalled_write.Send(Stat("stalled")));
  ASSERT_TRUE(stalled_write.Send(WriteAt(0, "x")));

  // Everyone else: writers and readers at the same time, on other refs.
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto own = server.stub();
      for (int i = 0; i < 10; ++i) {
        const std::string data = MakeContent(4096, 1000 * t + i);
        EXPECT_GRPC_OK(Upload(*own, "w" + std::to_string(t) + "-" + std::to_string(i), data));
        std::string out;
        EXPECT_GRPC_OK(ReadBlob(*own, Sha256(data), &out));
        EXPECT_EQ(out, data);
        EXPECT_GRPC_OK(ReadBlob(*own, Sha256(big), &out, 1 << 20, 1 << 20));
      }
    });
  }
  for (auto& thread : threads) thread.join();

  read_context->TryCancel();
  while (stalled_read->Read(&first)) {
  }
  (void)stalled_read->Finish();
  EXPECT_GRPC_OK(stalled_write.Finish());
}

TEST(ConcurrencyTest, ManyStreamsAtOnce) {
  TestServer server;
  std::vector<std::thread> threads;
  for (int t = 0; t < 64; ++t) {
    threads.emplace_back([&, t] {
      auto stub = server.stub();
      EXPECT_GRPC_OK(Upload(*stub, "many-" + std::to_string(t), MakeContent(10000, 5000 + t), {},
                            1000));
    });
  }
  for (auto& thread : threads) thread.join();
  int blobs = 0;
  ASSERT_TRUE(server.store().walk([&](const Info&) {
    ++blobs;
    return Status::OK();
  }).ok());
  EXPECT_EQ(blobs, 64);
}

}  // namespace
}  // namespace contentstore::server::testing
