// Which of a layout's index.json entries an import names, and how:
//   oci:DIR           every entry with an org.opencontainers.image.ref.name,
//                     named by it (two entries with one name: InvalidArgument)
//   oci:DIR --name N  the layout's only entry, named N
//   oci:DIR:TAG       the entry whose ref name is TAG, named TAG (or N)
// Entries left unnamed are kept aside: an import brings those that are
// referrers (image-spec 1.1 `subject`) of what it imports.
//
// Thread-safety: pure function.

#ifndef CONTENTSTORE_SRC_OCI_SELECT_H_
#define CONTENTSTORE_SRC_OCI_SELECT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "contentstore/status.h"
#include "oci/descriptor.h"

namespace contentstore::oci {

struct Selection {
  std::vector<std::pair<std::string, OciDescriptor>> images;  // name, target
  std::vector<OciDescriptor> unnamed;  // the other entries without a ref name
};

// NotFound when TAG names no entry (the message lists the names there are);
// InvalidArgument for an ambiguous choice, a layout that names nothing, or a
// name or target media type the store would refuse (checked here, before
// anything is copied, with the store's own rules in contentstore/validate.h).
Result<Selection> SelectImages(const std::vector<OciDescriptor>& entries,
                               const std::optional<std::string>& tag,
                               const std::optional<std::string>& name);

}  // namespace contentstore::oci

#endif  // CONTENTSTORE_SRC_OCI_SELECT_H_
