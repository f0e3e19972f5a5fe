// Reading blobs back from the store for the walk: whole small documents.
//
// Thread-safety: as the Store.

#ifndef CONTENTSTORE_SRC_OCI_STORE_READ_H_
#define CONTENTSTORE_SRC_OCI_STORE_READ_H_

#include <string>

#include "contentstore/status.h"
#include "contentstore/store.h"
#include "oci/descriptor.h"

namespace contentstore::oci {

// The bytes of `descriptor`'s blob. NotFound if the store lacks it;
// FailedPrecondition if its size differs from the descriptor's.
// REQUIRES: descriptor.size <= kMaxDocumentBytes.
Result<std::string> ReadStoredDocument(Store& store, const OciDescriptor& descriptor);

}  // namespace contentstore::oci

#endif  // CONTENTSTORE_SRC_OCI_STORE_READ_H_
