// `serve`: containerd's content service (gRPC, containerd 1.6's wire
// contract) on a unix socket, over the store, until SIGTERM or SIGINT. The
// service lives in server/; this is its command line.

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <memory>
#include <string>

#include "common.h"
#include "duration.h"
#include "malloc_tuning.h"
#include "server.h"
#include "stop_signals.h"
#include "streams.h"

namespace contentstore::cli {
namespace {

// fsck knows this name at ROOT (src/files/layout.h, Layout::kServeSocket).
constexpr char kDefaultSocket[] = "contentstore.sock";

struct ServeArgs {
  std::string address;
  std::string lock_wait = "1s";
  std::string stop_timeout = "10s";
  bool read_only = false;
};

Result<std::chrono::milliseconds> Millis(std::string_view flag, const std::string& text) {
  auto d = ParseDuration(text);
  if (!d.ok()) return d.status().WithContext(flag);
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

int RunServe(const ServeArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "serve";
  server::ServeOptions options;
  auto lock_wait = Millis("--lock-wait", args.lock_wait);
  if (!lock_wait.ok()) return Report(kWhat, lock_wait.status());
  auto stop_timeout = Millis("--stop-timeout", args.stop_timeout);
  if (!stop_timeout.ok()) return Report(kWhat, stop_timeout.status());
  options.lock_wait = *lock_wait;
  options.stop_grace = *stop_timeout;

  // Before any thread starts, so that every thread inherits the mask and
  // the signals wait for WaitForStopSignal().
  server::BlockStopSignals();
  server::TuneMallocForStreaming();
  // Read-only: the store is opened with Options::read_only, reads are
  // served and writes answered FAILED_PRECONDITION (error_mapping.h).
  auto store = OpenStore(globals, args.read_only ? Access::kRead : Access::kWrite);
  if (!store.ok()) return Report(kWhat, store.status());
  options.address = args.address.empty() ? (*store)->root() + "/" + kDefaultSocket : args.address;
  auto server = server::Server::Start(**store, options);
  if (!server.ok()) return Report(kWhat, server.status());
  WriteErr(fmt::format("contentstore serve: serving {}{} on {}\n", (*store)->root(),
                       args.read_only ? " (read-only)" : "", (*server)->address()));

  const int signal = server::WaitForStopSignal();
  WriteErr(fmt::format("contentstore serve: SIG{}: stopping\n", sigabbrev_np(signal)));
  (*server)->Stop();
  (*server)->Wait();
  server->reset();  // removes the socket before the store closes
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, const GlobalOptions& globals, Commands& commands) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Serve containerd's content API (gRPC) on a unix socket until SIGTERM or SIGINT");
  cmd->add_option("--address", args->address,
                  "Unix socket to listen on (default: ROOT/contentstore.sock); mode 0660")
      ->type_name("PATH");
  cmd->add_option("--lock-wait", args->lock_wait,
                  "How long a write waits for a ref another writer holds (default 1s)")
      ->type_name("DURATION");
  cmd->add_option("--stop-timeout", args->stop_timeout,
                  "On SIGTERM/SIGINT, how long calls in flight may take before they are "
                  "cancelled (default 10s)")
      ->type_name("DURATION");
  cmd->add_flag("--read-only", args->read_only,
                "Open the store read-only: serve reads, refuse writes (FAILED_PRECONDITION); "
                "works on a store this user cannot write (give --address outside it)");
  commands.push_back({cmd, [args, &globals] { return RunServe(*args, globals); }});
}

}  // namespace contentstore::cli
