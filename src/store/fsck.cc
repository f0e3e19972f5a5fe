// fsck (Store::fsck): do the catalog and the files agree?
//
// Checks, in order: SQLite's integrity_check; every blob row against its file
// (missing, wrong size, and with `verify` the bytes against the name); every
// file under blobs/ against the rows (no row, not a blob name); every ingest
// row against its data and every ingest directory against the rows; and
// reference labels whose value is not a digest.
//
// Repairs never guess: a row whose file is gone is deleted (the catalog lied);
// a file without a row gets one only if its bytes hash to its name; an ingest
// directory without a row is removed (nothing can resume it). Everything else
// is reported and left for a person.

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <vector>

#include "util/clock.h"
#include "embedded_sql.h"
#include "util/hasher.h"
#include "store/recovery.h"
#include "store/store_impl.h"
#include "util/text.h"

namespace contentstore {
namespace {

using Kind = FsckProblem::Kind;

// Hashes a whole file with `algorithm`; `progress` gets the bytes as they go.
Result<Digest> HashFile(const std::string& path, Algorithm algorithm,
                        const std::function<void(int64_t)>& progress) {
  auto fd = posix::Open(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  Hasher hasher(algorithm);
  std::vector<char> buf(1 << 20);
  for (int64_t off = 0;;) {
    auto n = posix::ReadAt(fd->get(), buf.data(), buf.size(), off, path);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    hasher.update(buf.data(), *n);
    off += static_cast<int64_t>(*n);
    if (progress) progress(static_cast<int64_t>(*n));
  }
  return hasher.digest();
}

}  // namespace

std::string_view FsckKindName(FsckProblem::Kind kind) {
  switch (kind) {
    case Kind::kCatalogDamaged: return "catalog-damaged";
    case Kind::kRowWithoutFile: return "row-without-file";
    case Kind::kFileWithoutRow: return "file-without-row";
    case Kind::kSizeMismatch: return "size-mismatch";
    case Kind::kDigestMismatch: return "digest-mismatch";
    case Kind::kStrayFile: return "stray-file";
    case Kind::kIngestWithoutData: return "ingest-without-data";
    case Kind::kDataWithoutIngest: return "data-without-ingest";
    case Kind::kBadReference: return "bad-reference";
    case Kind::kGraphDrift: return "gc-graph-drift";
  }
  return "unknown";
}

Result<FsckReport> StoreImpl::fsck(const FsckOptions& options) {
  FsckReport report;
  auto problem = [&](Kind kind, std::string subject, std::string detail) -> FsckProblem& {
    report.problems.push_back({kind, std::move(subject), std::move(detail), false});
    return report.problems.back();
  };

  // The catalog itself.
  Status s = catalog_->Read([&](Session& session) {
    auto q = session.Prepare(sql::q::fsck_integrity);
    while (q->executeStep()) {
      std::string line = q->getColumn(0).getString();
      if (line != "ok") problem(Kind::kCatalogDamaged, layout_.catalog_path(), line);
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  // Files of removed blobs that are only waiting for their unlink are not
  // "files without rows".
  if (Status f = FlushPendingDeletions(); !f.ok()) return f;

  // Blob rows against files.
  int64_t total_bytes = 0, hashed = 0;
  struct Row {
    std::string digest;
    int64_t size;
  };
  std::vector<Row> rows;  // one page at a time: memory stays bounded
  std::string after;
  if (options.verify) {
    (void)catalog_->Read([&](Session& session) {
      auto q = session.Prepare(sql::q::fsck_total_size);
      if (q->executeStep()) total_bytes = q->getColumn(0).getInt64();
      return Status::OK();
    });
  }
  for (;;) {
    rows.clear();
    s = catalog_->Read([&](Session& session) {
      auto q = session.Prepare(sql::q::fsck_blob_page);
      q->bindNoCopy(1, after);
      while (q->executeStep()) rows.push_back({q->getColumn(0).getString(), q->getColumn(1).getInt64()});
      return Status::OK();
    });
    if (!s.ok()) return s;
    if (rows.empty()) break;
    after = rows.back().digest;
    for (const Row& row : rows) {
      ++report.blobs_checked;
      auto digest = Digest::Parse(row.digest);
      if (!digest.ok()) {
        problem(Kind::kRowWithoutFile, row.digest, "the row's digest is not valid");
        continue;
      }
      const std::string path = layout_.blob_path(*digest);
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        FsckProblem& p = problem(Kind::kRowWithoutFile, row.digest, path + " is missing");
        if (options.repair) {
          // Delete the row only if the file is still missing once we hold the
          // catalog (a commit may be putting it back).
          Status r = catalog_->Write(Catalog::Sync::kFull, [&](Session& session) {
            struct stat again {};
            if (::lstat(path.c_str(), &again) == 0) return Status::OK();
            auto del = session.Prepare(sql::q::blob_delete);
            del->bindNoCopy(1, row.digest);
            del->exec();
            p.repaired = true;
            p.detail += "; row removed";
            return Status::OK();
          });
          if (!r.ok()) return r;
        }
        continue;
      }
      if (st.st_size != row.size) {
        problem(Kind::kSizeMismatch, row.digest,
                fmt::format("{} has {} bytes, the catalog says {}", path, st.st_size, row.size));
        continue;
      }
      if (options.verify) {
        auto actual = HashFile(path, digest->algorithm(), [&](int64_t n) {
          hashed += n;
          if (options.progress) options.progress(hashed, total_bytes);
        });
        if (!actual.ok()) return actual.status();
        report.bytes_verified += row.size;
        if (*actual != *digest) {
          problem(Kind::kDigestMismatch, row.digest,
                  fmt::format("{} hashes to {}", path, actual->str()));
        }
      }
    }
  }

  // Files against rows.
  for (const std::string& alg_name : posix::ListDir(layout_.blobs_dir())) {
    const std::string alg_dir = layout_.blobs_dir() + "/" + alg_name;
    auto algorithm = ParseAlgorithm(alg_name);
    if (!algorithm.ok()) {
      problem(Kind::kStrayFile, alg_dir, "not a digest algorithm directory");
      continue;
    }
    for (const std::string& name : posix::ListDir(alg_dir)) {
      const std::string path = alg_dir + "/" + name;
      auto digest = Digest::Parse(alg_name + ":" + name);
      struct stat st {};
      if (!digest.ok() || ::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        problem(Kind::kStrayFile, path, "not a blob file name");
        continue;
      }
      bool has_row = false;
      s = catalog_->Read([&](Session& session) {
        auto q = session.Prepare(sql::q::blob_size);
        q->bind(1, digest->str());
        has_row = q->executeStep();
        return Status::OK();
      });
      if (!s.ok()) return s;
      if (has_row) continue;
      FsckProblem& p = problem(Kind::kFileWithoutRow, digest->str(), path + " has no catalog row");
      if (!options.repair) continue;
      auto actual = HashFile(path, digest->algorithm(), nullptr);
      if (!actual.ok()) return actual.status();
      if (*actual != *digest) {
        p.detail += "; its bytes hash to " + actual->str() + ", so it was left alone";
        continue;
      }
      const int64_t mtime = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
      Status r = catalog_->Write(Catalog::Sync::kFull, [&](Session& session) {
        auto q = session.Prepare(sql::q::blob_insert);
        q->bind(1, digest->str());
        q->bind(2, static_cast<int64_t>(st.st_size));
        q->bind(3, mtime);  // its age, as far as anyone can tell
        q->exec();
        return Status::OK();
      });
      if (!r.ok()) return r;
      (void)::chmod(path.c_str(), st.st_mode & ~0222);
      p.repaired = true;
      p.detail += "; its bytes match its name: row added";
    }
  }

  // Ingests: rows against data, directories against rows.
  struct IngestRef {
    std::string ref, id;
    int64_t offset;
  };
  std::vector<IngestRef> ingests;
  s = catalog_->Read([&](Session& session) {
    auto q = session.Prepare(sql::q::fsck_ingests);
    while (q->executeStep()) {
      ingests.push_back({q->getColumn(0).getString(), q->getColumn(1).getString(),
                         q->getColumn(2).getInt64()});
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  std::set<std::string> ids;
  for (const IngestRef& i : ingests) {
    ids.insert(i.id);
    const std::string data = layout_.ingest_dir(i.id) + "/" + Layout::kDataFile;
    struct stat st {};
    if (i.offset > 0 && ::stat(data.c_str(), &st) != 0) {
      problem(Kind::kIngestWithoutData, i.ref,
              fmt::format("{} bytes were recorded but {} is missing; a writer resumes it from 0",
                          i.offset, data));
    }
  }
  for (const std::string& id : posix::ListDir(layout_.ingest_root())) {
    if (ids.count(id)) continue;
    const std::string dir = layout_.ingest_dir(id);
    FsckProblem& p = problem(Kind::kDataWithoutIngest, dir, "no ingest row names it");
    if (!options.repair) continue;
    auto dir_fd = posix::OpenAt(ingest_root_fd(), id, O_RDONLY | O_DIRECTORY, 0, dir);
    if (!dir_fd.ok()) {
      p.detail += "; not a directory, left alone";
      continue;
    }
    if (!posix::TryLockExclusive(dir_fd->get(), dir).ok()) {
      p.detail += "; a writer is using it";
      continue;
    }
    bool claimed = false;  // a writer may have claimed it since we listed
    s = catalog_->Read([&](Session& session) {
      auto q = session.Prepare(sql::q::gc_ingest_id_exists);
      q->bindNoCopy(1, id);
      claimed = q->executeStep();
      return Status::OK();
    });
    if (!s.ok()) return s;
    if (claimed) {
      report.problems.pop_back();
      continue;
    }
    if (Status r = RemoveIngestFiles(*this, id, dir_fd->get()); r.ok()) {
      p.repaired = true;
      p.detail += "; removed";
    } else {
      p.detail += "; could not remove it: " + r.message();
    }
  }

  // Reference labels whose value is not a digest: GC ignores them.
  s = catalog_->Read([&](Session& session) {
    auto q = session.Prepare(sql::q::fsck_reference_labels);
    while (q->executeStep()) {
      const std::string value = q->getColumn(2).getString();
      if (Digest::Parse(value).ok()) continue;
      problem(Kind::kBadReference, q->getColumn(0).getString(),
              fmt::format("label {}=\"{}\" is not a digest; the collector ignores it",
                          q->getColumn(1).getString(), Printable(value)));
    }
    return Status::OK();
  });
  if (!s.ok()) return s;

  // The numbered reference graph against the labels. A link the collector
  // lacks could cost a referenced blob, so repair rebuilds the graph from the
  // labels, which are the truth.
  std::vector<size_t> drift;
  s = catalog_->Read([&](Session& session) {
    auto q = session.Prepare(sql::q::fsck_graph_drift);
    while (q->executeStep()) {
      problem(Kind::kGraphDrift, q->getColumn(0).getString(), q->getColumn(1).getString());
      drift.push_back(report.problems.size() - 1);
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  if (options.repair && !drift.empty()) {
    s = catalog_->Write(Catalog::Sync::kFull, [](Session& session) {
      session.db().exec(std::string(sql::q::fsck_graph_rebuild));
      return Status::OK();
    });
    if (!s.ok()) return s.WithContext("fsck: rebuilding the reference graph");
    for (size_t i : drift) report.problems[i].repaired = true;
  }
  return report;
}

}  // namespace contentstore
