// fsck (Store::fsck): do the catalog and the files agree?
//
// Checks, in order: SQLite's integrity_check; every blob row against its file
// (missing, wrong size, and with `verify` the bytes against the name); every
// file of the blob tier against the rows (no row, not a blob name); every
// ingest row against its data and every ingest directory against the rows;
// reference labels whose value is not a digest; the numbered reference graph
// against the labels; ROOT/index.json and ROOT/oci-layout against the image
// names; anything else at ROOT (an OCI tool may add files there).
//
// Repairs never guess: a row whose file is gone is deleted (the catalog lied);
// a file without a row gets one only if its bytes hash to its name; an ingest
// directory without a row is removed (nothing can resume it); the reference
// graph is rebuilt from the labels; index.json and oci-layout are rewritten
// from the catalog. Everything else is reported and left for a person (at
// ROOT nothing is moved: it may be someone's file).

#include "store/fsck.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <set>
#include <utility>
#include <vector>

#include "catalog/blob_rows.h"
#include "catalog/catalog_check.h"
#include "catalog/deletion_queue.h"
#include "catalog/ingest_rows.h"
#include "env/unique_fd.h"
#include "files/ingest_uploads.h"
#include "files/layout.h"
#include "store/ingest_sweep.h"
#include "util/hasher.h"
#include "util/text.h"
#include "util/timestamp.h"

namespace contentstore {
namespace {

using Kind = FsckProblem::Kind;

// Blob rows per catalog read: memory stays bounded.
constexpr int kRowPage = 1000;

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
    case Kind::kNotAFile: return "not-a-file";
    case Kind::kStaleImageIndex: return "stale-image-index";
  }
  return "unknown";
}

FsckProblem& Fsck::Problem(Kind kind, std::string subject, std::string detail) {
  report_.problems.push_back({kind, std::move(subject), std::move(detail), false});
  return report_.problems.back();
}

Result<FsckReport> Fsck::Run() {
  if (options_.repair && ctx_.catalog.read_only()) {
    return Status::FailedPrecondition("fsck: the store is open read-only: no repairs");
  }
  if (Status s = CheckCatalogIntegrity(); !s.ok()) return s;
  // Files of removed blobs that are only waiting for their unlink are not
  // "files without rows".
  if (!ctx_.catalog.read_only()) {
    if (Status f = reaper_.Flush(); !f.ok()) return f;
  } else {
    Status q = ctx_.catalog.Read([&](catalog::Transaction& tx) {
      for (std::string& d : catalog::DeletionQueue(tx).List()) queued_.insert(std::move(d));
      return Status::OK();
    });
    if (!q.ok()) return q;
  }
  for (Status (Fsck::*check)() : {&Fsck::CheckBlobRows, &Fsck::CheckBlobFiles,
                                  &Fsck::CheckIngests, &Fsck::CheckUploads,
                                  &Fsck::CheckHousekeeping,
                                  &Fsck::CheckReferenceLabels, &Fsck::CheckGraph,
                                  &Fsck::CheckImageIndex, &Fsck::CheckRootEntries}) {
    if (Status s = (this->*check)(); !s.ok()) return s;
  }
  return std::move(report_);
}

Status Fsck::CheckCatalogIntegrity() {
  return ctx_.catalog.Read([&](catalog::Transaction& tx) {
    for (std::string& line : catalog::CatalogCheck(tx).IntegrityProblems()) {
      Problem(Kind::kCatalogDamaged, ctx_.catalog.path(), std::move(line));
    }
    return Status::OK();
  });
}

Status Fsck::CheckBlobRows() {
  if (options_.verify) {
    Status s = ctx_.catalog.Read([&](catalog::Transaction& tx) {
      bytes_to_verify_ = catalog::BlobRows(tx).TotalSize();
      return Status::OK();
    });
    if (!s.ok()) return s;
  }
  std::string after;
  for (;;) {
    std::vector<catalog::BlobSize> rows;
    Status s = ctx_.catalog.Read([&](catalog::Transaction& tx) {
      rows = catalog::BlobRows(tx).SizesAfter(after, kRowPage);
      return Status::OK();
    });
    if (!s.ok()) return s;
    if (rows.empty()) return Status::OK();
    for (const catalog::BlobSize& row : rows) {
      // Each page starts after the last digest of the one before, so rows
      // come in increasing order; a b-tree out of order (damage
      // integrity_check reports too) would give rows already checked, page
      // after page, forever. Say where the order breaks and stop here.
      if (row.digest <= after) {
        Problem(Kind::kCatalogDamaged, ctx_.catalog.path(),
                fmt::format("the blobs table is out of digest order ({} after {}); the blob "
                            "rows from there on were not checked",
                            Printable(row.digest), Printable(after)));
        return Status::OK();
      }
      after = row.digest;
      if (Status c = CheckBlobRow(row.digest, row.size); !c.ok()) return c;
    }
  }
}

Status Fsck::CheckBlobRow(const std::string& digest_text, int64_t size) {
  ++report_.blobs_checked;
  auto digest = Digest::Parse(digest_text);
  if (!digest.ok()) {
    Problem(Kind::kRowWithoutFile, digest_text, "the row's digest is not valid");
    return Status::OK();
  }
  const std::string path = ctx_.blobs.Where(*digest);
  auto st = ctx_.blobs.Stat(*digest);
  if (st.ok() && !S_ISREG(st->st_mode)) return NotAFile(*digest, size, *st);
  if (!st.ok()) {
    if (!st.status().IsNotFound()) return st.status();
    FsckProblem& p = Problem(Kind::kRowWithoutFile, digest_text, path + " is missing");
    if (!options_.repair) return Status::OK();
    // Delete the row only if the file is still missing once we hold the
    // catalog (a commit may be putting it back).
    return ctx_.catalog.Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) {
      if (!ctx_.blobs.Stat(*digest).status().IsNotFound()) return Status::OK();
      catalog::BlobRows(tx).Delete(digest_text);
      p.repaired = true;
      p.detail += "; row removed";
      return Status::OK();
    });
  }
  if (st->st_size != size) {
    Problem(Kind::kSizeMismatch, digest_text,
            fmt::format("{} has {} bytes, the catalog says {}", path, st->st_size, size));
    return Status::OK();
  }
  if (!options_.verify) return Status::OK();
  auto actual = HashStoredBlob(ctx_.blobs, *digest, size, [&](int64_t n) {
    bytes_hashed_ += n;
    if (options_.progress) options_.progress(bytes_hashed_, bytes_to_verify_);
  });
  if (!actual.ok()) return actual.status();
  report_.bytes_verified += size;
  if (*actual != *digest) {
    Problem(Kind::kDigestMismatch, digest_text, fmt::format("{} hashes to {}", path, actual->str()));
  }
  return Status::OK();
}

namespace {

std::string_view TypeOf(const struct stat& st) {
  if (S_ISDIR(st.st_mode)) return "directory";
  if (S_ISLNK(st.st_mode)) return "symbolic link";
  if (S_ISFIFO(st.st_mode)) return "FIFO";
  if (S_ISSOCK(st.st_mode)) return "socket";
  return "special file";
}

}  // namespace

Status Fsck::MoveAside(FsckProblem& problem, const std::string& path) {
  auto aside = ctx_.blobs.MoveAside(path);
  if (!aside.ok()) {
    problem.detail += "; could not move it aside: " + aside.status().message();
    return Status::OK();
  }
  problem.repaired = true;
  problem.detail += "; moved to " + *aside;
  return Status::OK();
}

Status Fsck::NotAFile(const Digest& digest, int64_t size, const struct stat& st) {
  const std::string path = ctx_.blobs.Where(digest);
  FsckProblem& p = Problem(Kind::kNotAFile, digest.str(),
                           fmt::format("{} is a {}, not a file", path, TypeOf(st)));
  if (!options_.repair) return Status::OK();
  auto aside = ctx_.blobs.MoveAside(path);
  if (!aside.ok()) {
    p.detail += "; could not move it aside: " + aside.status().message();
    return Status::OK();
  }
  p.detail += "; moved to " + *aside;
  if (RestoreFrom(*aside, digest, size).ok()) {
    p.repaired = true;
    p.detail += "; what it led to hashes to the digest: the blob is a file again";
    return Status::OK();
  }
  // No bytes of the blob were there: the catalog row has no file.
  Status r = ctx_.catalog.Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) {
    if (!ctx_.blobs.Stat(digest).status().IsNotFound()) return Status::OK();
    catalog::BlobRows(tx).Delete(digest.str());
    p.repaired = true;
    p.detail += "; it held no copy of the blob: row removed";
    return Status::OK();
  });
  return r;
}

Status Fsck::RestoreFrom(const std::string& aside, const Digest& digest, int64_t size) {
  Env& env = ctx_.env;
  // Following links: a symlink to the right bytes is the case worth saving.
  auto in = OpenPath(env, aside, O_RDONLY | O_NONBLOCK);
  if (!in.ok()) return in.status();
  auto st = env.StatFd(in->get(), aside);
  if (!st.ok()) return st.status();
  if (!S_ISREG(st->st_mode) || st->st_size != size) {
    return Status::DataLoss("not a file of the blob's size");
  }
  const std::string dir = ctx_.layout.lost_found_dir();
  auto dir_fd = OpenDir(env, dir);
  if (!dir_fd.ok()) return dir_fd.status();
  const std::string name = "restore-" + digest.hex();
  const LocalFile copy{dir_fd->get(), name, dir + "/" + name};
  auto out = OpenAt(env, copy.dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644, copy.path);
  if (!out.ok()) return out.status();
  Hasher hasher(digest.algorithm());
  std::vector<char> buf(1 << 20);
  for (int64_t off = 0; off < size;) {
    auto n = env.ReadAt(in->get(), buf.data(), buf.size(), off, aside);
    if (!n.ok()) return n.status();
    if (*n == 0) return Status::DataLoss(aside + " ended early");
    hasher.update(buf.data(), *n);
    if (Status w = env.WriteAt(out->get(), buf.data(), *n, off, copy.path); !w.ok()) return w;
    off += static_cast<int64_t>(*n);
  }
  if (hasher.digest() != digest) {
    (void)env.UnlinkAt(copy.dir_fd, name, 0, copy.path);
    return Status::DataLoss("its bytes hash to " + hasher.digest().str());
  }
  if (Status d = env.SyncData(out->get(), copy.path); !d.ok()) return d;
  if (Status c = env.ChangeMode(out->get(), 0444, copy.path); !c.ok()) return c;
  auto published = ctx_.blobs.Publish(digest, size, copy, BlobTier::Mode::kMove);
  if (!published.ok()) return published.status();
  return ctx_.blobs.SyncPublished(digest.algorithm());
}

Status Fsck::CheckBlobFiles() {
  BlobTier::Visitor visitor;
  visitor.stray = [&](const std::string& path, std::string_view why) {
    FsckProblem& p = Problem(Kind::kStrayFile, path, std::string(why));
    return options_.repair ? MoveAside(p, path) : Status::OK();
  };
  visitor.blob = [&](const Digest& digest, const struct stat& st, const std::string& path) {
    bool has_row = false;
    Status s = ctx_.catalog.Read([&](catalog::Transaction& tx) {
      has_row = catalog::BlobRows(tx).Exists(digest.str());
      return Status::OK();
    });
    if (!s.ok()) return s;
    if (!S_ISREG(st.st_mode)) {
      if (has_row) return Status::OK();  // the rows' pass saw it
      FsckProblem& p = Problem(Kind::kNotAFile, digest.str(),
                               fmt::format("{} is a {}, not a file, and no row names it", path,
                                           TypeOf(st)));
      return options_.repair ? MoveAside(p, path) : Status::OK();
    }
    if (has_row || queued_.count(digest.str())) return Status::OK();
    FsckProblem& p = Problem(Kind::kFileWithoutRow, digest.str(), path + " has no catalog row");
    if (!options_.repair) return Status::OK();
    return AdoptFile(digest, st, path, p);
  };
  return ctx_.blobs.List(visitor);
}

Status Fsck::AdoptFile(const Digest& digest, const struct stat& st, const std::string& path,
                       FsckProblem& problem) {
  auto actual = HashStoredBlob(ctx_.blobs, digest, st.st_size, nullptr);
  if (!actual.ok()) return actual.status();
  if (*actual != digest) {
    problem.detail += "; its bytes hash to " + actual->str() + ", so it was left alone";
    return Status::OK();
  }
  Status r = ctx_.catalog.Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) {
    // Its age, as far as anyone can tell.
    catalog::BlobRows(tx).Insert(digest.str(), st.st_size, MtimeNanos(st));
    return Status::OK();
  });
  if (!r.ok()) return r;
  (void)ctx_.env.ChangeModeAt(AT_FDCWD, path, st.st_mode & ~0222, path);
  problem.repaired = true;
  problem.detail += "; its bytes match its name: row added";
  return Status::OK();
}

Status Fsck::CheckIngests() {
  std::vector<catalog::IngestPlace> ingests;
  Status s = ctx_.catalog.Read([&](catalog::Transaction& tx) {
    ingests = catalog::IngestRows(tx).All();
    return Status::OK();
  });
  if (!s.ok()) return s;
  std::set<std::string> ids;
  for (const catalog::IngestPlace& i : ingests) {
    ids.insert(i.id);
    // Another node's ingest (a shared catalog) has its bytes there.
    if (!StagedHere(ctx_, i.staged_on)) continue;
    const std::string data = ctx_.dirs.PathOf(i.id) + "/" + Layout::kDataFile;
    if (i.offset > 0 && !ctx_.env.StatAt(AT_FDCWD, data, data).ok()) {
      Problem(Kind::kIngestWithoutData, i.ref,
              fmt::format("{} bytes were recorded but {} is missing; a writer resumes it from 0",
                          i.offset, data));
    }
  }
  auto dirs = ctx_.dirs.List();
  if (!dirs.ok()) return dirs.status();
  for (const std::string& id : *dirs) {
    if (ids.count(id)) continue;
    const std::string dir = ctx_.dirs.PathOf(id);
    if (IngestDirs::IsSpare(id)) {
      // Empty, and a live process's while locked; a dead one's goes at the
      // next writable open's sweep, or here.
      if (!options_.repair) continue;
      if (auto spare_fd = ctx_.dirs.OpenLocked(id); spare_fd.ok()) {
        (void)ctx_.dirs.Remove(id, spare_fd->get());
      }
      continue;
    }
    auto dir_fd = ctx_.dirs.OpenExisting(id);
    if (!dir_fd.ok() && !dir_fd.status().IsNotFound()) {
      FsckProblem& p = Problem(Kind::kStrayFile, dir, "not an ingest directory");
      if (options_.repair) {
        if (Status m = MoveAside(p, dir); !m.ok()) return m;
      }
      continue;
    }
    if (!dir_fd.ok()) continue;  // gone meanwhile
    FsckProblem& p = Problem(Kind::kDataWithoutIngest, dir, "no ingest row names it");
    if (!options_.repair) continue;
    dir_fd = ctx_.dirs.OpenLocked(id);
    if (!dir_fd.ok()) {
      if (dir_fd.status().IsUnavailable()) p.detail += "; a writer is using it";
      if (dir_fd.status().IsNotFound()) report_.problems.pop_back();  // gone meanwhile
      continue;
    }
    bool claimed = false;  // a writer may have claimed it since we listed
    s = ctx_.catalog.Read([&](catalog::Transaction& tx) {
      claimed = catalog::IngestRows(tx).IdExists(id);
      return Status::OK();
    });
    if (!s.ok()) return s;
    if (claimed) {
      report_.problems.pop_back();
      continue;
    }
    if (Status r = ctx_.dirs.Remove(id, dir_fd->get()); r.ok()) {
      p.repaired = true;
      p.detail += "; removed";
    } else if (Status m = MoveAside(p, dir); !m.ok()) {
      return m;
    }
  }
  return Status::OK();
}

// An upload in the blob tier that no ingest row names (files/ingest_uploads.h):
// a writer killed between starting it and naming it, or a discard that
// failed. Repair removes those older than an hour (gc's default grace): a
// younger one may be a live writer's, one request from being named.
Status Fsck::CheckUploads() {
  auto leftovers = UploadsNoIngestNames(ctx_);
  if (!leftovers.ok()) return leftovers.status().WithContext("listing uploads");
  IngestUploads* uploads = ctx_.blobs.ingest_uploads();
  constexpr int64_t kMinAgeNs = int64_t{3600} * 1000 * 1000 * 1000;
  const int64_t now = ctx_.env.NowNanos();
  for (const IngestUploads::StartedUpload& u : *leftovers) {
    const int64_t age_s = (now - u.started_ns) / 1000000000;
    FsckProblem& p =
        Problem(Kind::kDataWithoutIngest, uploads->WhereUpload(u.id),
                fmt::format("upload {} started {}s ago, which no ingest row names", u.upload_id,
                            age_s));
    if (!options_.repair) continue;
    if (now - u.started_ns < kMinAgeNs) {
      p.detail += "; younger than an hour, left alone (gc removes it after its grace period)";
      continue;
    }
    if (Status d = uploads->Discard(u.id, u.upload_id); !d.ok()) return d;
    p.repaired = true;
    p.detail += "; removed";
  }
  return Status::OK();
}

// trash/ holds only files of removed blobs on their way out (none after a
// flush), batches/ only directories of put_blobs calls in progress.
Status Fsck::CheckHousekeeping() {
  for (const std::string& dir : {ctx_.layout.trash_dir(), ctx_.layout.batches_dir()}) {
    auto fd = OpenDir(ctx_.env, dir);
    if (fd.status().IsNotFound()) continue;
    if (!fd.ok()) return fd.status();
    auto names = ctx_.env.ListDir(fd->get(), dir);
    if (!names.ok()) return names.status();
    const bool trash = dir == ctx_.layout.trash_dir();
    for (const std::string& name : *names) {
      auto st = ctx_.env.StatAt(fd->get(), name, dir + "/" + name);
      if (!st.ok()) continue;
      if (trash && S_ISREG(st->st_mode) && ctx_.catalog.read_only()) continue;  // on its way out
      if (!trash && S_ISDIR(st->st_mode)) {
        // A batch's own directory: alive while locked, else a writable open
        // recovers it.
        auto batch = OpenDirAt(ctx_.env, fd->get(), name, dir + "/" + name);
        if (!batch.ok() || !ctx_.env.TryLock(batch->get(), dir + "/" + name).ok() ||
            ctx_.catalog.read_only()) {
          continue;
        }
      }
      FsckProblem& p = Problem(Kind::kStrayFile, dir + "/" + name,
                               trash ? "not a removed blob's file" : "not a batch in progress");
      if (options_.repair) {
        if (Status m = MoveAside(p, dir + "/" + name); !m.ok()) return m;
      }
    }
  }
  return Status::OK();
}

// Reference labels whose value is not a digest: GC ignores them.
Status Fsck::CheckReferenceLabels() {
  return ctx_.catalog.Read([&](catalog::Transaction& tx) {
    for (const catalog::ReferenceLabel& l : catalog::CatalogCheck(tx).ReferenceLabels()) {
      if (Digest::Parse(l.value).ok()) continue;
      Problem(Kind::kBadReference, l.digest,
              fmt::format("label {}=\"{}\" is not a digest; the collector ignores it", l.key,
                          Printable(l.value)));
    }
    return Status::OK();
  });
}

// The numbered reference graph against the labels. A link the collector
// lacks could cost a referenced blob, so repair rebuilds the graph from the
// labels, which are the truth.
Status Fsck::CheckGraph() {
  const size_t first = report_.problems.size();
  Status s = ctx_.catalog.Read([&](catalog::Transaction& tx) {
    for (catalog::GraphDrift& d : catalog::CatalogCheck(tx).GraphDrifts()) {
      Problem(Kind::kGraphDrift, std::move(d.subject), std::move(d.detail));
    }
    return Status::OK();
  });
  if (!s.ok() || !options_.repair || report_.problems.size() == first) return s;
  s = ctx_.catalog.Write(catalog::Sync::kFull, [](catalog::Transaction& tx) {
    catalog::CatalogCheck(tx).RebuildGraph();
    return Status::OK();
  });
  if (!s.ok()) return s.WithContext("fsck: rebuilding the reference graph");
  for (size_t i = first; i < report_.problems.size(); ++i) report_.problems[i].repaired = true;
  return Status::OK();
}

// ROOT/index.json says what the catalog's names say, byte for byte (it is
// always written from them), and ROOT/oci-layout is there.
Status Fsck::CheckImageIndex() {
  auto expected = images_.ExpectedIndex();
  if (!expected.ok()) return expected.status();
  const std::string index_path = ctx_.layout.index_path();
  OciLayoutFiles files(ctx_.env, ctx_.layout, /*sync=*/false);
  auto actual = files.ReadIndex();
  if (!actual.ok() && !actual.status().IsNotFound()) return actual.status();
  size_t found = 0;
  if (!actual.ok()) {
    ++found;
    Problem(Kind::kStaleImageIndex, index_path,
                             "missing: OCI tools see no images");
  } else if (*actual != *expected) {
    ++found;
    Problem(Kind::kStaleImageIndex, index_path,
                             "does not list the catalog's image names (a process died before "
                             "rewriting it, or another program changed it)");
  }
  auto layout_ok = files.LayoutFileIsRight();
  if (!layout_ok.ok()) return layout_ok.status();
  if (!*layout_ok) {
    ++found;
    Problem(Kind::kStaleImageIndex, ctx_.layout.oci_layout_path(),
                             fmt::format("missing or not {}", OciLayoutFiles::kOciLayoutContents));
  }
  if (found == 0 || !options_.repair) return Status::OK();
  const size_t first = report_.problems.size() - found;
  if (Status s = images_.Rewrite(); !s.ok()) return s.WithContext("fsck: rewriting index.json");
  for (size_t i = first; i < report_.problems.size(); ++i) report_.problems[i].repaired = true;
  return Status::OK();
}

// What the store keeps at ROOT (layout.h); anything else is reported, never
// moved. OCI tools writing into the layout (`skopeo copy ... oci:ROOT`) may
// leave files here, and their blobs under blobs/ (which CheckBlobFiles sees).
Status Fsck::CheckRootEntries() {
  const std::string& root = ctx_.layout.root();
  auto fd = OpenDir(ctx_.env, root);
  if (!fd.ok()) return fd.status();
  auto names = ctx_.env.ListDir(fd->get(), root);
  if (!names.ok()) return names.status();
  const std::string catalog(Layout::kCatalogFile);
  for (const std::string& name : *names) {
    bool known = false;
    for (std::string_view k :
         {Layout::kCatalogFile, Layout::kBlobsDir, Layout::kIngestDir, Layout::kTrashDir,
          Layout::kBatchesDir, Layout::kLostFoundDir, Layout::kReserveFile,
          Layout::kOciLayoutFile, Layout::kIndexFile, Layout::kIndexLockFile,
          Layout::kServeSocket, Layout::kBlobLocationFile, Layout::kNodeIdFile,
          Layout::kCacheDir}) {
      if (name == k) known = true;
    }
    // SQLite's files, and catalogs a rebuild set aside.
    if (name == catalog + "-wal" || name == catalog + "-shm" || name == catalog + "-journal" ||
        name.starts_with(catalog + ".damaged-") ||
        name == std::string(Layout::kServeSocket) + ".lock") {
      known = true;
    }
    if (known) continue;
    Problem(Kind::kStrayFile, root + "/" + name,
            name == Layout::kIndexTempFile
                ? "an index.json rewrite that did not finish (the next one replaces it)"
                : "not something the store keeps at its root (left by an OCI tool?); not moved");
  }
  return Status::OK();
}

}  // namespace contentstore
