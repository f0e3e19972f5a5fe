#include "s3/errors.h"

#include "util/text.h"

namespace contentstore::s3 {

namespace {

// A standard reason when the server gave no code (HEAD has no body).
std::string_view DefaultCode(long http_status) {
  switch (http_status) {
    case 400:
      return "BadRequest";
    case 403:
      return "AccessDenied";
    case 404:
      return "NotFound";
    case 409:
      return "Conflict";
    case 412:
      return "PreconditionFailed";
    case 416:
      return "InvalidRange";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 501:
      return "NotImplemented";
    case 503:
      return "ServiceUnavailable";
    default:
      return "";
  }
}

Code CodeFor(const S3Error& e, std::string_view code, Conditional conditional) {
  if (code == "NoSuchKey" || code == "NoSuchUpload" || code == "NoSuchBucket" ||
      e.http_status == 404) {
    return Code::kNotFound;
  }
  if (code == "PreconditionFailed" || e.http_status == 412) {
    return conditional == Conditional::kIfNoneMatch ? Code::kAlreadyExists
                                                    : Code::kFailedPrecondition;
  }
  if (code == "BucketAlreadyExists" || code == "BucketAlreadyOwnedByYou")
    return Code::kAlreadyExists;
  if (code == "EntityTooSmall" || code == "InvalidPart" || code == "InvalidPartOrder" ||
      code == "BucketNotEmpty") {
    return Code::kFailedPrecondition;
  }
  if (code == "XAmzContentSHA256Mismatch" || code == "BadDigest") return Code::kIOError;
  if (e.http_status == 403) return Code::kIOError;
  if (e.http_status == 400 || e.http_status == 411 || e.http_status == 416) {
    return Code::kInvalidArgument;
  }
  return Code::kIOError;
}

}  // namespace

Status StatusFromS3Error(std::string_view what, const S3Error& e, Conditional conditional) {
  std::string_view code = e.code.empty() ? DefaultCode(e.http_status) : e.code;
  std::string msg = "S3 " + Printable(what) + ": HTTP " + std::to_string(e.http_status);
  if (!code.empty()) msg += " " + Printable(code);
  if (e.http_status == 403) {
    msg += ": access denied (check the credentials, the region and the clock)";
  } else if (code == "XAmzContentSHA256Mismatch" || code == "BadDigest") {
    msg += ": the body was damaged on the way";
  } else if (e.http_status >= 300 && e.http_status < 400) {
    msg += ": redirected (wrong endpoint or region?)";
  } else if (code == "EntityTooSmall") {
    msg += ": a part other than the last is smaller than the server's minimum (5 MiB)";
  } else if (code == "InvalidPart") {
    msg += ": a part is missing or its ETag does not match";
  }
  if (!e.message.empty()) msg += ": " + Printable(e.message);
  if (!e.request_id.empty()) msg += " [request " + Printable(e.request_id) + "]";
  return Status(CodeFor(e, code, conditional), std::move(msg));
}

bool IsRetryable(const S3Error& e) {
  switch (e.http_status) {
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      break;
  }
  return e.code == "RequestTimeout" || e.code == "OperationAborted" || e.code == "SlowDown" ||
         e.code == "InternalError" || e.code == "ServiceUnavailable";
}

bool MayHaveTakenEffect(const S3Error& e) {
  // A throttled request was turned away before any work.
  if (e.http_status == 429 || e.code == "SlowDown") return false;
  return e.http_status >= 500 || e.code == "InternalError";
}

}  // namespace contentstore::s3
