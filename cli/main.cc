// The `contentstore` command: parses the command line (CLI11), runs the chosen
// command, and turns whatever happens into an exit code and at most a line on
// standard error. Nothing escapes as a crash or a stack trace: parse errors
// are usage errors (exit 2), library errors exit with their code (see
// exit_code.h), and anything thrown is caught here (exit 1).

#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "common.h"
#include "streams.h"

namespace contentstore::cli {
namespace {

constexpr std::string_view kFooter =
    R"(Store root: --root DIR, else $CONTENTSTORE_ROOT, else $XDG_DATA_HOME/contentstore,
else ~/.local/share/contentstore. Commands that write create it on first use;
commands that only read exit 3 when there is no store there.

Exit codes: 0 ok, 1 other failure (I/O, permissions, corrupt catalog), 2 usage
or invalid argument, 3 not found, 4 already exists, 5 ref locked by a live
writer, 6 size or digest mismatch, 7 data corruption detected.
)";

// CLI11 messages start with a capital and some span lines; ours are one line
// in lower case, like every other error the command prints.
std::string OneLine(std::string message) {
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!message.empty() && message.back() == ' ') message.pop_back();
  if (message.size() > 1 && message[0] >= 'A' && message[0] <= 'Z' &&
      (message[1] == ' ' || (message[1] >= 'a' && message[1] <= 'z'))) {
    message[0] = static_cast<char>(message[0] - 'A' + 'a');
  }
  return message;
}

// The command given deepest: `lease create` in "contentstore lease create",
// the app itself when there is none.
const CLI::App& Innermost(const CLI::App& app) {
  const CLI::App* level = &app;
  while (!level->get_subcommands().empty()) level = level->get_subcommands().front();
  return *level;
}

// "contentstore", "contentstore ingest" or "contentstore lease create": where
// --help would explain.
std::string CommandPath(const CLI::App& app) {
  std::string path = "contentstore";
  for (const CLI::App* level = &app; !level->get_subcommands().empty();) {
    level = level->get_subcommands().front();
    path += " " + level->get_name();
  }
  return path;
}

int UsageError(const CLI::App& app, const CLI::ParseError& error) {
  std::string message = OneLine(error.what());
  // Without a command (at the top or after `lease`), CLI11 only says one is
  // required (or lists extras); name what was wrong.
  const bool no_command = dynamic_cast<const CLI::RequiredError*>(&error) != nullptr ||
                          dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr;
  if (no_command && Innermost(app).get_require_subcommand_min() > 0) {
    const auto extras = app.remaining(true);
    if (extras.empty()) {
      message = "no command given";
    } else if (extras.front().starts_with("-")) {
      message = fmt::format("unknown option \"{}\"", extras.front());
    } else {
      message = fmt::format("unknown command \"{}\"", extras.front());
    }
  }
  WriteErr(
      fmt::format("contentstore: {} (run '{} --help' for usage)\n", message, CommandPath(app)));
  return 2;
}

int Run(int argc, char** argv) {
  CLI::App app("Content-addressed blobs with a SQLite catalog.", "contentstore");
  app.set_version_flag("--version", CONTENTSTORE_VERSION);
  app.require_subcommand(1);
  // Subcommands created after this pass options they do not know (--root) to
  // the app, so global options work before or after the command name.
  app.fallthrough();
  GlobalOptions globals;
  globals.root_option =
      app.add_option("--root", globals.root, "Store directory (see below)")->type_name("DIR");
  app.add_option("--blobs", globals.blobs,
                 "Keep blob bytes in an S3 bucket: s3://BUCKET[/PREFIX]?endpoint=URL[&region=R] "
                 "(credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); "
                 "a store remembers it after its first use")
      ->envname("CONTENTSTORE_BLOBS")
      ->type_name("URL");
  app.add_option("--blob-cache", globals.blob_cache_bytes,
                 "With blobs in a bucket: bytes of local read cache under ROOT/cache "
                 "(e.g. 512MiB; default none)")
      ->transform(CLI::AsSizeValue(false))
      ->type_name("SIZE");
  app.add_option("--catalog", globals.catalog,
                 "Keep the catalog in PostgreSQL at this URL instead of ROOT/catalog.db")
      ->type_name("postgresql://...");

  Commands commands;
  AddTransferCommands(app, globals, commands);
  AddBlobCommands(app, globals, commands);
  AddIngestCommands(app, globals, commands);
  AddLeaseCommands(app, globals, commands);
  AddImageCommands(app, globals, commands);
  AddGcCommands(app, globals, commands);
  AddOciCommands(app, globals, commands);
#ifdef CONTENTSTORE_HAVE_SERVER
  AddServeCommand(app, globals, commands);
#endif

  // After the subcommands, which would otherwise repeat it in their help.
  app.footer(std::string(kFooter));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version arrive as "errors" with exit code 0.
    if (error.get_exit_code() == 0) return app.exit(error);
    return UsageError(app, error);
  }
  int code = 1;
  for (const Command& command : commands) {
    if (command.app->parsed()) {
      code = command.run();
      break;
    }
  }
  if (Status s = FlushOut(); !s.ok()) {
    const int flush_code = Report("writing output", s);
    if (code == 0) code = flush_code;
  }
  return code;
}

}  // namespace
}  // namespace contentstore::cli

int main(int argc, char** argv) {
  // A reader that stops early (`contentstore get D | head -c1`) must show up
  // as EPIPE from write(), handled quietly, not as a SIGPIPE death mid-write.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return contentstore::cli::Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "contentstore: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "contentstore: internal error: unknown exception\n");
  }
  return 1;
}
