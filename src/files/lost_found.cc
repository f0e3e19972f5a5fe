#include "files/lost_found.h"

#include <fcntl.h>

#include <algorithm>

namespace contentstore {

Result<std::string> MoveToLostFound(Env& env, const Layout& layout, const std::string& path) {
  const std::string dir = layout.lost_found_dir();
  if (Status s = env.MakeDirAt(AT_FDCWD, dir, dir, 0755); !s.ok()) return s;
  // "blobs/sha256/<hex>" becomes "blobs-sha256-<hex>.<ns>": unique, and it
  // says where it came from.
  std::string name = path.substr(std::min(path.size(), layout.root().size() + 1));
  std::replace(name.begin(), name.end(), '/', '-');
  name += "." + std::to_string(env.NowNanos());
  const std::string target = dir + "/" + name;
  if (Status s = env.Rename(AT_FDCWD, path, AT_FDCWD, target, target); !s.ok()) return s;
  return target;
}

}  // namespace contentstore
