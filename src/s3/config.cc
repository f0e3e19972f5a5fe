#include "s3/config.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <optional>

#include "s3/uri.h"
#include "util/text.h"

namespace contentstore::s3 {

namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool IsHostChar(char c) {
  return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_';
}

std::string Quoted(std::string_view text) { return "\"" + Printable(text) + "\""; }

// The URL without its query: parameter values are not echoed, in case
// someone put a secret there.
Status BadUrl(std::string_view url, std::string_view why) {
  return Status::InvalidArgument("S3 URL " + Quoted(url.substr(0, url.find('?'))) + ": " +
                                 std::string(why) +
                                 " (expected s3://BUCKET[/PREFIX]?endpoint=URL[&region=REGION])");
}

// S3's bucket naming rules, the subset every server accepts.
std::string BucketNameProblem(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return "a bucket name has 3 to 63 characters";
  for (char c : bucket) {
    if (!IsLowerAlnum(c) && c != '.' && c != '-') {
      return "a bucket name has only lowercase letters, digits, '.' and '-'";
    }
  }
  if (!IsLowerAlnum(bucket.front()) || !IsLowerAlnum(bucket.back())) {
    return "a bucket name starts and ends with a letter or digit";
  }
  if (bucket.find("..") != std::string_view::npos) return "a bucket name has no \"..\"";
  return "";
}

std::string PrefixProblem(std::string_view prefix) {
  if (!IsValidUtf8(prefix)) return "the prefix is not valid UTF-8";
  for (char c : prefix) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return "the prefix has a control character";
    }
  }
  if (prefix.find("//") != std::string_view::npos)
    return "the prefix has an empty segment (\"//\")";
  if (prefix.size() > 512) return "the prefix is longer than 512 bytes";
  return "";
}

}  // namespace

Result<Credentials> Credentials::FromEnvironment() {
  Credentials c;
  const char* id = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  const char* token = std::getenv("AWS_SESSION_TOKEN");
  if (id == nullptr || *id == '\0') {
    return Status::InvalidArgument("S3 credentials: AWS_ACCESS_KEY_ID is not set");
  }
  if (secret == nullptr || *secret == '\0') {
    return Status::InvalidArgument("S3 credentials: AWS_SECRET_ACCESS_KEY is not set");
  }
  c.access_key_id = id;
  c.secret_access_key = secret;
  if (token != nullptr) c.session_token = token;
  return c;
}

std::chrono::milliseconds RetryPolicy::BackoffCap(int retry) const {
  auto cap = initial_backoff;
  for (int i = 1; i < retry && cap < max_backoff; ++i) cap *= 2;
  return std::min(cap, max_backoff);
}

Result<std::string> NormalizeEndpoint(std::string_view endpoint) {
  auto bad = [&](std::string_view why) {
    // User info (user:password@) is never echoed.
    std::string shown(endpoint);
    if (size_t at = shown.find('@'), start = shown.find("://");
        at != std::string::npos && start != std::string::npos && start < at) {
      shown.replace(start + 3, at - start - 3, "...");
    }
    return Status::InvalidArgument("S3 endpoint " + Quoted(shown) + ": " + std::string(why) +
                                   " (expected http://HOST[:PORT] or https://HOST[:PORT])");
  };
  std::string_view rest;
  if (endpoint.starts_with("http://")) {
    rest = endpoint.substr(7);
  } else if (endpoint.starts_with("https://")) {
    rest = endpoint.substr(8);
  } else {
    return bad("the scheme must be http or https");
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find('@') != std::string_view::npos) {
    return bad("user info is not allowed (credentials never go in URLs)");
  }
  if (rest.find_first_of("/?#") != std::string_view::npos) {
    return bad("a path, query or fragment is not allowed (requests are path-style)");
  }
  std::string_view host = rest;
  std::optional<std::string_view> port;  // set when a ':' introduces one
  if (host.starts_with('[')) {           // [IPv6]
    size_t close = host.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    std::string_view after = host.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return bad("junk after the IPv6 address");
    if (!after.empty()) port = after.substr(1);
    host = host.substr(0, close + 1);
  } else {
    if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
    if (host.empty()) return bad("no host");
    if (!std::all_of(host.begin(), host.end(), IsHostChar))
      return bad("the host has a bad character");
  }
  if (port) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), value);
    if (port->empty() || ec != std::errc() || end != port->data() + port->size() || value == 0 ||
        value > 65535) {
      return bad("the port must be a number from 1 to 65535");
    }
  }
  return std::string(endpoint.substr(0, endpoint.size() - (endpoint.ends_with('/') ? 1 : 0)));
}

Result<BucketUrl> ParseBucketUrl(std::string_view url) {
  if (!url.starts_with("s3://")) return BadUrl(url, "it must start with s3://");
  if (url.find('#') != std::string_view::npos) return BadUrl(url, "a fragment (#) is not allowed");
  std::string_view rest = url.substr(5);
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  BucketUrl out;
  size_t slash = rest.find('/');
  std::string_view bucket = rest.substr(0, slash);
  if (bucket.empty()) return BadUrl(url, "no bucket");
  if (std::string why = BucketNameProblem(bucket); !why.empty()) return BadUrl(url, why);
  out.bucket = bucket;
  if (slash != std::string_view::npos) {
    std::string_view prefix = rest.substr(slash + 1);
    if (prefix.ends_with('/')) prefix.remove_suffix(1);
    if (std::string why = PrefixProblem(prefix); !why.empty()) return BadUrl(url, why);
    if (prefix.starts_with('/')) return BadUrl(url, "the prefix has an empty segment (\"//\")");
    if (!prefix.empty()) out.prefix = std::string(prefix) + "/";
  }

  bool have_endpoint = false, have_region = false;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (param.empty()) continue;
    size_t eq = param.find('=');
    std::string_view name = param.substr(0, eq);
    std::optional<std::string> value =
        eq == std::string_view::npos ? std::nullopt : UriDecode(param.substr(eq + 1));
    if (name != "endpoint" && name != "region") {
      return BadUrl(url, "unknown parameter " + Quoted(name) + " (known: endpoint, region)");
    }
    if (!value) return BadUrl(url, "parameter " + std::string(name) + " has a malformed value");
    if (value->empty()) return BadUrl(url, "parameter " + std::string(name) + " is empty");
    bool& seen = name == "endpoint" ? have_endpoint : have_region;
    if (seen) return BadUrl(url, "parameter " + std::string(name) + " is given twice");
    seen = true;
    if (name == "endpoint") {
      auto endpoint = NormalizeEndpoint(*value);
      if (!endpoint.ok()) return endpoint.status();
      out.endpoint = std::move(*endpoint);
    } else {
      if (!std::all_of(value->begin(), value->end(), [](char c) {
            return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
          })) {
        return BadUrl(url, "the region has only letters, digits, '-' and '_'");
      }
      out.region = std::move(*value);
    }
  }
  if (!have_endpoint) return BadUrl(url, "endpoint=URL is required");
  if (!have_region) out.region = "us-east-1";
  return out;
}

}  // namespace contentstore::s3
