// SQLite's "Nth fault" loop (test/malloc_common.tcl) on the Env: run a
// workload with the 1st, 2nd, 3rd ... call failing, until a run meets no
// fault. After each run the store is reopened (recovery runs) and must be
// consistent, and whatever a call reported as done must be so. One family of
// loops fails the store's own file-system calls; another fails the catalog's
// writes and syncs (SQLite's I/O on catalog.db and its WAL, through the
// Env's VFS).

#include <gtest/gtest.h>

#include <mutex>

#include "files/layout.h"
#include "test_env.h"
#include "test_util.h"

namespace contentstore {
namespace {

using testing::DigestOf;
using testing::MakeContent;
using testing::TempDir;

// Fails call number `n` (1-based) among the calls `counts` accepts; with
// `sticky`, every later one too (a disk that went away rather than one bad
// write). Thread-safe: the store's file-reaper thread calls it too.
class FailNth {
 public:
  using Filter = bool (*)(std::string_view op);
  FailNth(int n, bool sticky, Filter counts) : n_(n), sticky_(sticky), counts_(counts) {}
  Status Before(std::string_view op, std::string_view path) {
    if (!counts_(op)) return Status::OK();
    std::lock_guard lock(mu_);
    ++calls_;
    if (calls_ == n_ || (sticky_ && calls_ > n_)) {
      hit_ = true;
      return Status::IOError("injected failure of " + std::string(op) + " " + std::string(path));
    }
    return Status::OK();
  }
  bool hit() const {
    std::lock_guard lock(mu_);
    return hit_;
  }

 private:
  mutable std::mutex mu_;
  int n_;
  bool sticky_;
  Filter counts_;
  int calls_ = 0;
  bool hit_ = false;
};

bool FileSystemCall(std::string_view op) { return !op.starts_with("catalog."); }
bool CatalogWriteOrSync(std::string_view op) {
  return op == "catalog.write" || op == "catalog.sync" || op == "catalog.truncate";
}

struct Outcome {
  bool committed = false;  // commit() returned OK
  bool removed = false;    // remove() of the old blob returned OK
  bool aborted = false;    // abort() returned OK
};

const std::string kOld = MakeContent(2000, 1);
const std::string kNew = MakeContent(3 << 20, 2);

void Prepare(const std::string& root) {
  auto store = testing::OpenStore(root);
  ASSERT_OK(testing::WriteBlob(*store, "old", kOld));
  WriterOptions options;
  options.ref = "stale";
  auto w = store->writer(options);
  ASSERT_TRUE(w.ok());
  ASSERT_OK((*w)->write("to be aborted"));
}

// Every call may fail; the workload carries on as a careless caller would.
Outcome Workload(const std::string& root, Env* env) {
  Outcome out;
  Options options;
  options.checkpoint_bytes = 1 << 20;
  options.env = env;
  auto store = Store::Open(root, testing::StoreOptions(root, options));
  if (!store.ok()) return out;
  WriterOptions wo;
  wo.ref = "new";
  auto w = (*store)->writer(wo);
  if (w.ok()) {
    for (size_t i = 0; i < kNew.size(); i += 512 << 10) {
      (void)(*w)->write(std::string_view(kNew).substr(i, 512 << 10));
    }
    out.committed = (*w)->commit(static_cast<int64_t>(kNew.size()), DigestOf(kNew)).ok();
  }
  out.removed = (*store)->remove(DigestOf(kOld)).ok();
  out.aborted = (*store)->abort("stale").ok();
  return out;
}

void Check(const std::string& root, const Outcome& out) {
  {
    auto store = testing::OpenStore(root);
    ASSERT_NE(store, nullptr);
    if (out.committed) {
      auto bytes = testing::ReadAll(*store, DigestOf(kNew));
      ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
      EXPECT_TRUE(*bytes == kNew);
    } else if (!store->info(DigestOf(kNew)).ok()) {
      // Not committed: whatever the ingest holds must resume to the digest of
      // exactly what it holds. (The workload keeps writing after a failed
      // write, so that need not be a prefix of kNew.)
      WriterOptions wo;
      wo.ref = "new";
      auto w = store->writer(wo);
      if (w.ok()) {
        const std::string held =
            testing::ReadFile(root + "/ingest/" + Layout::IngestId("new") + "/data");
        EXPECT_EQ((*w)->status().offset, static_cast<int64_t>(held.size()));
        EXPECT_EQ((*w)->digest(), DigestOf(held));
      } else {
        EXPECT_TRUE(w.status().IsAlreadyExists()) << w.status().ToString();
      }
    }
    if (out.removed) {
      EXPECT_CODE(store->info(DigestOf(kOld)).status(), kNotFound);
    }
    if (out.aborted) {
      EXPECT_CODE(store->get_ingest("stale").status(), kNotFound);
    }
  }
  testing::ExpectConsistent(root);
  {
    // Deletions a fault left half done are finished by the next collection.
    auto store = testing::OpenStore(root);
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->collect_garbage(GcOptions{}).status());
  }
  EXPECT_TRUE(testing::ListDir(root + "/trash").empty()) << "gc left files in trash/";
  testing::ExpectConsistent(root);
}

void RunLoop(bool sticky, FailNth::Filter counts, int at_least) {
  int n = 1;
  for (;; ++n) {
    ASSERT_LT(n, 5000) << "the workload never ran without meeting a fault";
    TempDir dir;
    Prepare(dir.path());
    FailNth injector(n, sticky, counts);
    testing::TestEnv env;
    env.SetHook([&](std::string_view op, std::string_view path) {
      return injector.Before(op, path);
    });
    const Outcome out = Workload(dir.path(), &env);
    env.SetHook(nullptr);
    SCOPED_TRACE("fault at call " + std::to_string(n));
    Check(dir.path(), out);
    if (::testing::Test::HasFatalFailure()) return;
    if (!injector.hit()) {
      EXPECT_TRUE(out.committed && out.removed && out.aborted);
      break;
    }
  }
  EXPECT_GT(n, at_least);  // the workload does make that many such calls
}

TEST(FaultInjection, EveryTransientFaultLeavesAConsistentStore) {
  RunLoop(false, FileSystemCall, 10);
}
TEST(FaultInjection, EveryPersistentFaultLeavesAConsistentStore) {
  RunLoop(true, FileSystemCall, 10);
}
// The catalog's own I/O reaches the Env only through SQLite's VFS; a
// PostgreSQL catalog's is the server's.
constexpr char kNoCatalogIo[] =
    "fails catalog.db's writes and syncs through the Env's SQLite VFS; a PostgreSQL catalog "
    "does no I/O through the Env";
TEST(FaultInjection, EveryFailedCatalogWriteOrSyncLeavesAConsistentStore) {
  SKIP_ON_POSTGRES(kNoCatalogIo);
  RunLoop(false, CatalogWriteOrSync, 5);
}
TEST(FaultInjection, ACatalogThatStopsWritingLeavesAConsistentStore) {
  SKIP_ON_POSTGRES(kNoCatalogIo);
  RunLoop(true, CatalogWriteOrSync, 5);
}

}  // namespace
}  // namespace contentstore
