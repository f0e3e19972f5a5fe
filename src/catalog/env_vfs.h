// EnvVfs: an SQLite VFS that puts the catalog's own files under an Env.
//
// It wraps SQLite's default VFS and passes every call through, except that
// each read, write, sync and truncation of an open file is first announced
// to Env::BeforeCatalogIo (a non-OK answer fails the call with
// SQLITE_IOERR_*, as a real I/O error would), and SQLite's clock (its 'now')
// is Env::NowNanos. Fault-injection tests use it to fail the Nth write or
// sync of the WAL; tests with a fake clock use it so that views computing
// 'now' (gc_now) see the fake time.
//
// One VFS is registered per Env, shared by the catalogs open on it, and
// unregistered when the last of them closes.
//
// Thread-safety: For() is thread-safe; SQLite calls the VFS from the
// connection's thread.

#ifndef CONTENTSTORE_SRC_CATALOG_ENV_VFS_H_
#define CONTENTSTORE_SRC_CATALOG_ENV_VFS_H_

#include <memory>
#include <string>

#include "contentstore/env.h"
#include "contentstore/status.h"

struct sqlite3_vfs;

namespace contentstore::catalog {

class EnvVfs {
 public:
  // The VFS for `env`, registered on first use.
  static Result<std::shared_ptr<EnvVfs>> For(Env* env);
  ~EnvVfs();
  EnvVfs(const EnvVfs&) = delete;
  EnvVfs& operator=(const EnvVfs&) = delete;

  // The name to open a database with.
  const char* name() const { return name_.c_str(); }

 private:
  EnvVfs() = default;
  std::string name_;
  std::unique_ptr<sqlite3_vfs> vfs_;
  Env* env_ = nullptr;
};

}  // namespace contentstore::catalog

#endif  // CONTENTSTORE_SRC_CATALOG_ENV_VFS_H_
