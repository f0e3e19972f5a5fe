// Named images: a name that points at a manifest or an index (its target
// descriptor), like containerd's image store. A name is a GC root: the
// collector keeps its target and, through the target's containerd.io/gc.ref.*
// labels, everything the image needs. The store root lists every name in
// ROOT/index.json, so OCI tools can read the store as an image layout.
//
// Thread-safety: plain values.

#ifndef CONTENTSTORE_IMAGE_H_
#define CONTENTSTORE_IMAGE_H_

#include <cstdint>
#include <string>

#include "contentstore/digest.h"
#include "contentstore/types.h"

namespace contentstore {

// An OCI content descriptor, as far as the catalog keeps one.
struct Descriptor {
  std::string media_type;
  Digest digest = Digest::OfEmpty();
  int64_t size = 0;

  friend bool operator==(const Descriptor&, const Descriptor&) = default;
};

struct Image {
  // 1 to 4096 bytes of UTF-8 without control characters; conventionally a
  // reference such as "docker.io/library/alpine:3.19" or a bare tag.
  std::string name;
  Descriptor target;
  Labels labels;
  Timestamp created_at{};  // set by the store
  Timestamp updated_at{};  // set by the store
};

}  // namespace contentstore

#endif  // CONTENTSTORE_IMAGE_H_
