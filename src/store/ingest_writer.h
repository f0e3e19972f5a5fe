// IngestWriter: the Writer behind Store::writer().
//
// Opening claims the ref in two layers. The kernel layer is an flock on the
// ingest directory: it excludes other writers in this and other processes, and
// the kernel drops it when the holder dies, so a crashed writer never leaves
// its ref locked. The catalog layer is the row's lock_* columns, written in the
// same transaction that creates or claims the row: they tell others (and
// people at the sqlite3 prompt) who holds the ref and since when.
//
// Writes go straight to ingest/<id>/data and through the hasher. Every
// Options::checkpoint_bytes the data is fdatasync'ed and the offset with the
// hash state is saved in the row, so a later writer resumes by hashing only
// what was written after the last checkpoint.
//
// Thread-safety: one thread at a time, as Writer promises.

#ifndef CONTENTSTORE_SRC_INGEST_WRITER_H_
#define CONTENTSTORE_SRC_INGEST_WRITER_H_

#include <memory>
#include <optional>
#include <string>

#include "contentstore/writer.h"
#include "files/data_file.h"
#include "util/hasher.h"
#include "catalog/ingest_row.h"
#include "env/posix.h"

namespace contentstore {

class StoreImpl;

class IngestWriter final : public Writer {
 public:
  static Result<std::unique_ptr<Writer>> Open(StoreImpl& store, const WriterOptions& options);
  ~IngestWriter() override;

  Status write(std::span<const std::byte> data) override;
  Digest digest() const override;
  IngestStatus status() const override;
  Status truncate(int64_t size) override;
  using Writer::commit;
  Status commit(const CommitOptions& options) override;
  Status close() override;

 private:
  enum class State { kOpen, kClosed, kCommitted };

  IngestWriter(StoreImpl& store, std::string ref, std::string id, posix::UniqueFd dir_fd);

  // Opening, after the flock is held: claim or create the row, then bring the
  // data file and the hasher into agreement. Sets *directory_gone when
  // recovery removed the directory (the caller starts over).
  Status Claim(const WriterOptions& options, bool* directory_gone);
  Status Reconcile(const IngestRow& row, const WriterOptions& options, Algorithm algorithm);
  // Hashes the data file from the hasher's offset to `end`. A read error cuts
  // the file back to what was hashed: never keep bytes the hash has not seen.
  Status HashFileTail(int64_t end);
  // Empties the data file and the hash, durably in the catalog first.
  Status StartOver(int64_t now);
  // The data file from here on is data_; hasher_.bytes() are its bytes.
  void AdoptDataFile();
  Status Checkpoint(bool release);
  // The catalog half of a checkpoint: `offset` bytes, durable, hash to
  // `state`. Thread-safe (data files call it from their writer thread).
  Status SaveCheckpoint(int64_t offset, const std::string& state, int64_t updated_at,
                        bool release);
  std::unique_ptr<DataFile> MakeDataFile(posix::UniqueFd fd);
  // Clears the row's lock but keeps its last checkpoint (broken writers).
  Status ReleaseWithoutCheckpoint();
  Status CheckOpen() const;

  // commit.cc
  Status CommitInternal(const CommitOptions& options);
  Status Publish(const Digest& digest, const Labels& labels);
  Status RemoveIngest();
  Status RestoreDataFromFd();

  StoreImpl& store_;
  const std::string ref_;
  const std::string id_;
  const std::string dir_path_;
  const std::string data_path_;
  std::string token_;
  posix::UniqueFd dir_fd_;  // holds the flock
  posix::UniqueFd data_fd_;         // while opening; then owned by data_
  std::unique_ptr<DataFile> data_;  // after opening
  Hasher hasher_;
  std::optional<int64_t> total_;
  std::optional<Digest> expected_;
  int64_t started_at_ = 0;
  int64_t updated_at_ = 0;
  int64_t checkpoint_offset_ = 0;  // offset saved in the catalog
  State state_ = State::kOpen;
  bool marker_written_ = false;  // commit got past its marker and has not finished
  Status broken_;  // set when a checkpoint failed: see write()
  std::optional<Digest> committed_;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_INGEST_WRITER_H_
