#include "store/node_id.h"

#include <fmt/format.h>

#include "env/random.h"
#include "files/root_files.h"
#include "util/text.h"

namespace contentstore {

Result<std::string> LoadNodeId(Env& env, const Layout& layout, bool sync, bool read_only) {
  auto text = ReadRootFile(env, layout, Layout::kNodeIdFile);
  if (text.ok()) {
    std::string id = *text;
    while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) id.pop_back();
    if (id.size() != 16 || id.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return Status::DataLoss(fmt::format("{}/{} holds \"{}\", not 16 hex digits", layout.root(),
                                          Layout::kNodeIdFile, Printable(id)));
    }
    return id;
  }
  if (!text.status().IsNotFound()) return text.status();
  if (read_only) return std::string();
  const std::string id = RandomHex(8);
  if (Status s = ReplaceRootFile(env, layout, sync, Layout::kNodeIdFile,
                                 std::string(Layout::kNodeIdFile) + ".tmp", id + "\n",
                                 "node_id.before_rename");
      !s.ok()) {
    return s;
  }
  return id;
}

}  // namespace contentstore
