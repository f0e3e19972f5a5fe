// Where an import reads and an export writes, as containers/image spells it:
// "oci:DIR[:TAG]" (an image layout directory) or "oci-archive:FILE[:TAG]" (a
// tar of one). As in containers/image, the path ends at the first ':' after
// the transport, so TAG may itself hold colons ("oci:d:example.com/a:1") and
// a path may not.
//
// Thread-safety: pure functions and values.

#ifndef CONTENTSTORE_SRC_OCI_LOCATION_H_
#define CONTENTSTORE_SRC_OCI_LOCATION_H_

#include <optional>
#include <string>
#include <string_view>

#include "contentstore/status.h"

namespace contentstore::oci {

struct Location {
  enum class Transport { kDirectory, kArchive };
  Transport transport = Transport::kDirectory;
  std::string path;
  std::optional<std::string> tag;  // the ref name to pick; unset: all

  std::string ToString() const;
};

// InvalidArgument for an unknown transport, an empty path or an empty tag
// ("oci:dir:").
Result<Location> ParseLocation(std::string_view text);

}  // namespace contentstore::oci

#endif  // CONTENTSTORE_SRC_OCI_LOCATION_H_
