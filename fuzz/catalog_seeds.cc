// Writes the seed corpus of fuzz_catalog: real catalogs of the fixture store
// (catalog_fixture.h). Run by fuzz/make-catalog-seeds.
//
//   fuzz_catalog_seeds OUT_DIR
//
// OUT_DIR/fixture.db      the catalog after the fixture was built and closed
// OUT_DIR/fixture-wal.bin the catalog and WAL copied while a store that made
//                         ChangeFixture's changes still had it open

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "catalog_fixture.h"
#include "contentstore/store.h"

namespace fs = std::filesystem;
using namespace contentstore;

namespace {

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool Write(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_catalog_seeds: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return Fail("usage: fuzz_catalog_seeds OUT_DIR");
  const fs::path out = argv[1];
  std::string tmp = (fs::temp_directory_path() / "contentstore-seeds-XXXXXX").string();
  if (mkdtemp(tmp.data()) == nullptr) return Fail("mkdtemp");
  const fs::path root = fs::path(tmp) / "root";
  int rc = 0;
  if (Status s = contentstore::fuzz::BuildFixture(root.string()); !s.ok()) {
    rc = Fail("building the fixture: " + s.ToString());
    // The store keeps catalog.db-wal when it closes (SQLITE_FCNTL_PERSIST_WAL,
    // for read-only users), but the last connection's close checkpointed it
    // into catalog.db: that file alone is the whole catalog.
  } else if (!Write(out / "fixture.db", Read(root / "catalog.db"))) {
    rc = Fail("writing fixture.db");
  } else {
    auto store = Store::Open(root.string());
    Status changed = store.ok() ? contentstore::fuzz::ChangeFixture(**store) : store.status();
    if (!changed.ok()) {
      rc = Fail("changing the fixture: " + changed.ToString());
    } else if (!fs::exists(root / "catalog.db-wal") ||
               fs::file_size(root / "catalog.db-wal") == 0) {
      rc = Fail("the open store has no WAL to copy");
    } else if (!Write(out / "fixture-wal.bin",
                      contentstore::fuzz::PackWithWal(Read(root / "catalog.db"),
                                                      Read(root / "catalog.db-wal")))) {
      rc = Fail("writing fixture-wal.bin");
    }
  }
  std::error_code ec;
  fs::remove_all(tmp, ec);
  return rc;
}
