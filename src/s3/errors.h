// Where S3's errors become contentstore Statuses: one table from (HTTP
// status, S3 error code) to a Code, and which errors are worth retrying.
//
//   NotFound            404, NoSuchKey, NoSuchUpload, NoSuchBucket
//   AlreadyExists       412 PreconditionFailed on a call that sent
//                       If-None-Match: * (the key exists); 409
//                       BucketAlreadyExists, BucketAlreadyOwnedByYou
//   FailedPrecondition  412 otherwise (an If-Match failed); EntityTooSmall,
//                       InvalidPart, InvalidPartOrder (the upload's parts do
//                       not allow completing it as asked: the caller must
//                       change the parts, not resend); BucketNotEmpty
//   InvalidArgument     other 400s (InvalidArgument, InvalidRequest,
//                       MalformedXML, KeyTooLongError, InvalidBucketName,
//                       ...), 416 InvalidRange, 411
//   IOError             403 ("access denied", with S3's code, e.g.
//                       SignatureDoesNotMatch, InvalidAccessKeyId);
//                       XAmzContentSHA256Mismatch and BadDigest (the body
//                       was damaged on the way); 3xx redirects; 501; the rest
//   retried             429, 500, 502, 503, 504, 400 RequestTimeout,
//                       409 OperationAborted; Unavailable once the retries
//                       run out (the client adds that)
//
// Messages name the call and the server's code and text, never the request's
// headers: credentials cannot leak through them.
//
// Thread-safety: pure functions.

#ifndef CONTENTSTORE_SRC_S3_ERRORS_H_
#define CONTENTSTORE_SRC_S3_ERRORS_H_

#include <string>
#include <string_view>

#include "contentstore/status.h"

namespace contentstore::s3 {

// What the server answered when it refused.
struct S3Error {
  long http_status = 0;
  std::string code;        // "NoSuchKey"; empty when there was no body (HEAD)
  std::string message;     // may be empty (RGW sends none)
  std::string request_id;  // for the server's logs
};

// Whether the call sent If-None-Match: *, which turns a 412 into AlreadyExists.
enum class Conditional { kNone, kIfNoneMatch };

// The Status for `error` answering the call `what` (e.g. "PUT bucket/key").
Status StatusFromS3Error(std::string_view what, const S3Error& error, Conditional conditional);

// True when sending the same request again may succeed.
bool IsRetryable(const S3Error& error);

// True when a server answering this error may still have carried out the
// request (a 5xx after the work was done, or before): a retry's answer must
// then be read with that in mind.
bool MayHaveTakenEffect(const S3Error& error);

}  // namespace contentstore::s3

#endif  // CONTENTSTORE_SRC_S3_ERRORS_H_
