// Fuzzes opening a store whose catalog is damaged or hostile: the input
// replaces ROOT/catalog.db (and, packed with catalog_fixture.h's kWalMagic,
// ROOT/catalog.db-wal) in a copy of a real store (catalog_fixture.h: blobs,
// labels, ingests, leases, a reference graph). Then Store::Open, writable
// (migrating an older catalog, recovering) or, for a quarter of the inputs,
// read-only (Options::read_only, as the command's reading commands open it),
// and the calls that only read: info, reader, walk (with and without
// filters), list_ingests, get_ingest, list_leases, get_lease,
// lease_resources, a dry-run collection and fsck without repair (with verify
// for a quarter of the inputs: hashing dominates otherwise).
//
// Public API only (include/contentstore/): the internals are being
// rewritten, and a damaged catalog reaches users through this API.
//
// Invariants: every call returns (libFuzzer's -timeout catches a hang,
// AddressSanitizer a memory error, LeakSanitizer a leak), and every failure
// is a Status with a known code and a message. The seeds are real catalogs
// of the fixture store (make-catalog-seeds writes them).

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "catalog_fixture.h"
#include "contentstore/store.h"
#include "fuzz_util.h"

namespace fs = std::filesystem;

namespace contentstore::fuzz {
namespace {

// Calls that may run per item; bounds the work one input can cause.
constexpr size_t kMaxItems = 32;

struct Paths {
  fs::path base;     // the fuzzer's scratch directory
  fs::path fixture;  // the store every input starts from (without its catalog)
  fs::path root;     // where each input runs
};

const Paths& Scratch() {
  static const Paths* paths = [] {
    // Each input copies a store: in memory (/dev/shm) that is several times
    // faster than on disk. $CONTENTSTORE_FUZZ_TMPDIR overrides.
    const char* tmp = getenv("CONTENTSTORE_FUZZ_TMPDIR");
    if (tmp == nullptr || *tmp == '\0') tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string dir = std::string(tmp) + "/contentstore-fuzz-catalog-XXXXXX";
    if (mkdtemp(dir.data()) == nullptr) Die("mkdtemp " + dir);
    auto* p = new Paths{dir, fs::path(dir) / "fixture", fs::path(dir) / "root"};
    Check(BuildFixture(p->fixture.string()));
    for (const char* name : {"catalog.db", "catalog.db-wal", "catalog.db-shm", "reserve"}) {
      fs::remove(p->fixture / name);
    }
    // The scratch directory goes when the fuzzer exits normally.
    atexit([] {
      std::error_code ec;
      fs::remove_all(Scratch().base, ec);
    });
    return p;
  }();
  return *paths;
}

void WriteFile(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) Die("writing " + path.string());
}

// A Status as a store call may return it: OK, or a known code with a message.
// With CONTENTSTORE_FUZZ_VERBOSE set, every failure is printed, to see which
// codes damaged catalogs give.
void CheckStatus(const Status& s, std::string_view call) {
  if (s.ok()) return;
  static const bool verbose = getenv("CONTENTSTORE_FUZZ_VERBOSE") != nullptr;
  if (verbose)
    std::fprintf(stderr, "status: %.*s: %s\n", static_cast<int>(call.size()), call.data(),
                 s.ToString().substr(0, 300).c_str());
  const int code = static_cast<int>(s.code());
  if (code < static_cast<int>(Code::kInvalidArgument) || code > static_cast<int>(Code::kInternal)) {
    Die(std::string(call) + ": unknown code " + std::to_string(code));
  }
  if (s.message().empty()) Die(std::string(call) + ": error without a message");
}

// `verify`: fsck re-hashes every blob (slow: it is a quarter of the inputs).
void Exercise(Store& store, bool verify) {
  std::vector<Info> blobs;
  CheckStatus(store.walk([&](const Info& info) {
    if (blobs.size() < kMaxItems) blobs.push_back(info);
    return Status::OK();
  }),
              "walk");
  for (const std::vector<std::string>& filters :
       {std::vector<std::string>{R"(labels."containerd.io/gc.root")"},
        std::vector<std::string>{"size~=^[0-9]{3}$", "labels.app==fuzz"}}) {
    CheckStatus(store.walk([](const Info&) { return Status::OK(); }, filters), "walk(filters)");
  }
  for (const Info& blob : blobs) {
    Result<Info> info = store.info(blob.digest);
    CheckStatus(info.status(), "info");
    Result<std::unique_ptr<Reader>> reader = store.reader(blob.digest);
    CheckStatus(reader.status(), "reader");
    if (reader.ok()) {
      std::vector<std::byte> buf(4096);
      CheckStatus((*reader)->read_at(0, buf).status(), "read_at");
      CheckStatus((*reader)->read_at(std::max<int64_t>(0, (*reader)->size() - 1), buf).status(),
                  "read_at(end)");
    }
  }

  Result<std::vector<IngestStatus>> ingests = store.list_ingests();
  CheckStatus(ingests.status(), "list_ingests");
  CheckStatus(store.list_ingests({"ref~=^ingest-"}).status(), "list_ingests(filter)");
  if (ingests.ok()) {
    for (size_t i = 0; i < ingests->size() && i < kMaxItems; ++i) {
      CheckStatus(store.get_ingest((*ingests)[i].ref).status(), "get_ingest");
    }
  }

  Result<std::vector<Lease>> leases = store.list_leases();
  CheckStatus(leases.status(), "list_leases");
  if (leases.ok()) {
    for (size_t i = 0; i < leases->size() && i < kMaxItems; ++i) {
      CheckStatus(store.get_lease((*leases)[i].id).status(), "get_lease");
      CheckStatus(store.lease_resources((*leases)[i].id).status(), "lease_resources");
    }
  }

  GcOptions gc;
  gc.dry_run = true;
  gc.grace = std::chrono::nanoseconds(0);
  gc.ingest_expiry = std::chrono::nanoseconds(0);
  CheckStatus(store.collect_garbage(gc).status(), "collect_garbage(dry_run)");
  FsckOptions fsck;
  fsck.verify = verify;
  CheckStatus(store.fsck(fsck).status(), "fsck");
}

}  // namespace
}  // namespace contentstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace contentstore;
  using namespace contentstore::fuzz;
  const Paths& paths = Scratch();
  std::error_code ec;
  fs::remove_all(paths.root, ec);
  fs::copy(paths.fixture, paths.root, fs::copy_options::recursive, ec);
  if (ec) Die("copying the fixture: " + ec.message());
  std::string_view db, wal;
  Unpack(AsText(data, size), &db, &wal);
  WriteFile(paths.root / "catalog.db", db);
  if (!wal.empty()) WriteFile(paths.root / "catalog.db-wal", wal);

  Options options;
  options.create_if_missing = false;
  options.sync = false;
  options.busy_timeout_ms = 100;  // nothing else holds it; a wait would be a bug
  options.reserve_bytes = 0;      // 8 MiB allocated per input would only cost time
  options.read_only = size > 0 && data[size / 3] % 4 == 1;
  Result<std::unique_ptr<Store>> store = Store::Open(paths.root.string(), options);
  CheckStatus(store.status(), options.read_only ? "Store::Open(read_only)" : "Store::Open");
  if (store.ok()) Exercise(**store, /*verify=*/size > 0 && data[size / 2] % 4 == 0);
  return 0;
}
