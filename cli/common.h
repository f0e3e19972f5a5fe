// What every command shares: the global options, the table of registered
// commands, opening the store, reading digests and labels from arguments, and
// turning a failed Status into the message on standard error and the exit
// code (exit_code.h).
//
// Commands are registered on the CLI11 app by the commands_*.cc files and run
// by main() after parsing, so parsing never touches the store.

#ifndef CONTENTSTORE_CLI_COMMON_H_
#define CONTENTSTORE_CLI_COMMON_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contentstore/digest.h"
#include "contentstore/status.h"
#include "contentstore/store.h"
#include "contentstore/types.h"

namespace contentstore::cli {

// Options accepted before or after the command name.
struct GlobalOptions {
  std::string root;
  CLI::Option* root_option = nullptr;
  // --blobs / $CONTENTSTORE_BLOBS and --blob-cache (Options::blobs,
  // Options::blob_cache_bytes).
  std::string blobs;
  int64_t blob_cache_bytes = 0;
  // --catalog URL: the catalog in PostgreSQL (Options::catalog_url).
  std::string catalog;

  // The --root value when it was given.
  std::optional<std::string> root_flag() const;
};

// A subcommand and what running it does; run() returns the exit code.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};
using Commands = std::vector<Command>;

void AddTransferCommands(CLI::App& app, const GlobalOptions& globals, Commands& commands);
void AddBlobCommands(CLI::App& app, const GlobalOptions& globals, Commands& commands);
void AddIngestCommands(CLI::App& app, const GlobalOptions& globals, Commands& commands);
void AddLeaseCommands(CLI::App& app, const GlobalOptions& globals, Commands& commands);
void AddImageCommands(CLI::App& app, const GlobalOptions& globals, Commands& commands);
void AddGcCommands(CLI::App& app, const GlobalOptions& globals, Commands& commands);
void AddOciCommands(CLI::App& app, const GlobalOptions& globals, Commands& commands);
// Only in builds with the server (CONTENTSTORE_HAVE_SERVER).
void AddServeCommand(CLI::App& app, const GlobalOptions& globals, Commands& commands);

// How a command uses the store.
enum class Access {
  // It writes: the store is created on first use.
  kWrite,
  // It only reads: the store is opened read-only (Options::read_only), so the
  // command works on a store this user cannot write and finishes nothing for
  // processes that died (it says so on standard error when something is
  // pending). A missing root or catalog is NotFound "no store at ROOT", and
  // nothing is created: a mistyped --root is an error, not a new store.
  kRead,
};

// Opens the store the options and environment name.
Result<std::unique_ptr<Store>> OpenStore(const GlobalOptions& globals,
                                         Access access = Access::kWrite);

// Prints "contentstore: <what>: <why>" on standard error and returns the exit
// code of `status`. When `status` says standard output was closed by its
// reader, prints nothing and returns 0: the reader chose to stop, nothing
// failed here.
// REQUIRES: !status.ok().
int Report(std::string_view what, const Status& status);

// Parses "KEY=VALUE" into `labels` (a later key replaces an earlier one).
// InvalidArgument without "=" or with an empty key. An empty value is kept:
// what it means is up to the command.
Status ParseLabelArg(std::string_view arg, Labels& labels);

// ParseLabelArg for each of `args`, then the store's own checks on the result
// (contentstore::ValidateLabels), so a label the store would refuse fails
// before any work is done, not after a blob was streamed.
Status ParseLabelArgs(const std::vector<std::string>& args, Labels& labels);

// The current time, at the resolution the store keeps.
Timestamp Now();

}  // namespace contentstore::cli

#endif  // CONTENTSTORE_CLI_COMMON_H_
