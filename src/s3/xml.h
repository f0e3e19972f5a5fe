// S3's XML: the response documents the client reads and the one request
// document it writes (CompleteMultipartUpload), with pugixml.
//
// Why pugixml rather than libxml2: S3 documents are small, flat and read
// whole, which is what a DOM parser is for; pugixml is a C++ library with
// RAII documents, no global initialization or thread-local state to manage
// (libxml2 wants xmlInitParser() before threads start and xmlCleanupParser()
// at the right moment) and no namespace handling to work around (S3 puts
// everything in a default namespace, which pugixml leaves out of names). It
// parses in place, escapes on output, and is packaged (libpugixml-dev, with
// a CMake config). libxml2's extras (XPath, validation, streaming) are not
// needed here.
//
// A document that is not XML or lacks a required element is IOError
// ("malformed S3 response"), never a crash. Keys in listings requested with
// encoding-type=url are decoded when the response says it is so encoded.
//
// Thread-safety: pure functions.

#ifndef CONTENTSTORE_SRC_S3_XML_H_
#define CONTENTSTORE_SRC_S3_XML_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "contentstore/status.h"
#include "s3/errors.h"
#include "s3/types.h"

namespace contentstore::s3 {

// The <Error> document of a refused request. For a failure status, an empty
// or non-XML body (HEAD has none) gives an S3Error with only the status. For
// a 2xx (CompleteMultipartUpload and CopyObject can put an <Error> in a 200),
// nullopt unless the body is an <Error> document.
std::optional<S3Error> ParseError(long http_status, std::string_view body);

Result<ListObjectsPage> ParseListObjects(std::string_view body);
// InitiateMultipartUploadResult: the upload id.
Result<std::string> ParseUploadId(std::string_view body);
Result<ListPartsPage> ParseListParts(std::string_view body);
Result<ListUploadsPage> ParseListUploads(std::string_view body);
// The <ETag> of a document whose root is `root` (CompleteMultipartUploadResult,
// CopyObjectResult, CopyPartResult), quotes stripped; empty when the element
// is missing or empty (RGW 16 answers CompleteMultipartUpload so).
Result<std::string> ParseETag(std::string_view body, std::string_view root);

// <CompleteMultipartUpload> naming `parts` (number and ETag) in order.
std::string CompleteMultipartBody(std::span<const Part> parts);

// "\"abc\"" -> "abc"; anything else unchanged.
std::string StripQuotes(std::string_view etag);

}  // namespace contentstore::s3

#endif  // CONTENTSTORE_SRC_S3_XML_H_
