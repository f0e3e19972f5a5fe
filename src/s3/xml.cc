#include "s3/xml.h"

#include <charconv>
#include <cstdint>
#include <pugixml.hpp>
#include <sstream>

#include "s3/uri.h"
#include "util/text.h"

namespace contentstore::s3 {

namespace {

Status Malformed(std::string_view what) {
  return Status::IOError("malformed S3 response: " + std::string(what));
}

// Parses `body` and returns its root element, or a Malformed status.
Result<pugi::xml_node> Root(pugi::xml_document& doc, std::string_view body,
                            std::string_view expected_root) {
  pugi::xml_parse_result parsed = doc.load_buffer(body.data(), body.size());
  if (!parsed) {
    return Malformed("not XML (" + std::string(parsed.description()) + "), expected <" +
                     std::string(expected_root) + ">");
  }
  pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != expected_root) {
    return Malformed("<" + Printable(root.name()) + "> where <" + std::string(expected_root) +
                     "> was expected");
  }
  return root;
}

std::string Text(const pugi::xml_node& node, const char* child) {
  return node.child(child).text().as_string();
}

bool IsTrue(const pugi::xml_node& node, const char* child) {
  return std::string_view(node.child(child).text().as_string()) == "true";
}

template <typename Int>
std::optional<Int> ParseInt(std::string_view text) {
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Timestamp ParseTime(std::string_view text) {
  std::optional<int64_t> nanos = ParseRfc3339(text);
  return Timestamp(std::chrono::nanoseconds(nanos.value_or(0)));
}

// A key from a listing, decoded if the listing says it is url-encoded.
Result<std::string> Key(std::string text, bool url_encoded) {
  if (!url_encoded) return text;
  std::optional<std::string> decoded = UriDecode(text);
  if (!decoded) return Malformed("a url-encoded key that does not decode: " + Printable(text));
  return std::move(*decoded);
}

}  // namespace

std::string StripQuotes(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

std::optional<S3Error> ParseError(long http_status, std::string_view body) {
  S3Error error;
  error.http_status = http_status;
  pugi::xml_document doc;
  if (body.empty() || !doc.load_buffer(body.data(), body.size())) {
    // A success status without an <Error> document is a success; the
    // caller's own parse judges its body.
    if (http_status >= 200 && http_status < 300) return std::nullopt;
    return error;
  }
  pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "Error") {
    // A success document (a 200 that really succeeded), or some other XML
    // with a failure status.
    if (http_status >= 200 && http_status < 300) return std::nullopt;
    return error;
  }
  error.code = Text(root, "Code");
  error.message = Text(root, "Message");
  error.request_id = Text(root, "RequestId");
  return error;
}

Result<ListObjectsPage> ParseListObjects(std::string_view body) {
  pugi::xml_document doc;
  auto root = Root(doc, body, "ListBucketResult");
  if (!root.ok()) return root.status();
  bool url_encoded = Text(*root, "EncodingType") == "url";
  ListObjectsPage page;
  page.truncated = IsTrue(*root, "IsTruncated");
  page.next_continuation_token = Text(*root, "NextContinuationToken");
  if (page.truncated && page.next_continuation_token.empty()) {
    return Malformed("a truncated ListBucketResult without NextContinuationToken");
  }
  for (pugi::xml_node c : root->children("Contents")) {
    ObjectInfo info;
    auto key = Key(Text(c, "Key"), url_encoded);
    if (!key.ok()) return key.status();
    info.key = std::move(*key);
    auto size = ParseInt<uint64_t>(Text(c, "Size"));
    if (info.key.empty() || !size) return Malformed("a <Contents> without a key or size");
    info.size = *size;
    info.etag = StripQuotes(Text(c, "ETag"));
    info.last_modified = ParseTime(Text(c, "LastModified"));
    page.objects.push_back(std::move(info));
  }
  for (pugi::xml_node p : root->children("CommonPrefixes")) {
    auto prefix = Key(Text(p, "Prefix"), url_encoded);
    if (!prefix.ok()) return prefix.status();
    page.common_prefixes.push_back(std::move(*prefix));
  }
  return page;
}

Result<std::string> ParseUploadId(std::string_view body) {
  pugi::xml_document doc;
  auto root = Root(doc, body, "InitiateMultipartUploadResult");
  if (!root.ok()) return root.status();
  std::string id = Text(*root, "UploadId");
  if (id.empty()) return Malformed("InitiateMultipartUploadResult without UploadId");
  return id;
}

Result<ListPartsPage> ParseListParts(std::string_view body) {
  pugi::xml_document doc;
  auto root = Root(doc, body, "ListPartsResult");
  if (!root.ok()) return root.status();
  ListPartsPage page;
  page.truncated = IsTrue(*root, "IsTruncated");
  page.next_part_number_marker = ParseInt<int>(Text(*root, "NextPartNumberMarker")).value_or(0);
  for (pugi::xml_node p : root->children("Part")) {
    Part part;
    auto number = ParseInt<int>(Text(p, "PartNumber"));
    auto size = ParseInt<uint64_t>(Text(p, "Size"));
    if (!number || !size) return Malformed("a <Part> without PartNumber or Size");
    part.number = *number;
    part.size = *size;
    part.etag = StripQuotes(Text(p, "ETag"));
    page.parts.push_back(std::move(part));
  }
  if (page.truncated && page.next_part_number_marker == 0) {
    return Malformed("a truncated ListPartsResult without NextPartNumberMarker");
  }
  return page;
}

Result<ListUploadsPage> ParseListUploads(std::string_view body) {
  pugi::xml_document doc;
  auto root = Root(doc, body, "ListMultipartUploadsResult");
  if (!root.ok()) return root.status();
  bool url_encoded = Text(*root, "EncodingType") == "url";
  ListUploadsPage page;
  page.truncated = IsTrue(*root, "IsTruncated");
  auto next_key = Key(Text(*root, "NextKeyMarker"), url_encoded);
  if (!next_key.ok()) return next_key.status();
  page.next_key_marker = std::move(*next_key);
  page.next_upload_id_marker = Text(*root, "NextUploadIdMarker");
  for (pugi::xml_node u : root->children("Upload")) {
    Upload upload;
    auto key = Key(Text(u, "Key"), url_encoded);
    if (!key.ok()) return key.status();
    upload.key = std::move(*key);
    upload.upload_id = Text(u, "UploadId");
    if (upload.key.empty() || upload.upload_id.empty()) {
      return Malformed("an <Upload> without Key or UploadId");
    }
    upload.initiated = ParseTime(Text(u, "Initiated"));
    page.uploads.push_back(std::move(upload));
  }
  return page;
}

Result<std::string> ParseETag(std::string_view body, std::string_view root_name) {
  pugi::xml_document doc;
  auto root = Root(doc, body, root_name);
  if (!root.ok()) return root.status();
  return StripQuotes(Text(*root, "ETag"));
}

std::string CompleteMultipartBody(std::span<const Part> parts) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("CompleteMultipartUpload");
  root.append_attribute("xmlns") = "http://s3.amazonaws.com/doc/2006-03-01/";
  for (const Part& p : parts) {
    pugi::xml_node part = root.append_child("Part");
    part.append_child("PartNumber").text().set(p.number);
    part.append_child("ETag").text().set(("\"" + StripQuotes(p.etag) + "\"").c_str());
  }
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration);
  return out.str();
}

}  // namespace contentstore::s3
