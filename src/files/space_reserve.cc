#include "files/space_reserve.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "env/errno_status.h"
#include "env/unique_fd.h"

namespace contentstore {

SpaceReserve::SpaceReserve(Env& env, const Layout& layout, int64_t bytes)
    : env_(env), layout_(layout), bytes_(bytes) {}

void SpaceReserve::Keep() {
  if (bytes_ <= 0) return;
  std::lock_guard lock(mu_);
  const std::string path = layout_.reserve_path();
  if (auto st = env_.StatAt(AT_FDCWD, path, path); st.ok() && st->st_blocks * 512 >= bytes_) {
    return;
  }
  auto fd = OpenPath(env_, path, O_WRONLY | O_CREAT, 0600);
  if (!fd.ok()) return;
  if (!env_.Allocate(fd->get(), bytes_, path).ok()) {
    // Half a reserve would only hide how full the disk is.
    (void)env_.UnlinkAt(AT_FDCWD, path, 0, path);
    return;
  }
  (void)env_.SyncData(fd->get(), path);
}

Status SpaceReserve::Free(const std::function<Status()>& op) {
  Status s = op();
  if (!IsNoSpace(s) || bytes_ <= 0) return s;
  {
    std::lock_guard lock(mu_);
    const std::string path = layout_.reserve_path();
    Status gone = env_.UnlinkAt(AT_FDCWD, path, 0, path);
    if (!gone.ok()) return s;  // no reserve left to give
  }
  return op();
}

}  // namespace contentstore
