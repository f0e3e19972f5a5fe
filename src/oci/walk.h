// The descriptor graph walk that import and export share: from root
// descriptors down through nested indexes and manifests to configs and
// layers, each digest once, with cycle, depth and size checks. Where the
// bytes come from is the caller's (BlobAccess): an import makes each blob
// present in the store before the walk reads it, an export finds it there.
//
// Thread-safety: a walk runs on the caller's thread; BlobAccess is called
// from it only.

#ifndef CONTENTSTORE_SRC_OCI_WALK_H_
#define CONTENTSTORE_SRC_OCI_WALK_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "contentstore/digest.h"
#include "contentstore/status.h"
#include "oci/descriptor.h"

namespace contentstore::oci {

class BlobAccess {
 public:
  BlobAccess() = default;
  BlobAccess(const BlobAccess&) = delete;
  BlobAccess& operator=(const BlobAccess&) = delete;
  virtual ~BlobAccess() = default;

  // Makes the blob `descriptor` names available with exactly its digest and
  // size. NotFound when it is nowhere to be had; FailedPrecondition when
  // what is there has another size or digest.
  virtual Status Ensure(const OciDescriptor& descriptor) = 0;
  // The bytes of an index or manifest that Ensure made available.
  // REQUIRES: descriptor.size <= kMaxDocumentBytes.
  virtual Result<std::string> ReadDocument(const OciDescriptor& descriptor) = 0;
};

struct Node {
  OciDescriptor descriptor;
  // Kind kBlob with no children for configs, layers and other leaves.
  Document document;
  // A non-distributable layer that was absent (Ensure said NotFound): left
  // out, never invented.
  bool absent = false;
};

struct Graph {
  // Each digest once, every node after all of its children.
  std::vector<Node> nodes;
  // One line each: what was skipped and why.
  std::vector<std::string> warnings;

  // nullptr when the digest is not in the graph.
  const Node* Find(const Digest& digest) const;

 private:
  friend class Walker;
  std::map<Digest, size_t> index_;
};

struct WalkLimits {
  // Nesting of indexes and manifests below a root. Default: 16.
  int max_depth = 16;
  // Distinct blobs in one walk. Default: 1,000,000.
  size_t max_nodes = 1'000'000;
};

// Walks every root in turn into one graph. The first failure stops the walk:
// a blob Ensure cannot provide (other than a non-distributable layer), a
// document that does not parse, a cycle, a walk deeper or larger than
// `limits`, one digest described with two sizes.
Result<Graph> Walk(const std::vector<OciDescriptor>& roots, BlobAccess& access,
                   const WalkLimits& limits = {});
// The same, adding to `graph`: what it holds already is not visited again.
Status WalkInto(Graph& graph, const std::vector<OciDescriptor>& roots, BlobAccess& access,
                const WalkLimits& limits = {});

}  // namespace contentstore::oci

#endif  // CONTENTSTORE_SRC_OCI_WALK_H_
