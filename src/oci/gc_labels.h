// The containerd.io/gc.ref.content.* labels that make a parent keep its
// children through the collector, as containerd's image handlers write them:
//   index     containerd.io/gc.ref.content.m.<i>       its manifests[i]
//   manifest  containerd.io/gc.ref.content.config      its config
//             containerd.io/gc.ref.content.l.<i>       its layers[i] (blobs[i])
//   subject   containerd.io/gc.ref.content.referrer.<alg>.<hex[:12]>
//                                                      a manifest whose subject it is
//   referrer  containerd.io/gc.ref.content.subject     its subject
// containerd 2.x (core/images ChildGCLabels) labels the subject with its
// referrers, so keeping an image keeps its signatures and SBOMs; the
// referrer's own link back to its subject is ours, so a referrer kept by name
// keeps what it describes. Cycles are fine for the collector.
//
// Thread-safety: pure functions.

#ifndef CONTENTSTORE_SRC_OCI_GC_LABELS_H_
#define CONTENTSTORE_SRC_OCI_GC_LABELS_H_

#include <string>

#include "contentstore/digest.h"
#include "contentstore/types.h"
#include "oci/walk.h"

namespace contentstore::oci {

inline constexpr char kContentRefPrefix[] = "containerd.io/gc.ref.content.";
inline constexpr char kReferrerLabelPrefix[] = "containerd.io/gc.ref.content.referrer.";
inline constexpr char kSubjectLabel[] = "containerd.io/gc.ref.content.subject";

// The labels `node` needs for its children (none for a leaf). Children that
// were absent (skipped non-distributable layers) get none.
Labels ChildLabels(const Node& node, const Graph& graph);

// The label a subject gets for one of its referrers.
std::string ReferrerLabelKey(const Digest& referrer);

}  // namespace contentstore::oci

#endif  // CONTENTSTORE_SRC_OCI_GC_LABELS_H_
