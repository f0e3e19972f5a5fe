// Network faults for the S3 client's tests, on 127.0.0.1: a TCP listener
// that hands each connection to a handler in its own thread. Handlers here
// close at once, answer with canned HTTP responses, or relay to a real
// server (RGW) while losing or cutting chosen answers. They inject faults;
// they never stand in for the server's behaviour under test.
//
// Thread-safety: the counters may be read from any thread; construct and
// destroy from one.

#ifndef CONTENTSTORE_TESTS_S3_FAULT_SERVER_H_
#define CONTENTSTORE_TESTS_S3_FAULT_SERVER_H_

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace contentstore::s3::testing {

class FaultServer {
 public:
  // Gets the accepted socket (closed by the server afterwards) and the
  // connection's index, from 0.
  using Handler = std::function<void(int fd, int index)>;

  explicit FaultServer(Handler handler);
  ~FaultServer();
  FaultServer(const FaultServer&) = delete;
  FaultServer& operator=(const FaultServer&) = delete;

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_.load(); }
  // True once destruction began: long-running handlers should return.
  bool stopping() const { return stopping_.load(); }

  // Handlers.
  // Closes each connection without reading or answering.
  static Handler CloseAtOnce();
  // Answers connection i's first request with responses[min(i, size-1)]
  // (a complete raw HTTP response) and closes; an empty response closes
  // after reading the request without answering (an answer lost after the
  // server did the work).
  static Handler Respond(std::vector<std::string> responses);

 private:
  void accept_loop();

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;  // guarded by mu_
};

// Relays connections to 127.0.0.1:upstream_port. A request whose head
// starts with `method` and contains `needle` has its answer lost: the relay
// forwards the request, waits for the answer to begin (the server has done
// the work), then forwards only the first `forward_bytes` bytes of it (0:
// none) and cuts both connections. That happens `times` times; afterwards
// everything passes.
struct LossRule {
  std::string method;  // "POST", "GET", ...
  std::string needle;  // e.g. "uploadId="
  size_t forward_bytes = 0;
  int times = 1;
};

class FaultProxy {
 public:
  FaultProxy(int upstream_port, LossRule rule);
  std::string endpoint() const { return server_.endpoint(); }
  // How many answers were lost or cut so far.
  int fired() const { return fired_.load(); }
  // The first line of each chunk the client sent, for failure messages.
  std::string seen() const;

 private:
  void relay(int client_fd);

  int upstream_port_;
  LossRule rule_;
  std::atomic<int> fired_{0};
  std::atomic<int> remaining_;
  mutable std::mutex mu_;
  std::string seen_;    // guarded by mu_
  FaultServer server_;  // last: its threads use the members above
};

// Reads one HTTP request head and its Content-Length body from `fd`.
// Returns the head ("" on EOF).
std::string ReadRequest(int fd);

}  // namespace contentstore::s3::testing

#endif  // CONTENTSTORE_TESTS_S3_FAULT_SERVER_H_
