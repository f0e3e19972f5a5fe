#include "env/crash_point.h"

#include <atomic>

namespace contentstore::test_hooks {
namespace {
std::atomic<CrashHook> g_crash_hook{nullptr};
}  // namespace

void SetCrashHook(CrashHook hook) { g_crash_hook.store(hook); }

void CrashPoint(std::string_view point) {
  if (CrashHook hook = g_crash_hook.load(std::memory_order_relaxed)) hook(point);
}

}  // namespace contentstore::test_hooks
