// CallGate: admits calls until the server stops, counts those in flight,
// and lets Stop() wait for them.
//
// Why: gRPC's Server::Shutdown(deadline) waits until every client has
// closed its connection, not only until calls end, so a client that stays
// connected but idle (a containerd holding its channel open) would make
// every stop last the whole grace period. With this gate Stop() waits for
// calls only, then shuts gRPC down with an immediate deadline, which drops
// idle connections at once.
//
// Thread-safety: all methods may be called from any thread.

#ifndef CONTENTSTORE_SERVER_CALL_GATE_H_
#define CONTENTSTORE_SERVER_CALL_GATE_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace contentstore::server {

class CallGate {
 public:
  // One call's admission, for as long as the call runs.
  class Pass {
   public:
    explicit Pass(CallGate& gate);
    ~Pass();
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    // False when the gate was closed: refuse the call.
    explicit operator bool() const { return admitted_; }

   private:
    CallGate& gate_;
    bool admitted_;
  };

  CallGate() = default;
  CallGate(const CallGate&) = delete;
  CallGate& operator=(const CallGate&) = delete;

  // Admits no more calls, then waits until the calls in flight have ended
  // or `deadline` passes. True if none is left.
  bool CloseAndDrain(std::chrono::steady_clock::time_point deadline);

 private:
  std::mutex mu_;
  std::condition_variable drained_;
  bool closed_ = false;
  int in_flight_ = 0;
};

}  // namespace contentstore::server

#endif  // CONTENTSTORE_SERVER_CALL_GATE_H_
