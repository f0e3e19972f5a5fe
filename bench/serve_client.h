// The gRPC client contentstore-serve-bench drives a content server with:
// containerd's content API (containerd.services.content.v1.Content) over a
// unix socket, used the way containerd's own proxy client uses it
// (content/proxy), so that any server speaking that API (ours, or
// containerd's own content service, the peer) gets the same calls.
//
// Thread-safety: a ServeClient is one connection; its calls may run from
// several threads at once (gRPC stubs are thread-safe), but the benchmark
// gives each concurrent client its own.

#ifndef CONTENTSTORE_BENCH_SERVE_CLIENT_H_
#define CONTENTSTORE_BENCH_SERVE_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "containerd/services/content/v1/content.grpc.pb.h"
#include "contentstore/status.h"

namespace contentstore::bench {

namespace api = ::containerd::services::content::v1;

class ServeClient {
 public:
  // A new connection to the unix socket at `socket`, with containerd's
  // 16 MiB message limits.
  explicit ServeClient(const std::string& socket);

  // One upload as containerd's client makes it: STAT (ref, size, digest),
  // then WRITE messages of what `next_chunk` returns (an empty span ends
  // the data), each answered before the next goes (lock-step), then COMMIT
  // with the size and digest. With `window` > 1 up to that many WRITEs are
  // in flight before their answers are read (the protocol allows it; each
  // carries its offset). AlreadyExists counts as success, as in
  // containerd's WriteBlob.
  Status Upload(const std::string& ref, int64_t size, const std::string& digest,
                const std::function<std::span<const std::byte>()>& next_chunk, int window = 1);
  Status Upload(const std::string& ref, std::span<const std::byte> data,
                const std::string& digest);

  // STAT, one WRITE of `data`, then a half-close: an ingest left in
  // progress.
  Status StartIngest(const std::string& ref, std::span<const std::byte> data);

  // Reads the whole blob; returns the bytes received.
  Result<int64_t> Read(const std::string& digest);

  Status Info(const std::string& digest);
  Status StatusOf(const std::string& ref);  // containerd's Status RPC
  Status SetLabel(const std::string& digest, const std::string& key, const std::string& value);
  // Returns how many Infos / statuses came back.
  Result<int64_t> List(const std::vector<std::string>& filters);
  Result<int64_t> ListStatuses(const std::vector<std::string>& filters);

 private:
  std::unique_ptr<api::Content::Stub> stub_;
};

}  // namespace contentstore::bench

#endif  // CONTENTSTORE_BENCH_SERVE_CLIENT_H_
