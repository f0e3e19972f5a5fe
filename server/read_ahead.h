// ReadAhead: a blob's bytes read on a thread of their own, a few chunks
// ahead of the Read stream that sends them.
//
// Why: a Read stream alternates between reading a chunk from the blob and
// handing it to gRPC. When the bytes are not in the page cache (the library
// writes large blobs with O_DIRECT, so a blob just uploaded is not), each
// read waits for the disk, and the stream's thread would wait for the disk
// and for the client in turn. Reading ahead overlaps the two.
//
// A range of one chunk or less is read by Next() itself, without a thread.
//
// Thread-safety: Next() and Recycle() are called by the stream's thread;
// the Reader's read_at() (which may run from several threads) by this
// object's thread.

#ifndef CONTENTSTORE_SERVER_READ_AHEAD_H_
#define CONTENTSTORE_SERVER_READ_AHEAD_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "contentstore/reader.h"
#include "contentstore/status.h"

namespace contentstore::server {

class ReadAhead {
 public:
  // Reads [offset, end) of the blob `reader` reads, in chunks of `chunk`
  // bytes (the last one shorter), at most `depth` chunks ahead.
  // REQUIRES: `reader` outlives this object; 0 <= offset <= end.
  ReadAhead(const Reader& reader, const std::string& name, int64_t offset, int64_t end,
            size_t chunk, int depth = 2);
  // Stops reading (a read in progress finishes first).
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // The next chunk, or an empty string once [offset, end) has been handed
  // out. An error if a read failed, or DataLoss if the blob ended early
  // (`name` says which blob).
  Result<std::string> Next();

  // Gives back a chunk Next() returned, so its buffer is read into again.
  void Recycle(std::string buffer);

 private:
  void Run();
  // Reads the chunk at next_offset_ into `buffer`; false at the end or
  // after an error (then error_ is set). REQUIRES: mu_ not held.
  bool ReadChunk(std::string& buffer, Status* error);

  const Reader& reader_;
  const std::string name_;
  const int64_t end_;
  const size_t chunk_;
  const size_t depth_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::string> ready_;   // guarded by mu_: chunks read, in order
  std::vector<std::string> spare_;  // guarded by mu_: buffers to read into
  Status error_;                    // guarded by mu_
  bool done_ = false;               // guarded by mu_: read up to end_, or failed
  bool stop_ = false;               // guarded by mu_
  int64_t next_offset_;             // the reader's own (thread, or Next())
  std::thread thread_;              // only for ranges of more than a chunk
};

}  // namespace contentstore::server

#endif  // CONTENTSTORE_SERVER_READ_AHEAD_H_
