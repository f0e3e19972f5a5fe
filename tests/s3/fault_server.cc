#include "fault_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

namespace contentstore::s3::testing {

namespace {

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

int ConnectLocal(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

FaultServer::FaultServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("FaultServer: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FaultServer::~FaultServer() {
  stopping_ = true;
  acceptor_.join();
  ::close(listen_fd_);
  std::lock_guard lock(mu_);
  for (std::thread& t : workers_) t.join();
}

void FaultServer::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int index = connections_++;
    std::lock_guard lock(mu_);
    workers_.emplace_back([this, fd, index] {
      handler_(fd, index);
      ::close(fd);
    });
  }
}

FaultServer::Handler FaultServer::CloseAtOnce() {
  return [](int, int) {};
}

FaultServer::Handler FaultServer::Respond(std::vector<std::string> responses) {
  return [responses = std::move(responses)](int fd, int index) {
    ReadRequest(fd);
    const std::string& r =
        responses[std::min<size_t>(static_cast<size_t>(index), responses.size() - 1)];
    if (!r.empty()) SendAll(fd, r.data(), r.size());
    ::shutdown(fd, SHUT_RDWR);
  };
}

std::string ReadRequest(int fd) {
  std::string data;
  char buf[65536];
  size_t head_end;
  while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return "";
    data.append(buf, static_cast<size_t>(n));
  }
  std::string head = data.substr(0, head_end + 4);
  std::string lower = head;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  size_t body = 0;
  if (size_t at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
    body = std::strtoull(lower.c_str() + at + 17, nullptr, 10);
  }
  size_t have = data.size() - head.size();
  while (have < body) {
    ssize_t n = ::recv(fd, buf, std::min(sizeof buf, body - have), 0);
    if (n <= 0) break;
    have += static_cast<size_t>(n);
  }
  return head;
}

FaultProxy::FaultProxy(int upstream_port, LossRule rule)
    : upstream_port_(upstream_port),
      rule_(std::move(rule)),
      remaining_(rule_.times),
      server_([this](int fd, int) { relay(fd); }) {}

std::string FaultProxy::seen() const {
  std::lock_guard lock(mu_);
  return seen_;
}

void FaultProxy::relay(int client_fd) {
  int up = ConnectLocal(upstream_port_);
  if (up < 0) return;
  bool losing = false;   // the answer now coming is the one to lose
  size_t forwarded = 0;  // bytes of that answer passed on
  char buf[65536];
  while (!server_.stopping()) {
    pollfd p[2] = {{client_fd, POLLIN, 0}, {up, POLLIN, 0}};
    int ready = ::poll(p, 2, 100);
    if (ready < 0) break;
    if (ready == 0) continue;
    if (p[0].revents != 0) {
      ssize_t n = ::recv(client_fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      std::string_view chunk(buf, static_cast<size_t>(n));
      std::string_view first_line = chunk.substr(0, chunk.find("\r\n"));
      {
        std::lock_guard lock(mu_);
        seen_ += std::string(first_line.substr(0, 200)) + " [" + std::to_string(n) + " bytes]\n";
      }
      if (!losing && first_line.starts_with(rule_.method + " ") &&
          first_line.find(rule_.needle) != std::string_view::npos) {
        int r = remaining_.load();
        while (r > 0 && !remaining_.compare_exchange_weak(r, r - 1)) {
        }
        losing = r > 0;
        forwarded = 0;  // counts the lost answer's bytes, not earlier answers'
      }
      if (!SendAll(up, buf, static_cast<size_t>(n))) break;
    }
    if (p[1].revents != 0) {
      ssize_t n = ::recv(up, buf, sizeof buf, 0);
      if (n <= 0) break;
      size_t pass = static_cast<size_t>(n);
      if (losing) pass = std::min(pass, rule_.forward_bytes - forwarded);
      if (losing && forwarded + pass >= rule_.forward_bytes) {
        // Counted before the client can see the cut and the test look.
        ++fired_;
        if (pass > 0) SendAll(client_fd, buf, pass);
        break;  // cut: the client sees the connection end mid-answer
      }
      if (!SendAll(client_fd, buf, pass)) break;
      if (losing) forwarded += pass;
    }
  }
  ::shutdown(client_fd, SHUT_RDWR);
  ::close(up);
}

}  // namespace contentstore::s3::testing
