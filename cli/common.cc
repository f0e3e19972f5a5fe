// Shared plumbing of the commands (see common.h).

#include "common.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include "contentstore/validate.h"
#include "exit_code.h"
#include "output.h"
#include "root.h"
#include "streams.h"

namespace contentstore::cli {
namespace {

// Whether `root` holds a catalog, checked before Store::Open because, given an
// existing directory without one, Open creates blobs/ and ingest/ in it before
// it finds the catalog missing. A root that is not a directory counts as
// there: Open then says what is wrong with it (InvalidArgument).
bool StoreExists(const std::string& root) {
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) return false;
  return !S_ISDIR(st.st_mode) || ::stat((root + "/catalog.db").c_str(), &st) == 0;
}

Status NoStore(const std::string& root) {
  return Status::NotFound(fmt::format("no store at {}", Escaped(root)));
}

}  // namespace

std::optional<std::string> GlobalOptions::root_flag() const {
  if (root_option == nullptr || root_option->count() == 0) return std::nullopt;
  return root;
}

Result<std::unique_ptr<Store>> OpenStore(const GlobalOptions& globals, Access access) {
  auto root = ResolveRoot(globals.root_flag());
  if (!root.ok()) return root.status();
  Options options;
  options.blobs = globals.blobs;
  options.blob_cache_bytes = globals.blob_cache_bytes;
  options.catalog_url = globals.catalog;
  if (access == Access::kRead) {
    if (options.catalog_url.empty() && !StoreExists(*root)) return NoStore(*root);
    options.create_if_missing = false;  // in case it goes away meanwhile
    options.read_only = true;
  }
  auto store = Store::Open(*root, options);
  if (!store.ok() && store.status().IsNotFound()) return NoStore(*root);
  if (!store.ok()) return store.status().WithContext(fmt::format("opening the store at {}", *root));
  if (access == Access::kRead) {
    auto pending = (*store)->pending_recovery();
    if (pending.ok() && !pending->empty()) {
      std::string what;
      for (const std::string& p : *pending) what += (what.empty() ? "" : "; ") + p;
      WriteErr(fmt::format(
          "contentstore: note: recovery is pending ({}); a command that writes will finish it\n",
          what));
    }
  }
  return store;
}

int Report(std::string_view what, const Status& status) {
  if (IsClosedByReader(status)) return 0;
  WriteErr(fmt::format("contentstore: {}: {}\n", what, status.message()));
  const int code = ExitCode(status.code());
  return code != 0 ? code : 1;  // a caller that reports an OK status still failed
}

Status ParseLabelArg(std::string_view arg, Labels& labels) {
  const size_t eq = arg.find('=');
  if (eq == std::string_view::npos) {
    return Status::InvalidArgument(
        fmt::format("label \"{}\" has no \"=\": write KEY=VALUE to set a label, KEY= to remove one",
                    Escaped(arg)));
  }
  if (eq == 0) {
    return Status::InvalidArgument(fmt::format("label \"{}\" has an empty key", Escaped(arg)));
  }
  labels[std::string(arg.substr(0, eq))] = std::string(arg.substr(eq + 1));
  return Status::OK();
}

Status ParseLabelArgs(const std::vector<std::string>& args, Labels& labels) {
  for (const std::string& arg : args) {
    if (Status s = ParseLabelArg(arg, labels); !s.ok()) return s;
  }
  return ValidateLabels(labels);
}

Timestamp Now() {
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
}

}  // namespace contentstore::cli
