#include "oci/walk.h"

#include <fmt/format.h>

#include <set>

namespace contentstore::oci {

const Node* Graph::Find(const Digest& digest) const {
  auto it = index_.find(digest);
  return it == index_.end() ? nullptr : &nodes[it->second];
}

// Depth-first, post-order. `path_` holds the documents being visited, from a
// root down, to recognise a cycle and to say where a failure was found.
class Walker {
 public:
  Walker(Graph& graph, BlobAccess& access, const WalkLimits& limits)
      : graph_(graph), access_(access), limits_(limits) {}

  Status Visit(const OciDescriptor& descriptor) {
    if (auto it = graph_.index_.find(descriptor.digest); it != graph_.index_.end()) {
      const OciDescriptor& seen = graph_.nodes[it->second].descriptor;
      if (seen.size != descriptor.size) {
        return Failed(Status::FailedPrecondition(
            fmt::format("{} is described as {} bytes here and as {} bytes elsewhere",
                        descriptor.digest.str(), descriptor.size, seen.size)));
      }
      return Status::OK();
    }
    if (on_path_.contains(descriptor.digest)) {
      return Failed(Status::InvalidArgument(
          fmt::format("cycle: {} contains itself", descriptor.digest.str())));
    }
    if (static_cast<int>(path_.size()) >= limits_.max_depth) {
      return Failed(Status::InvalidArgument(fmt::format(
          "{} is nested more than {} levels deep", descriptor.digest.str(), limits_.max_depth)));
    }
    if (graph_.nodes.size() >= limits_.max_nodes) {
      return Failed(Status::InvalidArgument(
          fmt::format("more than {} blobs in one walk", limits_.max_nodes)));
    }

    Node node;
    node.descriptor = descriptor;
    if (Status s = access_.Ensure(descriptor); !s.ok()) {
      if (!s.IsNotFound() || !IsNonDistributable(descriptor.media_type)) return Failed(s);
      node.absent = true;
      graph_.warnings.push_back(fmt::format("skipped non-distributable layer {}: {}",
                                            descriptor.digest.str(), s.message()));
      return Add(std::move(node));
    }
    if (KindOf(descriptor.media_type) == Kind::kBlob) return Add(std::move(node));

    auto bytes = access_.ReadDocument(descriptor);
    if (!bytes.ok()) return Failed(bytes.status());
    auto document = ParseDocument(descriptor, *bytes);
    if (!document.ok()) return Failed(document.status());
    node.document = std::move(*document);

    path_.push_back(descriptor);
    on_path_.insert(descriptor.digest);
    for (const Child& child : node.document.children) {
      if (Status s = Visit(child.descriptor); !s.ok()) return s;
    }
    on_path_.erase(descriptor.digest);
    path_.pop_back();
    return Add(std::move(node));
  }

 private:
  Status Add(Node node) {
    graph_.index_[node.descriptor.digest] = graph_.nodes.size();
    graph_.nodes.push_back(std::move(node));
    return Status::OK();
  }

  // The failure, with the innermost document it was found under. Added once,
  // where the failure happens: the callers up the path return it unchanged.
  Status Failed(const Status& s) const {
    if (path_.empty()) return s;
    return s.WithContext(fmt::format("in {}", path_.back().digest.str()));
  }

  Graph& graph_;
  BlobAccess& access_;
  WalkLimits limits_;
  std::vector<OciDescriptor> path_;
  std::set<Digest> on_path_;
};

Status WalkInto(Graph& graph, const std::vector<OciDescriptor>& roots, BlobAccess& access,
                const WalkLimits& limits) {
  Walker walker(graph, access, limits);
  for (const OciDescriptor& root : roots) {
    if (Status s = walker.Visit(root); !s.ok()) return s;
  }
  return Status::OK();
}

Result<Graph> Walk(const std::vector<OciDescriptor>& roots, BlobAccess& access,
                   const WalkLimits& limits) {
  Graph graph;
  if (Status s = WalkInto(graph, roots, access, limits); !s.ok()) return s;
  return graph;
}

}  // namespace contentstore::oci
