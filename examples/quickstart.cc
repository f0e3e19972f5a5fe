// quickstart: the library in one page. Opens a store (argv[1], else the
// default root), ingests a blob under a ref, reads it back, lists the store,
// and deletes the blob again.
//
//   quickstart [ROOT]

#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "contentstore/store.h"

namespace cs = contentstore;

namespace {

// $CONTENTSTORE_ROOT, else $XDG_DATA_HOME/contentstore, else
// ~/.local/share/contentstore: the command line's default too.
std::string DefaultRoot() {
  if (const char* root = std::getenv("CONTENTSTORE_ROOT"); root && *root) return root;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/contentstore";
  }
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/share/contentstore";
}

int Fail(const char* what, const cs::Status& status) {
  std::fprintf(stderr, "quickstart: %s: %s\n", what, status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string root = argc > 1 ? argv[1] : DefaultRoot();
  auto store = cs::Store::Open(root);
  if (!store.ok()) return Fail("open", store.status());

  // Ingest: write under a ref, then commit with the size and digest we expect.
  const std::string content = "hello, content-addressed world\n";
  cs::Digester digester;
  digester.update(content);
  const cs::Digest digest = digester.digest();

  cs::WriterOptions options;
  options.ref = "quickstart-example";
  options.expected = digest;
  auto writer = (*store)->writer(options);
  if (writer.ok()) {
    if (cs::Status s = (*writer)->write(content); !s.ok()) return Fail("write", s);
    cs::Status s = (*writer)->commit(static_cast<int64_t>(content.size()), digest,
                                     {{"example", "quickstart"}});
    if (!s.ok() && !s.IsAlreadyExists()) return Fail("commit", s);
  } else if (!writer.status().IsAlreadyExists()) {  // already there: fine
    return Fail("writer", writer.status());
  }
  std::printf("committed %s (%zu bytes) under %s\n", digest.str().c_str(), content.size(),
              root.c_str());

  // Read it back through positional reads.
  auto reader = (*store)->reader(digest);
  if (!reader.ok()) return Fail("reader", reader.status());
  std::string back(static_cast<size_t>((*reader)->size()), '\0');
  auto n = (*reader)->read_at(0, std::as_writable_bytes(std::span<char>(back.data(), back.size())));
  if (!n.ok()) return Fail("read", n.status());
  std::printf("read back: %s", back.c_str());

  // List what the store holds.
  cs::Status walked = (*store)->walk([](const cs::Info& info) {
    std::printf("  %s %lld bytes, %zu labels\n", info.digest.str().c_str(),
                static_cast<long long>(info.size), info.labels.size());
    return cs::Status::OK();
  });
  if (!walked.ok()) return Fail("walk", walked);

  // And delete it again.
  if (cs::Status s = (*store)->remove(digest); !s.ok()) return Fail("remove", s);
  std::printf("removed %s\n", digest.str().c_str());
  return 0;
}
