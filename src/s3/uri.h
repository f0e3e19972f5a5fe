// Percent-encoding as S3's SigV4 wants it, and the request URL built from it.
//
// libcurl 7.88 signs the path and query exactly as they appear in the URL,
// so the URL must already be in SigV4's canonical form: every byte but
// A-Z a-z 0-9 - _ . ~ encoded as %XX (uppercase), "/" kept in paths, query
// parameters sorted by name, each written "name=value" even when the value
// is empty ("?uploads=", not "?uploads"). QueryString keeps them sorted.
//
// Thread-safety: pure functions and plain values.

#ifndef CONTENTSTORE_SRC_S3_URI_H_
#define CONTENTSTORE_SRC_S3_URI_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace contentstore::s3 {

// Percent-encodes every byte outside A-Z a-z 0-9 - _ . ~ (and "/" when
// `keep_slash`).
std::string UriEncode(std::string_view text, bool keep_slash);

// Decodes %XX sequences ("+" stays "+"); nullopt on a malformed sequence.
std::optional<std::string> UriDecode(std::string_view text);

// Query parameters in SigV4 order.
class QueryString {
 public:
  QueryString& set(std::string name, std::string value) {
    params_[std::move(name)] = std::move(value);
    return *this;
  }
  // Optional parameters: left out when empty, or when not positive.
  QueryString& set_optional(std::string name, std::string value) {
    return value.empty() ? *this : set(std::move(name), std::move(value));
  }
  QueryString& set_optional(std::string name, int value) {
    return value <= 0 ? *this : set(std::move(name), std::to_string(value));
  }
  bool empty() const { return params_.empty(); }
  // "a=1&b=&c=x%2Fy", without the "?".
  std::string str() const;

 private:
  std::map<std::string, std::string> params_;  // byte order: SigV4's sort
};

// ENDPOINT/BUCKET[/KEY][?QUERY] with the key encoded (its "/" kept).
std::string ObjectUrl(std::string_view endpoint, std::string_view bucket, std::string_view key,
                      const QueryString& query);

}  // namespace contentstore::s3

#endif  // CONTENTSTORE_SRC_S3_URI_H_
