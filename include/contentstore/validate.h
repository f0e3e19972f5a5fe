// The checks the store applies to refs, labels and lease ids, for callers
// that want to refuse bad input before doing expensive work (streaming a blob
// only to have commit() refuse its labels). Each returns InvalidArgument with
// a message that quotes the input (made printable) and says what is wrong.
//
// Thread-safety: pure functions.

#ifndef CONTENTSTORE_VALIDATE_H_
#define CONTENTSTORE_VALIDATE_H_

#include <cstdint>
#include <string_view>

#include "contentstore/status.h"
#include "contentstore/types.h"

namespace contentstore {

inline constexpr size_t kMaxRefBytes = 1024;
inline constexpr size_t kMaxLabelBytes = 4096;  // key + value, as containerd
inline constexpr size_t kMaxImageNameBytes = 4096;
inline constexpr size_t kMaxMediaTypeBytes = 255;

// Non-empty, at most 1024 bytes, UTF-8, no control characters.
Status ValidateRef(std::string_view ref);

// Lease ids: 1 to 256 bytes of UTF-8 without control characters.
Status ValidateLeaseId(std::string_view id);

// Key non-empty; key and value together at most 4096 bytes; both UTF-8
// without NUL. An empty value is allowed here: it means "delete".
Status ValidateLabel(std::string_view key, std::string_view value);
Status ValidateLabels(const Labels& labels);

// Image names: 1 to 4096 bytes of UTF-8 without control characters (C0, DEL
// or C1).
Status ValidateImageName(std::string_view name);
// Media types: "type/subtype" as RFC 6838 restricts them (each part 1 to 127
// of A-Z a-z 0-9 ! # $ & - ^ _ . +, starting with a letter or digit), at most
// 255 bytes, without parameters.
Status ValidateMediaType(std::string_view media_type);

}  // namespace contentstore

#endif  // CONTENTSTORE_VALIDATE_H_
