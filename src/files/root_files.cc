#include "files/root_files.h"

#include <fcntl.h>

#include "env/crash_point.h"
#include "env/unique_fd.h"

namespace contentstore {

Result<std::string> ReadRootFile(Env& env, const Layout& layout, std::string_view name) {
  const std::string path = layout.root() + "/" + std::string(name);
  auto fd = OpenPath(env, path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  std::string out;
  char buf[65536];
  for (;;) {
    auto n = env.ReadAt(fd->get(), buf, sizeof buf, static_cast<int64_t>(out.size()), path);
    if (!n.ok()) return n.status();
    out.append(buf, *n);
    if (*n < sizeof buf) return out;
  }
}

Status ReplaceRootFile(Env& env, const Layout& layout, bool sync, std::string_view name,
                       std::string_view temp, std::string_view contents,
                       const char* crash_point) {
  const std::string& root = layout.root();
  auto dir = OpenDir(env, root);
  if (!dir.ok()) return dir.status();
  const std::string temp_name(temp), temp_path = root + "/" + temp_name;
  auto fd = OpenAt(env, dir->get(), temp_name, O_WRONLY | O_CREAT | O_TRUNC, 0644, temp_path);
  if (!fd.ok()) return fd.status();
  if (Status s = env.WriteAt(fd->get(), contents.data(), contents.size(), 0, temp_path);
      !s.ok()) {
    return s;
  }
  if (sync) {
    if (Status s = env.SyncData(fd->get(), temp_path); !s.ok()) return s;
  }
  fd->reset();
  test_hooks::CrashPoint(crash_point);
  const std::string final_name(name);
  if (Status s = env.Rename(dir->get(), temp_name, dir->get(), final_name, root + "/" + final_name);
      !s.ok()) {
    return s;
  }
  if (sync) return env.SyncDir(dir->get(), root);
  return Status::OK();
}

}  // namespace contentstore
