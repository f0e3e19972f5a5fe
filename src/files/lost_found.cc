#include "files/lost_found.h"

#include <fcntl.h>

#include <algorithm>

namespace contentstore {

std::string LostFoundName(std::string relative, int64_t now_ns) {
  std::replace(relative.begin(), relative.end(), '/', '-');
  return relative + "." + std::to_string(now_ns);
}

Result<std::string> MoveToLostFound(Env& env, const Layout& layout, const std::string& path) {
  const std::string dir = layout.lost_found_dir();
  if (Status s = env.MakeDirAt(AT_FDCWD, dir, dir, 0755); !s.ok()) return s;
  const std::string target =
      dir + "/" +
      LostFoundName(path.substr(std::min(path.size(), layout.root().size() + 1)), env.NowNanos());
  if (Status s = env.Rename(AT_FDCWD, path, AT_FDCWD, target, target); !s.ok()) return s;
  return target;
}

}  // namespace contentstore
