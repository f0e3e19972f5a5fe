#include "util/group_sync.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "test_util.h"

namespace contentstore {
namespace {

using Clock = std::chrono::steady_clock;

TEST(GroupSync, EveryCallerIsCoveredByASyncThatStartedAfterItAndSyncsAreShared) {
  GroupSync group;
  std::mutex mu;
  std::vector<std::pair<Clock::time_point, Clock::time_point>> syncs;  // start, end
  auto slow_sync = [&] {
    const auto start = Clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::lock_guard lock(mu);
    syncs.emplace_back(start, Clock::now());
    return Status::OK();
  };
  constexpr int kThreads = 8, kCalls = 20;
  std::vector<std::thread> threads;
  std::atomic<int> violations{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        const auto called = Clock::now();
        ASSERT_OK(group.Sync(slow_sync));
        const auto returned = Clock::now();
        std::lock_guard lock(mu);
        bool covered = false;
        for (const auto& [start, end] : syncs) {
          if (start >= called && end <= returned) covered = true;
        }
        if (!covered) ++violations;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(violations, 0);
  EXPECT_LT(group.syncs_run(), uint64_t{kThreads * kCalls});  // grouped
  EXPECT_GT(group.syncs_run(), 0u);
}

TEST(GroupSync, FailureGoesToTheThreadThatRanTheSync) {
  GroupSync group;
  int calls = 0;
  EXPECT_CODE(group.Sync([&] {
    ++calls;
    return Status::IOError("disk gone");
  }),
              kIOError);
  EXPECT_OK(group.Sync([&] {
    ++calls;
    return Status::OK();
  }));
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace contentstore
