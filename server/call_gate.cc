// Admitting and draining calls (see call_gate.h).

#include "call_gate.h"

namespace contentstore::server {

CallGate::Pass::Pass(CallGate& gate) : gate_(gate) {
  std::lock_guard lock(gate_.mu_);
  admitted_ = !gate_.closed_;
  if (admitted_) ++gate_.in_flight_;
}

CallGate::Pass::~Pass() {
  if (!admitted_) return;
  std::lock_guard lock(gate_.mu_);
  if (--gate_.in_flight_ == 0) gate_.drained_.notify_all();
}

bool CallGate::CloseAndDrain(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  closed_ = true;
  return drained_.wait_until(lock, deadline, [this] { return in_flight_ == 0; });
}

}  // namespace contentstore::server
