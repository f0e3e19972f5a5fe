// IngestWriter: the Writer behind Store::writer().
//
// Opening claims the ref in two layers. The kernel layer is an flock on the
// ingest directory (files/ingest_dirs.h): it excludes other writers in this
// and other processes, and the kernel drops it when the holder dies, so a
// crashed writer never leaves its ref locked. The catalog layer is the row's
// lock_* columns, written in the same transaction that creates or claims the
// row: they tell others (and people at the sqlite3 prompt) who holds the ref
// and since when.
//
// Writes go straight to ingest/<id>/data and through the hasher. Every
// Options::checkpoint_bytes the data is fdatasync'ed and the offset with the
// hash state is saved in the row, so a later writer resumes by hashing only
// what was written after the last checkpoint. The commit protocol is in
// commit.cc.
//
// When the blob tier takes ingests as they are written (an object store:
// files/ingest_uploads.h), a checkpoint also sends what was written since
// the last part, once that is at least the tier's minimum part size, as the
// next part of the ingest's upload, recorded in the checkpoint's
// transaction with the hash state at its end; the part's local bytes are
// then dropped (a hole in the data file, whose length stays the offset).
// A writer on any node sharing the catalog resumes from the parts: the row's
// staged_on says which node's directory holds the bytes past them.
//
// Thread-safety: one thread at a time, as Writer promises.

#ifndef CONTENTSTORE_SRC_STORE_INGEST_WRITER_H_
#define CONTENTSTORE_SRC_STORE_INGEST_WRITER_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "catalog/ingest_rows.h"
#include "contentstore/writer.h"
#include "env/unique_fd.h"
#include "files/data_file.h"
#include "files/ingest_uploads.h"
#include "store/ingest_context.h"
#include "util/hasher.h"

namespace contentstore {

class IngestWriter final : public Writer {
 public:
  static Result<std::unique_ptr<Writer>> Open(IngestContext& ctx, const WriterOptions& options);
  // Unavailable for a ref whose lock another writer holds, naming the
  // holder's pid and since when as its row records them.
  static Status RefLocked(IngestContext& ctx, const std::string& ref);
  // Whether the ref's row names a writer holding it.
  static bool HasLockHolder(IngestContext& ctx, const std::string& ref);
  // How often writer() looks again at a directory whose flock is held
  // without a writer named in the catalog (2 ms apart).
  static constexpr int kBusyDirectoryWaits = 100;
  // How often writer() looks again at a ref's lock across nodes that a dead
  // writer of this node still has (10 ms apart; see LockRef).
  static constexpr int kDeadHolderWaits = 200;
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

  // The ref's lock across nodes (LockRefAcrossNodes), for a writer holding
  // the directory's flock.
  static Result<std::unique_ptr<catalog::NameLock>> LockRef(IngestContext& ctx,
                                                            const std::string& ref);

  IngestWriter(IngestContext& ctx, std::string ref, std::string id, UniqueFd dir_fd);

  // --- Opening (ingest_writer.cc), after the flock is held ---
  // Finishes or undoes a commit that died in this directory, claims or
  // creates the row, then brings the data file and the hasher into
  // agreement. Sets *directory_gone when recovery removed the directory (the
  // caller starts over).
  Status Claim(const WriterOptions& options, bool* directory_gone);
  // The catalog half of Claim: the row as it was, or nullopt for a new one.
  Result<std::optional<catalog::IngestRow>> ClaimRow(const WriterOptions& options, int64_t now);
  Status StartFresh(const WriterOptions& options, int64_t now);
  Status Resume(const catalog::IngestRow& row, const WriterOptions& options);
  Status Reconcile(const catalog::IngestRow& row, const WriterOptions& options,
                   Algorithm algorithm);
  // Takes over the row's upload (parts and their hash state); the local
  // bytes past the parts count only when this node staged them. Sets
  // *file_size to what the data file holds from here on. False when the
  // parts cannot be resumed (the caller starts over).
  Result<bool> AdoptUpload(const catalog::IngestRow& row, bool staged_here, int64_t* file_size);
  // Hashes the data file from the hasher's offset to `end`. A read error cuts
  // the file back to what was hashed: never keep bytes the hash has not seen.
  Status HashFileTail(int64_t end);
  // Empties the data file and the hash, durably in the catalog first.
  Status StartOver(int64_t now);
  // The data file from here on is data_; hasher_.bytes() are its bytes.
  void AdoptDataFile();
  std::unique_ptr<DataFile> MakeDataFile(UniqueFd fd);

  // --- Writing ---
  Status Checkpoint(bool release);
  // The catalog half of a checkpoint: `offset` bytes, durable, hash to
  // `state`. Thread-safe (data files call it from their writer thread).
  Status SaveCheckpoint(int64_t offset, const std::string& state, int64_t updated_at,
                        bool release);
  // Sends [uploaded_, offset) as the next part when it holds at least
  // `min_bytes`, starting the upload first if need be. Returns the part to
  // record, or nullopt when none was sent.
  Result<std::optional<UploadedPart>> SendPart(int64_t offset, int64_t min_bytes);
  // After a part's record is durable: the part joins parts_ and its local
  // bytes go.
  void PartRecorded(const UploadedPart& part, int64_t offset);
  // The upload is no longer this ingest's: removes it from the tier, quietly
  // (a leftover is swept by the collector).
  void DiscardUpload();
  // Clears the row's lock but keeps its last checkpoint (broken writers).
  Status ReleaseWithoutCheckpoint();
  Status CheckOpen() const;

  // --- Committing (commit.cc) ---
  Status CommitInternal(const CommitOptions& options);
  // Checks size, then digest, against the commit's and the writer's
  // expectations.
  Result<Digest> CheckExpectations(const CommitOptions& options, const std::string& what);
  Status Publish(const Digest& digest, const CommitOptions& options);
  // Publish for an ingest with an upload: the rest as its last part, then
  // the tier assembles it into the blob.
  Status PublishParts(const Digest& digest, const CommitOptions& options);
  // Steps 2 and 3: the data durable and read-only, the marker written.
  Status SealData(const Digest& digest);
  // Step 6: the catalog transaction. Sets *vanished when the blob file was
  // gone, *already_exists when the digest was committed meanwhile.
  Status RecordCommit(const Digest& digest, const CommitOptions& options, int64_t size,
                      bool* vanished, bool* already_exists);
  // Step 7, and the end of every successful commit.
  void FinishCommitted(const Digest& digest);
  // Lets go of the ref: the directory's flock and the lock across machines.
  void ReleaseRef() {
    dir_fd_.reset();
    node_lock_.reset();
  }
  // The content is committed already: the ingest goes (and, if asked, the
  // labels go on the blob), in one transaction that checks the blob is still
  // there. Sets *gone when it was removed meanwhile (the caller publishes
  // its own bytes instead).
  Status RemoveIngest(const CommitOptions& options, bool* gone);
  Status RestoreDataFromFd();

  IngestContext& ctx_;
  const std::string ref_;
  const std::string id_;
  const std::string dir_path_;
  const LocalFile data_file_;  // ingest/<id>/data, relative to dir_fd_
  std::string token_;
  UniqueFd dir_fd_;                 // holds the flock
  // The ref's lock across machines when the catalog is shared (PostgreSQL);
  // null otherwise (the flock is enough on one machine).
  std::unique_ptr<catalog::NameLock> node_lock_;
  UniqueFd data_fd_;                // while opening; then owned by data_
  std::unique_ptr<DataFile> data_;  // after opening
  Hasher hasher_;
  std::optional<int64_t> total_;
  std::optional<Digest> expected_;
  int64_t started_at_ = 0;
  int64_t updated_at_ = 0;
  int64_t checkpoint_offset_ = 0;  // offset saved in the catalog
  State state_ = State::kOpen;
  bool marker_written_ = false;  // commit got past its marker and has not finished
  Status broken_;                // set when a checkpoint failed: see write()
  std::optional<Digest> committed_;

  // The ingest's upload when the tier takes ingests as they are written
  // (null uploads_ otherwise). upload_mu_ guards what follows it: the data
  // file's thread sends parts from its checkpoints.
  IngestUploads* const uploads_;
  std::mutex upload_mu_;
  std::optional<std::string> upload_id_;
  std::vector<UploadedPart> parts_;
  int64_t uploaded_ = 0;  // bytes the parts hold
  UniqueFd part_fd_;      // the data file, read for parts, holes punched after
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_INGEST_WRITER_H_
