// Conversions between contentstore's value types and the content service's
// messages: Info, IngestStatus (containerd's Status) and times.
//
// Times keep their nanoseconds both ways (google.protobuf.Timestamp holds
// seconds and nanos). An unknown total is 0 on the wire and an unknown
// expected digest is "", as containerd sends them.
//
// Thread-safety: pure functions.

#ifndef CONTENTSTORE_SERVER_CONVERT_H_
#define CONTENTSTORE_SERVER_CONVERT_H_

#include <google/protobuf/timestamp.pb.h>

#include "containerd/services/content/v1/content.pb.h"
#include "contentstore/digest.h"
#include "contentstore/types.h"

namespace contentstore::server {

namespace api = ::containerd::services::content::v1;

void ToProto(Timestamp time, google::protobuf::Timestamp* out);
Timestamp FromProto(const google::protobuf::Timestamp& time);

void ToProto(const Info& info, api::Info* out);
void ToProto(const IngestStatus& status, api::Status* out);

}  // namespace contentstore::server

#endif  // CONTENTSTORE_SERVER_CONVERT_H_
