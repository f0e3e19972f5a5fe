// Where the store lives when the command is not told: the same search order
// as other XDG-aware tools, so a user who sets nothing still gets one store
// per account, and a script can point at another with one variable.
//
//   --root DIR  >  $CONTENTSTORE_ROOT  >  $XDG_DATA_HOME/contentstore
//               >  $HOME/.local/share/contentstore
//
// Empty variables count as unset, and a relative XDG_DATA_HOME is ignored, as
// the XDG Base Directory specification asks.

#ifndef CONTENTSTORE_CLI_ROOT_H_
#define CONTENTSTORE_CLI_ROOT_H_

#include <optional>
#include <string>

#include "contentstore/status.h"

namespace contentstore::cli {

// The store root for `flag` (the --root value, if given) and the
// environment. InvalidArgument when nothing names a place (no HOME either).
Result<std::string> ResolveRoot(const std::optional<std::string>& flag);

}  // namespace contentstore::cli

#endif  // CONTENTSTORE_CLI_ROOT_H_
