#include "env/test_hooks.h"

#include <atomic>

namespace contentstore::test_hooks {
namespace {
std::atomic<FaultInjector*> g_injector{nullptr};
std::atomic<CrashHook> g_crash_hook{nullptr};
}  // namespace

void SetFaultInjector(FaultInjector* injector) { g_injector.store(injector); }

Status InjectedFault(std::string_view op, std::string_view path) {
  FaultInjector* injector = g_injector.load(std::memory_order_relaxed);
  return injector == nullptr ? Status::OK() : injector->Before(op, path);
}

void SetCrashHook(CrashHook hook) { g_crash_hook.store(hook); }

void CrashPoint(std::string_view point) {
  if (CrashHook hook = g_crash_hook.load(std::memory_order_relaxed)) hook(point);
}

}  // namespace contentstore::test_hooks
