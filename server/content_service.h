// ContentService: containerd's content service (containerd.services.content.v1.Content)
// over a contentstore Store: the nine methods, each a thin translation of
// its request into Store calls and of the results (or errors, see
// error_mapping.h) into its response. The Write stream's protocol lives in
// write_session.h.
//
// Threading: this is gRPC's synchronous API. Each call runs on its own
// thread from gRPC's pool, which grows with the calls in flight (up to
// ServeOptions::max_threads), and every Store call blocks that thread only:
// a client that reads or writes slowly holds its own thread and no one
// else's, and a Read never queues behind a Write's fsync because there is
// no shared work queue to queue in. (With the callback API the Store's
// blocking calls, which fsync and wait on SQLite, could not run on gRPC's
// few event threads; they would need a pool of our own, with the same
// thread per busy call and more code.) The Store is thread-safe; each Write
// stream's Writer stays on its stream's thread.
//
// Thread-safety: all methods may run concurrently.

#ifndef CONTENTSTORE_SERVER_CONTENT_SERVICE_H_
#define CONTENTSTORE_SERVER_CONTENT_SERVICE_H_

#include <chrono>

#include "containerd/services/content/v1/content.grpc.pb.h"
#include "call_gate.h"
#include "contentstore/store.h"
#include "write_streams.h"

namespace contentstore::server {

namespace api = ::containerd::services::content::v1;

struct ContentServiceOptions {
  // How long a Write stream's open, or an Abort, waits for a ref held by
  // another writer before it answers Unavailable. containerd's local store
  // retries its lock for about a second.
  std::chrono::milliseconds lock_wait{1000};
};

class ContentService final : public api::Content::Service {
 public:
  // Every call passes `gate` (refused once it closes); Write streams also
  // join `streams`.
  ContentService(Store& store, CallGate& gate, WriteStreams& streams,
                 ContentServiceOptions options);

  grpc::Status Info(grpc::ServerContext* context, const api::InfoRequest* request,
                    api::InfoResponse* response) override;
  grpc::Status Update(grpc::ServerContext* context, const api::UpdateRequest* request,
                      api::UpdateResponse* response) override;
  grpc::Status List(grpc::ServerContext* context, const api::ListContentRequest* request,
                    grpc::ServerWriter<api::ListContentResponse>* writer) override;
  grpc::Status Delete(grpc::ServerContext* context, const api::DeleteContentRequest* request,
                      google::protobuf::Empty* response) override;
  grpc::Status Read(grpc::ServerContext* context, const api::ReadContentRequest* request,
                    grpc::ServerWriter<api::ReadContentResponse>* writer) override;
  grpc::Status Status(grpc::ServerContext* context, const api::StatusRequest* request,
                      api::StatusResponse* response) override;
  grpc::Status ListStatuses(grpc::ServerContext* context, const api::ListStatusesRequest* request,
                            api::ListStatusesResponse* response) override;
  grpc::Status Write(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<api::WriteContentResponse, api::WriteContentRequest>* stream)
      override;
  grpc::Status Abort(grpc::ServerContext* context, const api::AbortRequest* request,
                     google::protobuf::Empty* response) override;

 private:
  Store& store_;
  CallGate& gate_;
  WriteStreams& streams_;
  const ContentServiceOptions options_;
};

}  // namespace contentstore::server

#endif  // CONTENTSTORE_SERVER_CONTENT_SERVICE_H_
