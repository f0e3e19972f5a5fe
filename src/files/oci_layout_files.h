// OciLayoutFiles: the files that make the store root an OCI image layout,
// ROOT/oci-layout and ROOT/index.json (layout.h). What index.json says is
// decided by the caller (store/images.cc renders it from the catalog); this
// module only writes it the safe way and serializes the writers.
//
// Writing index.json: temp file ROOT/index.json.tmp, write, fsync, rename
// over index.json, fsync ROOT. A crash leaves the old index.json or the new
// one, never a torn one (and maybe index.json.tmp, which the next rewrite
// truncates). Callers hold the index lock (an flock on ROOT/index.json.lock,
// shared by every process using the store) across "read the catalog, write,
// rename", so the last writer always writes the newest state.
//
// Thread-safety: thread-safe; the lock is per open file description, so two
// threads of one process exclude each other as two processes do.

#ifndef CONTENTSTORE_SRC_FILES_OCI_LAYOUT_FILES_H_
#define CONTENTSTORE_SRC_FILES_OCI_LAYOUT_FILES_H_

#include <string>
#include <string_view>

#include "contentstore/env.h"
#include "contentstore/status.h"
#include "env/unique_fd.h"
#include "files/layout.h"

namespace contentstore {

class OciLayoutFiles {
 public:
  // `sync`: fsync files and the root directory (Options::sync).
  OciLayoutFiles(Env& env, const Layout& layout, bool sync)
      : env_(env), layout_(layout), sync_(sync) {}

  // What ROOT/oci-layout holds.
  static constexpr std::string_view kOciLayoutContents = "{\"imageLayoutVersion\":\"1.0.0\"}";

  // Writes ROOT/oci-layout unless it already holds kOciLayoutContents.
  Status EnsureLayoutFile();
  // ROOT/oci-layout holds kOciLayoutContents.
  Result<bool> LayoutFileIsRight();

  // Waits for the index lock and returns it; it is released when the
  // descriptor closes.
  Result<UniqueFd> LockIndex();
  // Replaces ROOT/index.json with `contents` (see the top of this file).
  // REQUIRES: the caller holds LockIndex().
  Status WriteIndex(std::string_view contents);
  // ROOT/index.json's bytes; NotFound when there is none.
  Result<std::string> ReadIndex();
  // Whether ROOT/index.json exists (one stat).
  Result<bool> IndexExists();

 private:
  // Temp file, fsync, rename over `name` in ROOT, fsync ROOT.
  Status ReplaceFile(std::string_view name, std::string_view temp, std::string_view contents);
  Result<std::string> ReadRootFile(std::string_view name);

  Env& env_;
  const Layout& layout_;
  const bool sync_;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_FILES_OCI_LAYOUT_FILES_H_
