// How contentstore's errors travel over gRPC: the one place a Status becomes
// a grpc::Status.
//
// The codes are the ones containerd's errdefs/grpc.go gives its error
// classes, so containerd's client (errdefs.FromGRPC) turns them back into
// the same errdefs errors it gets from its own content store:
//
//   InvalidArgument    -> INVALID_ARGUMENT      NotFound  -> NOT_FOUND
//   AlreadyExists      -> ALREADY_EXISTS        Unavailable -> UNAVAILABLE
//   FailedPrecondition -> FAILED_PRECONDITION
//   DataLoss           -> DATA_LOSS   (stored bytes are damaged)
//   IOError, Internal  -> INTERNAL    (the OS refused, or a bug)
//
// DataLoss and IOError never become UNAVAILABLE: clients retry UNAVAILABLE
// (containerd's OpenWriter loops on it), and retrying a damaged blob or a
// full disk only hides the problem. containerd's client reads both as
// ErrUnknown. Offsets that do not fit are OUT_OF_RANGE, as containerd's
// content server answers them; that code has no contentstore::Code, hence
// OutOfRange() here.
//
// Messages are the library's, unchanged: they name the digest or ref.
//
// Thread-safety: pure functions.

#ifndef CONTENTSTORE_SERVER_ERROR_MAPPING_H_
#define CONTENTSTORE_SERVER_ERROR_MAPPING_H_

#include <grpcpp/support/status.h>

#include <string>

#include "contentstore/status.h"

namespace contentstore::server {

grpc::StatusCode ToGrpcCode(Code code);

// OK stays OK.
grpc::Status ToGrpc(const Status& status);

grpc::Status OutOfRange(std::string message);

}  // namespace contentstore::server

#endif  // CONTENTSTORE_SERVER_ERROR_MAPPING_H_
