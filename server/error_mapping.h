// How contentstore's errors travel over gRPC: the one place a Status becomes
// a grpc::Status.
//
// The codes are the ones containerd's errdefs/grpc.go gives its error
// classes, so containerd's client (errdefs.FromGRPC) turns them back into
// the same errdefs errors it gets from its own content store:
//
//   InvalidArgument    -> INVALID_ARGUMENT      NotFound  -> NOT_FOUND
//   AlreadyExists      -> ALREADY_EXISTS        Unavailable -> UNAVAILABLE
//   FailedPrecondition -> FAILED_PRECONDITION (also: a write to a store
//                         opened with Options::read_only)
//   DataLoss           -> DATA_LOSS   (stored bytes are damaged)
//   IOError, Internal  -> INTERNAL    (the OS refused, or a bug)
//   IOError of a full disk or quota -> RESOURCE_EXHAUSTED
//
// A full disk is the IOError whose message says "No space left on device",
// as the library promises for ENOSPC, EDQUOT and SQLITE_FULL (env.h). It
// is RESOURCE_EXHAUSTED, gRPC's code for "out of space", so a client or an
// operator can tell it from a fault: space can be freed (Delete and Abort
// still work, the store keeps a reserve for them) and the ingest resumed.
//
// DataLoss and IOError never become UNAVAILABLE: clients retry UNAVAILABLE
// (containerd's OpenWriter loops on it), and retrying a damaged blob or a
// full disk only hides the problem. containerd 1.6's client reads
// DATA_LOSS, INTERNAL and RESOURCE_EXHAUSTED as ErrUnknown (containerd's
// own server answers UNKNOWN for all three); later errdefs read
// RESOURCE_EXHAUSTED as ErrResourceExhausted. Offsets that do not fit are
// OUT_OF_RANGE, as containerd's content server answers them; that code has
// no contentstore::Code, hence OutOfRange() here.
//
// Read-only stores answer FAILED_PRECONDITION, not PERMISSION_DENIED: the
// library says FailedPrecondition, and containerd 1.6's errdefs.FromGRPC
// knows FAILED_PRECONDITION (ErrFailedPrecondition, never retried) but
// reads PERMISSION_DENIED as ErrUnknown.
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

// OK stays OK. Unlike ToGrpcCode, it tells a full disk from other IOErrors.
grpc::Status ToGrpc(const Status& status);

grpc::Status OutOfRange(std::string message);

}  // namespace contentstore::server

#endif  // CONTENTSTORE_SERVER_ERROR_MAPPING_H_
