// Store root resolution: flag, then environment, then the user's home (see
// root.h for the order and why).

#include "root.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace contentstore::cli {
namespace {

// The variable's value, or nothing when it is unset or empty.
std::optional<std::string> Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// $HOME, else the password database: a service started without HOME still
// finds its account's store.
std::optional<std::string> HomeDir() {
  if (auto home = Env("HOME")) return home;
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<size_t>(size) : 16384);
  struct passwd pw {};
  struct passwd* found = nullptr;
  if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
      found->pw_dir != nullptr && found->pw_dir[0] != '\0') {
    return std::string(found->pw_dir);
  }
  return std::nullopt;
}

}  // namespace

Result<std::string> ResolveRoot(const std::optional<std::string>& flag) {
  if (flag) {
    if (flag->empty()) return Status::InvalidArgument("--root must not be empty");
    return *flag;
  }
  if (auto root = Env("CONTENTSTORE_ROOT")) return *root;
  if (auto data = Env("XDG_DATA_HOME"); data && data->front() == '/') {
    return *data + "/contentstore";
  }
  if (auto home = HomeDir()) return *home + "/.local/share/contentstore";
  return Status::InvalidArgument(
      "no store root: pass --root or set CONTENTSTORE_ROOT, XDG_DATA_HOME or HOME");
}

}  // namespace contentstore::cli
