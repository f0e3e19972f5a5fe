#include "store/catalog_rebuild.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <ctime>
#include <optional>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "catalog/blob_rows.h"
#include "catalog/filtered_query.h"
#include "catalog/image_rows.h"
#include "catalog/lease_rows.h"
#include "catalog/sqlite_catalog.h"
#include "contentstore/validate.h"
#include "env/unique_fd.h"
#include "files/ingest_dirs.h"
#include "files/lost_found.h"
#include "util/timestamp.h"

namespace contentstore {
namespace {

// Blobs per transaction, in both catalogs.
constexpr int kPage = 500;

// "20261130T231941Z": sorts by time and is safe in a file or lease name.
std::string CompactUtc(int64_t nanos) {
  const std::time_t seconds = static_cast<std::time_t>(nanos / 1000000000);
  struct tm tm {};
  ::gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y%m%dT%H%M%SZ", &tm);
  return text;
}

// What the old catalog says of one blob: its row (nullopt if it has none),
// or nothing at all if the row could not be read.
using OldRow = std::optional<std::optional<Info>>;

OldRow ReadOne(catalog::Catalog& old, const Digest& digest) {
  std::optional<Info> info;
  Status s = old.Read([&](catalog::Transaction& tx) {
    info = catalog::BlobRows(tx).Find(digest);
    return Status::OK();
  });
  if (!s.ok()) return std::nullopt;
  return info;
}

// A page at a time; when a page cannot be read whole, one blob at a time, so
// that one damaged row costs only its own labels.
std::vector<OldRow> ReadPage(catalog::Catalog& old, const std::vector<Digest>& digests) {
  std::vector<OldRow> rows;
  Status s = old.Read([&](catalog::Transaction& tx) {
    rows.clear();
    catalog::BlobRows blobs(tx);
    for (const Digest& digest : digests) rows.emplace_back(blobs.Find(digest));
    return Status::OK();
  });
  if (s.ok()) return rows;
  rows.clear();
  for (const Digest& digest : digests) rows.push_back(ReadOne(old, digest));
  return rows;
}

// The digests of `fresh` after `after`, a page of them.
Result<std::vector<Digest>> NextPage(catalog::Catalog& fresh, const std::string& after) {
  std::vector<Digest> page;
  Status s = fresh.Read([&](catalog::Transaction& tx) {
    page.clear();
    for (const catalog::BlobSize& row : catalog::BlobRows(tx).SizesAfter(after, kPage)) {
      if (auto digest = Digest::Parse(row.digest); digest.ok()) page.push_back(*digest);
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  return page;
}

// Labels back, page by page; returns the blobs whose labels are lost.
Result<std::vector<std::string>> SalvageLabels(catalog::Catalog& fresh, catalog::Catalog* old,
                                               RebuildReport& report) {
  std::vector<std::string> unlabelled;
  for (std::string after;;) {
    auto page = NextPage(fresh, after);
    if (!page.ok()) return page.status();
    if (page->empty()) break;
    after = page->back().str();
    report.blobs += static_cast<int64_t>(page->size());
    std::vector<OldRow> rows(page->size());
    if (old != nullptr) rows = ReadPage(*old, *page);
    Status s = fresh.Write(catalog::Sync::kNormal, [&](catalog::Transaction& tx) {
      catalog::BlobRows blobs(tx);
      for (size_t i = 0; i < page->size(); ++i) {
        if (!rows[i].has_value()) continue;  // unreadable: held below
        if (!rows[i]->has_value()) continue;  // no row: it was being removed
        if ((*rows[i])->labels.empty()) continue;
        blobs.SetLabels((*page)[i].str(), (*rows[i])->labels);
      }
      return Status::OK();
    });
    if (!s.ok()) return s;
    for (size_t i = 0; i < page->size(); ++i) {
      if (!rows[i].has_value()) {
        unlabelled.push_back((*page)[i].str());
      } else if (rows[i]->has_value() && !(*rows[i])->labels.empty()) {
        ++report.blobs_with_labels;
      }
    }
  }
  return unlabelled;
}

struct OldLease {
  Lease lease;
  std::vector<LeaseResource> resources;
};

Status SalvageLeases(catalog::Catalog& fresh, catalog::Catalog& old, RebuildReport& report) {
  std::vector<OldLease> leases;
  Status read = old.Read([&](catalog::Transaction& tx) -> Status {
    auto all = catalog::FilteredQuery::Parse({}, catalog::LeaseRows::FilterFields());
    if (!all.ok()) return all.status();
    catalog::LeaseRows rows(tx);
    auto listed = rows.List(*all);
    if (!listed.ok()) return listed.status();
    for (Lease& lease : *listed) {
      std::vector<LeaseResource> resources = rows.Resources(lease.id);
      leases.push_back({std::move(lease), std::move(resources)});
    }
    return Status::OK();
  });
  if (!read.ok()) {
    report.problems.push_back({FsckProblem::Kind::kCatalogDamaged, "leases",
                               "the old catalog's leases could not be read: " + read.ToString()});
    return Status::OK();
  }
  return fresh.Write(catalog::Sync::kNormal, [&](catalog::Transaction& tx) {
    catalog::LeaseRows rows(tx);
    catalog::BlobRows blobs(tx);
    for (const OldLease& old_lease : leases) {
      rows.Insert(old_lease.lease);
      for (const LeaseResource& resource : old_lease.resources) {
        // Uploads were set aside, so only blobs that came back are held.
        if (resource.type == LeaseResource::Type::kContent && blobs.Exists(resource.id)) {
          rows.Hold(old_lease.lease.id, resource);
        }
      }
      ++report.leases;
    }
    return Status::OK();
  });
}

// The old catalog's names, or failing that ROOT/index.json's (a name whose
// entry is not valid is left out).
std::vector<Image> ImagesFromIndex(const std::string& index_json) {
  std::vector<Image> out;
  const auto index = nlohmann::json::parse(index_json, nullptr, /*allow_exceptions=*/false);
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array()) {
    return out;
  }
  for (const auto& m : index["manifests"]) {
    if (!m.is_object()) continue;
    const auto name = m.value("/annotations/org.opencontainers.image.ref.name"_json_pointer,
                              std::string());
    auto digest = Digest::Parse(m.value("digest", std::string()));
    Image image;
    image.name = name;
    image.target.media_type = m.value("mediaType", std::string());
    image.target.size = m.value("size", int64_t{-1});
    if (name.empty() || !digest.ok() || image.target.size < 0 ||
        !ValidateImageName(name).ok() || !ValidateMediaType(image.target.media_type).ok()) {
      continue;
    }
    image.target.digest = *digest;
    out.push_back(std::move(image));
  }
  return out;
}

Status SalvageImages(catalog::Catalog& fresh, catalog::Catalog* old,
                     const std::string& index_json, int64_t now, RebuildReport& report) {
  std::vector<Image> images;
  Status read = Status::FailedPrecondition("no old catalog");
  if (old != nullptr) {
    read = old->Read([&](catalog::Transaction& tx) -> Status {
      auto all = catalog::FilteredQuery::Parse({}, catalog::ImageRows::FilterFields());
      if (!all.ok()) return all.status();
      auto listed = catalog::ImageRows(tx).List(*all);
      if (!listed.ok()) return listed.status();
      images = std::move(*listed);
      return Status::OK();
    });
  }
  if (!read.ok()) images = ImagesFromIndex(index_json);
  if (images.empty()) return Status::OK();
  return fresh.Write(catalog::Sync::kNormal, [&](catalog::Transaction& tx) {
    catalog::ImageRows rows(tx);
    for (const Image& image : images) {
      rows.Put(image, image.created_at == Timestamp{} ? now : ToNanos(image.created_at));
      ++report.images;
    }
    return Status::OK();
  });
}

// One lease holding every blob whose labels were lost: without it the next
// collection would take whatever they used to reference or root.
Status HoldUnlabelled(catalog::Catalog& fresh, const std::vector<std::string>& digests,
                      int64_t now, RebuildReport& report) {
  report.blobs_unlabelled = static_cast<int64_t>(digests.size());
  if (digests.empty()) return Status::OK();
  Lease lease;
  lease.id = "contentstore.rebuild-" + CompactUtc(now);
  lease.created_at = FromNanos(now);
  lease.labels["contentstore.rebuild"] = "blobs whose labels the old catalog lost";
  report.rescue_lease = lease.id;
  for (size_t start = 0; start < digests.size(); start += kPage) {
    const size_t end = std::min(digests.size(), start + kPage);
    Status s = fresh.Write(catalog::Sync::kNormal, [&](catalog::Transaction& tx) {
      catalog::LeaseRows rows(tx);
      if (start == 0) rows.Insert(lease);
      for (size_t i = start; i < end; ++i) {
        rows.Hold(lease.id, {LeaseResource::Type::kContent, digests[i]});
      }
      return Status::OK();
    });
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace

Status AdoptBlobFiles(BlobTier& blobs, catalog::Catalog& fresh, Env& env,
                      RebuildReport& report) {
  struct Adopted {
    Digest digest;
    int64_t size;
    int64_t mtime;
  };
  std::vector<Adopted> page;
  auto flush = [&] {
    Status s = fresh.Write(catalog::Sync::kNormal, [&](catalog::Transaction& tx) {
      catalog::BlobRows rows(tx);
      for (const Adopted& a : page) rows.Insert(a.digest.str(), a.size, a.mtime);
      return Status::OK();
    });
    page.clear();
    return s;
  };
  auto set_aside = [&](FsckProblem::Kind kind, const std::string& subject, std::string detail,
                       const std::string& path) -> Status {
    auto moved = blobs.MoveAside(path);
    if (!moved.ok()) return moved.status();
    report.problems.push_back({kind, subject, detail + "; moved to " + *moved, true});
    return Status::OK();
  };
  BlobTier::Visitor visitor;
  visitor.stray = [&](const std::string& path, std::string_view why) {
    return set_aside(FsckProblem::Kind::kStrayFile, path, std::string(why), path);
  };
  visitor.blob = [&](const Digest& digest, const struct stat& st, const std::string& path) {
    if (!S_ISREG(st.st_mode)) {
      return set_aside(FsckProblem::Kind::kNotAFile, digest.str(), path + " is not a file",
                       path);
    }
    auto actual = HashStoredBlob(blobs, digest, st.st_size, nullptr);
    if (!actual.ok()) return actual.status();
    if (*actual != digest) {
      return set_aside(FsckProblem::Kind::kDigestMismatch, digest.str(),
                       "its bytes hash to " + actual->str(), path);
    }
    (void)env.ChangeModeAt(AT_FDCWD, path, st.st_mode & ~0222, path);
    page.push_back({digest, st.st_size, MtimeNanos(st)});
    return page.size() >= kPage ? flush() : Status::OK();
  };
  if (Status s = blobs.List(visitor); !s.ok()) return s;
  if (Status s = flush(); !s.ok()) return s;
  return fresh.SyncWal();
}

Result<std::string> SetAsideCatalog(Env& env, const Layout& layout) {
  const std::string path = layout.catalog_path();
  if (auto st = env.StatAt(AT_FDCWD, path, path); !st.ok()) {
    if (st.status().IsNotFound()) return std::string();
    return st.status();
  }
  // A name none of the three files has yet (two rebuilds in one second).
  const std::string base = path + ".damaged-" + CompactUtc(env.NowNanos());
  std::string aside = base;
  for (int n = 1;; ++n) {
    bool taken = false;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      const std::string name = aside + suffix;
      taken = taken || env.StatAt(AT_FDCWD, name, name).ok();
    }
    if (!taken) break;
    aside = base + "." + std::to_string(n);
  }
  // The log first: a catalog.db without its -wal is only older, but a -wal
  // beside the wrong catalog.db would be replayed into it.
  for (const char* suffix : {"-wal", "-shm", ""}) {
    const std::string from = path + suffix;
    const std::string to = aside + suffix;
    Status s = env.RenameNoReplace(AT_FDCWD, from, AT_FDCWD, to, to);
    if (!s.ok() && !s.IsNotFound()) return s;
  }
  auto root = OpenDir(env, layout.root());
  if (!root.ok()) return root.status();
  if (Status s = env.SyncDir(root->get(), layout.root()); !s.ok()) return s;
  return aside;
}

Result<std::vector<std::string>> SetAsideIngests(Env& env, const Layout& layout) {
  std::vector<std::string> moved;
  auto dir = OpenDir(env, layout.ingest_root());
  if (!dir.ok()) {
    if (dir.status().IsNotFound()) return moved;
    return dir.status();
  }
  auto names = env.ListDir(dir->get(), layout.ingest_root());
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    // A spare directory holds nothing (files/ingest_dirs.h).
    if (IngestDirs::IsSpare(name) &&
        env.UnlinkAt(dir->get(), name, AT_REMOVEDIR, layout.ingest_root() + "/" + name).ok()) {
      continue;
    }
    auto to = MoveToLostFound(env, layout, layout.ingest_root() + "/" + name);
    if (!to.ok()) return to.status();
    moved.push_back(*to);
  }
  return moved;
}

Status SalvageCatalog(catalog::Catalog& fresh, const std::string& damaged,
                      const std::string& index_json, Env& env, RebuildReport& report) {
  std::unique_ptr<catalog::Catalog> old;
  if (damaged.empty()) {
    report.salvage_error = "there was no catalog";
  } else {
    Options options;
    options.read_only = true;
    options.create_if_missing = false;
    auto opened = catalog::OpenSqliteCatalog(damaged, options, env);
    if (opened.ok()) {
      old = std::move(*opened);
    } else {
      report.salvage_error = opened.status().ToString();
    }
  }
  auto unlabelled = SalvageLabels(fresh, old.get(), report);
  if (!unlabelled.ok()) return unlabelled.status();
  if (old != nullptr) {
    if (Status s = SalvageLeases(fresh, *old, report); !s.ok()) return s;
  }
  if (Status s = SalvageImages(fresh, old.get(), index_json, env.NowNanos(), report); !s.ok()) {
    return s;
  }
  return HoldUnlabelled(fresh, *unlabelled, env.NowNanos(), report);
}

}  // namespace contentstore
