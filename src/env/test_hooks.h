// Seams for tests: fault injection into file-system calls and named crash
// points. Production code pays one relaxed atomic load per call.
//
//  - Every call in posix.h asks the fault injector first, so a test can make
//    the Nth write, fsync or rename fail and check what survives
//    (SQLite's malloc_common.tcl loop, LevelDB's fault_injection_test).
//  - CrashPoint("commit.after_rename") marks a step of a multi-step protocol;
//    a forked test child installs a hook that kills itself there, and the
//    parent reopens the store and checks its invariants.
//
// Thread-safety: hooks are installed before the code under test runs.

#ifndef CONTENTSTORE_SRC_TEST_HOOKS_H_
#define CONTENTSTORE_SRC_TEST_HOOKS_H_

#include <string_view>

#include "contentstore/status.h"

namespace contentstore::test_hooks {

class FaultInjector {
 public:
  virtual ~FaultInjector() = default;
  // Called before a file-system operation `op` ("open", "write", "fsync",
  // "rename", ...) on `path`; a non-OK result is returned instead of doing it.
  virtual Status Before(std::string_view op, std::string_view path) = 0;
};

// nullptr removes the injector. The injector must outlive its installation.
void SetFaultInjector(FaultInjector* injector);
Status InjectedFault(std::string_view op, std::string_view path);

using CrashHook = void (*)(std::string_view point);
void SetCrashHook(CrashHook hook);
void CrashPoint(std::string_view point);

}  // namespace contentstore::test_hooks

#endif  // CONTENTSTORE_SRC_TEST_HOOKS_H_
