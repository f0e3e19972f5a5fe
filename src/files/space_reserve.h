// SpaceReserve: ROOT/reserve, a file of Options::reserve_bytes kept
// allocated so that a full disk can be freed with the store's own calls.
// Removing a blob or collecting garbage needs a little space itself (the
// catalog's WAL grows before the files go); when a call that frees space
// fails for lack of it, the store gives the reserve up and tries once more,
// then takes it back once there is room again.
//
// Thread-safety: thread-safe.

#ifndef CONTENTSTORE_SRC_FILES_SPACE_RESERVE_H_
#define CONTENTSTORE_SRC_FILES_SPACE_RESERVE_H_

#include <cstdint>
#include <functional>
#include <mutex>

#include "contentstore/env.h"
#include "contentstore/status.h"
#include "files/layout.h"

namespace contentstore {

class SpaceReserve {
 public:
  SpaceReserve(Env& env, const Layout& layout, int64_t bytes);

  // Makes sure the reserve is allocated; quietly does nothing when there is
  // no room for it (a full disk is no reason to fail).
  void Keep();
  // Runs `op`; if it fails for lack of space, gives the reserve up and runs
  // it once more.
  Status Free(const std::function<Status()>& op);

 private:
  Env& env_;
  const Layout& layout_;
  const int64_t bytes_;
  std::mutex mu_;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_FILES_SPACE_RESERVE_H_
