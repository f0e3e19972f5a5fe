// Fsck (Store::fsck): do the catalog and the files agree? One function per
// kind of check; what each repairs is in fsck.cc.
//
// Thread-safety: runs in the caller's thread; safe while others use the
// store (repairs re-check inside their own transactions).

#ifndef CONTENTSTORE_SRC_STORE_FSCK_H_
#define CONTENTSTORE_SRC_STORE_FSCK_H_

#include <set>
#include <string>

#include "contentstore/fsck.h"
#include "contentstore/status.h"
#include "store/file_reaper.h"
#include "store/images.h"
#include "store/ingest_context.h"

namespace contentstore {

class Fsck {
 public:
  Fsck(IngestContext& ctx, FileReaper& reaper, Images& images, const FsckOptions& options)
      : ctx_(ctx), reaper_(reaper), images_(images), options_(options) {}

  Result<FsckReport> Run();

 private:
  FsckProblem& Problem(FsckProblem::Kind kind, std::string subject, std::string detail);

  Status CheckCatalogIntegrity();
  Status CheckBlobRows();        // rows against files (and bytes, with verify)
  Status CheckBlobRow(const std::string& digest_text, int64_t size);
  // A blob's path holds a symlink, directory or other non-file.
  Status NotAFile(const Digest& digest, int64_t size, const struct stat& st);
  // Puts the bytes `aside` leads to back as the blob, if they hash to it.
  Status RestoreFrom(const std::string& aside, const Digest& digest, int64_t size);
  Status MoveAside(FsckProblem& problem, const std::string& path);
  Status CheckBlobFiles();       // files against rows
  Status AdoptFile(const Digest& digest, const struct stat& st, const std::string& path,
                   FsckProblem& problem);
  Status CheckIngests();         // ingest rows against data, directories against rows
  Status CheckUploads();         // uploads in the blob tier against ingest rows
  Status CheckHousekeeping();    // what else is in trash/ and batches/
  Status CheckReferenceLabels();
  Status CheckGraph();
  Status CheckImageIndex();      // index.json and oci-layout against the catalog
  Status CheckRootEntries();     // what else is at ROOT

  IngestContext& ctx_;
  FileReaper& reaper_;
  Images& images_;
  const FsckOptions& options_;
  FsckReport report_;
  int64_t bytes_to_verify_ = 0;
  int64_t bytes_hashed_ = 0;
  // Read-only: files of removed blobs waiting to be deleted (a writable fsck
  // deletes them first), which are no "files without rows".
  std::set<std::string> queued_;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_FSCK_H_
