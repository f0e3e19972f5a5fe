// Store: a content-addressed blob store with containerd's content-store
// semantics (Provider, Ingester, Manager, IngestManager).
//
// Blob bytes live under ROOT/blobs/<alg>/<hex>, uploads in progress under
// ROOT/ingest/, and all metadata in the SQLite catalog ROOT/catalog.db. Many
// processes may open the same root at once; the catalog's transactions and
// per-ref locks keep them from stepping on each other.
//
// Filters (walk, list_statuses) use containerd's syntax:
//   field==value   field!=value (also matches items lacking the field)
//   field~=regex   (PCRE2)   field (present)   labels."key.with/dots"
//   a,b  means a AND b; several filter strings mean OR; none matches all.
// walk knows the fields digest, size and labels.<key>; list_statuses knows ref.
// A filter that does not parse, names an unknown field, or holds a regex that
// does not compile is InvalidArgument.
//
// Thread-safety: a Store may be used from many threads at once.

#ifndef CONTENTSTORE_STORE_H_
#define CONTENTSTORE_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "contentstore/digest.h"
#include "contentstore/fsck.h"
#include "contentstore/gc.h"
#include "contentstore/image.h"
#include "contentstore/lease.h"
#include "contentstore/options.h"
#include "contentstore/reader.h"
#include "contentstore/status.h"
#include "contentstore/types.h"
#include "contentstore/writer.h"

namespace contentstore {

class Store {
 public:
  // Opens the store at `root`, creating it if missing (see Options), applying
  // catalog migrations and recovering from writers that died mid-commit.
  // A catalog newer than this library is refused and left untouched.
  static Result<std::unique_ptr<Store>> Open(const std::string& root, const Options& options = {});

  // Rebuilds a damaged or lost catalog from the blob files (`contentstore
  // fsck --rebuild-catalog`). The old catalog is moved aside, never deleted;
  // every blob file whose bytes hash to its name gets a row; labels and
  // leases are read back from the old catalog as far as it can be read;
  // blobs whose labels could not be are held by a lease (see RebuildReport).
  // Needs the store to itself: Unavailable while any process has it open,
  // and Store::Open is refused (Unavailable) while it runs.
  static Result<RebuildReport> RebuildCatalog(const std::string& root,
                                              const Options& options = {});

  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  virtual ~Store() = default;

  virtual const std::string& root() const = 0;

  // A store opened with Options::read_only leaves what dead processes left
  // half done (a writable open finishes it): what that is, one line each,
  // such as "2 ingests held by writers that died". Empty when nothing is
  // pending, and always for a writable store.
  virtual Result<std::vector<std::string>> pending_recovery() = 0;

  // --- Committed blobs ---

  // NotFound if `digest` is not committed.
  virtual Result<Info> info(const Digest& digest) = 0;

  // Changes the labels of info.digest and returns the new Info.
  // `fieldpaths` empty or containing "labels": the labels become info.labels.
  // "labels.<key>": key takes info.labels[key], or is deleted if absent or
  // empty there. Any other path is InvalidArgument.
  virtual Result<Info> update(const Info& info, const std::vector<std::string>& fieldpaths = {}) = 0;

  // DataLoss if the catalog lists the blob but its file is gone.
  virtual Result<std::unique_ptr<Reader>> reader(const Digest& digest) = 0;

  // Deletes the blob's catalog row and file. NotFound if not committed.
  // The row goes at once and for every reader; the file is unlinked shortly
  // after, in the background (at the latest when the Store is destroyed).
  virtual Status remove(const Digest& digest) = 0;

  // Commits many small blobs at once, with the durability of commit() but
  // one directory fsync, one catalog transaction and one WAL sync for the
  // whole batch instead of one each. Meant for blobs held in memory (say up
  // to a few MiB each); larger ones belong to writer(). Each input gets its
  // own status: OK; AlreadyExists if the blob was committed already (its
  // labels are then left alone, as commit() does); FailedPrecondition if
  // `expected` differs; InvalidArgument for bad labels. A non-OK Result means
  // nothing of the batch was committed.
  virtual Result<std::vector<Status>> put_blobs(std::span<const BlobInput> blobs,
                                                const PutOptions& options = {}) = 0;

  // Calls `fn` for each committed blob matching any of `filters`, in digest
  // order. The first error `fn` returns stops the walk and is returned. `fn`
  // may call back into the store.
  virtual Status walk(const std::function<Status(const Info&)>& fn,
                      const std::vector<std::string>& filters = {}) = 0;

  // --- Ingests ---

  // Opens (or resumes) the ingest under options.ref.
  //  - InvalidArgument for a bad ref, a negative total.
  //  - AlreadyExists if options.expected is already committed.
  //  - Unavailable if a live writer holds the ref (in any process); the
  //    message names the holder and since when. A ref whose holder died is
  //    taken over.
  virtual Result<std::unique_ptr<Writer>> writer(const WriterOptions& options) = 0;

  // The ingest under `ref`; its offset is what its data file holds (a live
  // writer in this or another process may hold up to 16 MiB more in its
  // staging buffers, see Writer::write). NotFound if none. (containerd's
  // Status.)
  virtual Result<IngestStatus> get_ingest(std::string_view ref) = 0;

  // Ingests matching any of `filters` (field: ref), ordered by ref, from the
  // catalog: the offset of an ingest being written may lag by up to one
  // checkpoint. (containerd's ListStatuses.)
  virtual Result<std::vector<IngestStatus>> list_ingests(
      const std::vector<std::string>& filters = {}) = 0;

  // The names before 0.2, kept for source compatibility.
  [[deprecated("use get_ingest")]] Result<IngestStatus> status(std::string_view ref) {
    return get_ingest(ref);
  }
  [[deprecated("use list_ingests")]] Result<std::vector<IngestStatus>> list_statuses(
      const std::vector<std::string>& filters = {}) {
    return list_ingests(filters);
  }

  // Deletes the ingest and its bytes. NotFound if none; Unavailable if a live
  // writer holds it.
  virtual Status abort(std::string_view ref) = 0;

  // --- Leases ---

  // AlreadyExists if the id is taken; InvalidArgument for a bad id, labels or
  // an unparseable containerd.io/gc.expire.
  virtual Result<Lease> create_lease(const LeaseOptions& options = {}) = 0;
  // NotFound if no such lease.
  virtual Result<Lease> get_lease(std::string_view id) = 0;
  // Leases matching any of `filters` (fields: id, labels.<key>), by id.
  virtual Result<std::vector<Lease>> list_leases(const std::vector<std::string>& filters = {}) = 0;
  // Deletes the lease; what it held is then only kept by other roots. A
  // writer opened under the lease still commits. NotFound if no such lease.
  virtual Status delete_lease(std::string_view id, const DeleteLeaseOptions& options = {}) = 0;
  // Before 0.2: `collect` is DeleteLeaseOptions::sync.
  [[deprecated("use delete_lease(id, DeleteLeaseOptions)")]] Status delete_lease(
      std::string_view id, bool collect) {
    DeleteLeaseOptions options;
    options.sync = collect;
    return delete_lease(id, options);
  }
  // NotFound if no such lease; InvalidArgument for a bad digest or ref.
  // Adding what is already held is OK; the resource need not exist yet.
  virtual Status add_lease_resource(std::string_view lease, const LeaseResource& resource) = 0;
  // Removing what is not held is OK.
  virtual Status remove_lease_resource(std::string_view lease,
                                       const LeaseResource& resource) = 0;
  virtual Result<std::vector<LeaseResource>> lease_resources(std::string_view lease) = 0;

  // --- Named images (see image.h) ---
  //
  // Each change is one short catalog transaction, durable when the call
  // returns, after which ROOT/index.json is rewritten to list every name. If
  // that rewrite fails, the change stays committed and the error says so;
  // the next writable open (or fsck --repair) rewrites index.json. A
  // read-only store refuses changes with FailedPrecondition.

  // Creates the name, or points an existing one at image.target (its labels
  // become image.labels; created_at is kept). The target need not be
  // committed yet, so an importer may name an image before or after its
  // blobs; the collector keeps whatever the name reaches once it is there.
  // InvalidArgument for a bad name, digest, media type, size or labels.
  virtual Result<Image> put_image(const Image& image) = 0;
  // NotFound if no such name.
  virtual Result<Image> get_image(std::string_view name) = 0;
  // Images matching any of `filters` (fields: name, target.digest,
  // target.mediatype, labels.<key>), by name.
  virtual Result<std::vector<Image>> list_images(const std::vector<std::string>& filters = {}) = 0;
  // NotFound if no such name. What only the name kept goes at the next
  // collection.
  virtual Status delete_image(std::string_view name) = 0;
  // Gives `destination` the target and labels of `source` (replacing what
  // `destination` named, if anything). NotFound if `source` does not exist.
  virtual Result<Image> tag_image(std::string_view source, std::string_view destination) = 0;

  // --- Garbage collection and checks ---

  // Marks everything reachable from the roots (see gc.h) and removes the rest:
  // blob rows and files, expired leases, and ingests past their expiry. Safe
  // while other processes write: what is committed or leased meanwhile stays.
  virtual Result<GcReport> collect_garbage(const GcOptions& options = {}) = 0;

  // Compares the catalog with the files (see FsckOptions).
  virtual Result<FsckReport> fsck(const FsckOptions& options = {}) = 0;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_STORE_H_
