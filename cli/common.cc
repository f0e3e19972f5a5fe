// Shared plumbing of the commands (see common.h).

#include "common.h"

#include <fmt/format.h>

#include "output.h"
#include "root.h"
#include "streams.h"

namespace contentstore::cli {

std::optional<std::string> GlobalOptions::root_flag() const {
  if (root_option == nullptr || root_option->count() == 0) return std::nullopt;
  return root;
}

Result<std::unique_ptr<Store>> OpenStore(const GlobalOptions& globals) {
  auto root = ResolveRoot(globals.root_flag());
  if (!root.ok()) return root.status();
  auto store = Store::Open(*root);
  if (!store.ok()) return store.status().WithContext(fmt::format("opening the store at {}", *root));
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

Timestamp Now() {
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
}

}  // namespace contentstore::cli
