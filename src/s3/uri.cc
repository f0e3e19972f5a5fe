#include "s3/uri.h"

namespace contentstore::s3 {

namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::optional<std::string> UriDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int hi = HexValue(text[i + 1]);
    int lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string QueryString::str() const {
  std::string out;
  for (const auto& [name, value] : params_) {
    if (!out.empty()) out += '&';
    out += UriEncode(name, false);
    out += '=';
    out += UriEncode(value, false);
  }
  return out;
}

std::string ObjectUrl(std::string_view endpoint, std::string_view bucket, std::string_view key,
                      const QueryString& query) {
  std::string url(endpoint);
  url += '/';
  url += UriEncode(bucket, false);
  if (!key.empty()) {
    url += '/';
    url += UriEncode(key, true);
  }
  if (!query.empty()) {
    url += '?';
    url += query.str();
  }
  return url;
}

}  // namespace contentstore::s3
