// contentstore::Code to gRPC codes (see error_mapping.h).

#include "error_mapping.h"

#include <string>
#include <string_view>

namespace contentstore::server {
namespace {

// strerror(ENOSPC), which the library puts in every disk-full message
// (contentstore/env.h).
constexpr std::string_view kNoSpaceText = "No space left on device";

// The IOError of a full disk or quota.
bool IsNoSpace(const Status& status) {
  return status.IsIOError() && status.message().find(kNoSpaceText) != std::string::npos;
}

}  // namespace

grpc::StatusCode ToGrpcCode(Code code) {
  switch (code) {
    case Code::kOk:
      return grpc::StatusCode::OK;
    case Code::kInvalidArgument:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case Code::kNotFound:
      return grpc::StatusCode::NOT_FOUND;
    case Code::kAlreadyExists:
      return grpc::StatusCode::ALREADY_EXISTS;
    case Code::kUnavailable:
      return grpc::StatusCode::UNAVAILABLE;
    case Code::kFailedPrecondition:
      return grpc::StatusCode::FAILED_PRECONDITION;
    case Code::kDataLoss:
      return grpc::StatusCode::DATA_LOSS;
    case Code::kIOError:
    case Code::kInternal:
      return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::INTERNAL;
}

grpc::Status ToGrpc(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  if (IsNoSpace(status)) return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, status.message());
  return grpc::Status(ToGrpcCode(status.code()), status.message());
}

grpc::Status OutOfRange(std::string message) {
  return grpc::Status(grpc::StatusCode::OUT_OF_RANGE, std::move(message));
}

}  // namespace contentstore::server
