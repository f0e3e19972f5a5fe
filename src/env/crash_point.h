// Named crash points: CrashPoint("commit.after_rename") marks a step of a
// multi-step protocol, so a test can kill a forked child exactly there and
// check what the next open of the store finds (tests/store/commit_test.cc).
// Production code pays one relaxed atomic load per point. (Failing single
// file-system calls is the Env's job: see contentstore/env.h.)
//
// Thread-safety: the hook is installed before the code under test runs.

#ifndef CONTENTSTORE_SRC_ENV_CRASH_POINT_H_
#define CONTENTSTORE_SRC_ENV_CRASH_POINT_H_

#include <string_view>

namespace contentstore::test_hooks {

using CrashHook = void (*)(std::string_view point);
void SetCrashHook(CrashHook hook);
void CrashPoint(std::string_view point);

}  // namespace contentstore::test_hooks

#endif  // CONTENTSTORE_SRC_ENV_CRASH_POINT_H_
