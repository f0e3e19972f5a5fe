// Options for opening a Store. Every field says its default.
//
// Thread-safety: a plain value, copied into the store at Open().

#ifndef CONTENTSTORE_OPTIONS_H_
#define CONTENTSTORE_OPTIONS_H_

#include <cstdint>
#include <string>

namespace contentstore {

class Env;

struct Options {
  // Create ROOT and its catalog if they do not exist. When false, opening a
  // root without a catalog is NotFound.
  // Default: true.
  bool create_if_missing = true;

  // Durability. When true, a successful commit() has fsynced the blob's bytes,
  // the directory entry that names it, and the catalog transaction that
  // records it: it survives a power loss. When false, none of those fsyncs
  // happen: the store is still consistent after a process crash (the page
  // cache keeps the data), but a power loss or kernel crash may lose recent
  // commits, or leave a catalog row whose file is empty or torn (fsck finds
  // it). Meant for populating test and benchmark stores.
  // Default: true.
  bool sync = true;

  // How many bytes a writer writes between checkpoints. At a checkpoint the
  // data written so far is fdatasync'ed and the writer's offset and hash state
  // are saved in the catalog, so a writer that dies resumes by hashing at
  // most this many bytes again. Smaller means cheaper resume after a crash
  // and more fsyncs while writing. 0 disables checkpoints while writing (a
  // clean close still saves one).
  // Default: 16 MiB.
  int64_t checkpoint_bytes = 16 << 20;

  // How long a catalog call waits for another process's write transaction
  // before failing with Unavailable, in milliseconds. Write transactions are
  // a few statements long, so waits are short unless a process is stuck.
  // Default: 10000.
  int busy_timeout_ms = 10000;

  // Open for reading only: nothing under ROOT is created, changed or
  // removed, so it works on a store this user cannot write (the catalog and
  // the blob files must be readable). Writers, updates, removals, leases and
  // collection return FailedPrecondition. Recovery of writers that died
  // mid-commit is left to the next writable open; reads meanwhile see the
  // catalog as it is (a blob such a writer was publishing is simply not
  // there yet). Default: false.
  bool read_only = false;

  // Space set aside so that a full disk can still be freed with the store's
  // own calls: a writable open keeps a file ROOT/reserve of this many bytes
  // allocated; when remove(), abort(), delete_lease() or collect_garbage()
  // fail because the disk is full, the file is given up and the call tried
  // again. It is taken back once space allows. 0 keeps no reserve.
  // Default: 8 MiB.
  int64_t reserve_bytes = 8 << 20;

  // Where committed blob bytes live. Empty: the files ROOT/blobs/<alg>/<hex>.
  // "s3://BUCKET[/PREFIX]?endpoint=URL[&region=R]": the objects
  // PREFIX/blobs/<alg>/<hex> in an S3-compatible bucket (path-style
  // requests; credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
  // AWS_SESSION_TOKEN, never from the URL). The catalog and uploads in
  // progress stay under ROOT. The root records the bucket in
  // ROOT/blobs-location at the first writable open that names it, and later
  // opens use the record (a URL given then must name the same bucket and
  // prefix); a store that already has local blobs cannot be moved.
  // Default: empty.
  std::string blobs{};

  // With blobs in a bucket: at most this many bytes of blobs kept in a local
  // read cache, ROOT/cache/, least recently used evicted first. A blob is
  // cached whole when first opened if it is at most a quarter of this, and
  // checked against its digest then. 0: no cache, every read is a ranged
  // GET. Default: 0.
  int64_t blob_cache_bytes = 0;

  // Where the catalog lives. Empty: ROOT/catalog.db (SQLite). A PostgreSQL
  // URL (postgresql://user:password@host:port/db, libpq's syntax; choose
  // the schema with ?options=-csearch_path%3Dname): the catalog is kept
  // there; blob bytes stay where `blobs` says. Commits are then durable as the
  // server's synchronous_commit says, whatever `sync` is. What works on it
  // so far: src/catalog/POSTGRES.md.
  // Default: empty.
  std::string catalog_url = {};

  // The file system and clock the store uses (contentstore/env.h); must
  // outlive the store. Default (nullptr): Env::Default(), the real ones.
  Env* env = nullptr;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_OPTIONS_H_
