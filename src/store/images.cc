#include "store/images.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "catalog/filtered_query.h"
#include "contentstore/validate.h"
#include "env/crash_point.h"
#include "util/text.h"

namespace contentstore {
namespace {

constexpr char kIndexMediaType[] = "application/vnd.oci.image.index.v1+json";
constexpr char kRefNameAnnotation[] = "org.opencontainers.image.ref.name";

Status ValidateImage(const Image& image) {
  if (Status s = ValidateImageName(image.name); !s.ok()) return s;
  const std::string where = fmt::format("image \"{}\"", Printable(image.name));
  if (Status s = ValidateMediaType(image.target.media_type); !s.ok()) return s.WithContext(where);
  if (image.target.size < 0) {
    return Status::InvalidArgument(
        fmt::format("{}: target size {} is negative", where, image.target.size));
  }
  // A default-constructed Digest is valid (the empty blob's); one built by
  // Parse always is. Check anyway: the value crosses an ABI.
  if (Status s = Digest::Parse(image.target.digest.str()).status(); !s.ok()) {
    return s.WithContext(where);
  }
  if (Status s = ValidateLabels(image.labels); !s.ok()) return s.WithContext(where);
  return Status::OK();
}

}  // namespace

std::string Images::RenderIndex(const std::vector<catalog::IndexEntry>& entries) {
  nlohmann::ordered_json manifests = nlohmann::ordered_json::array();
  for (const catalog::IndexEntry& e : entries) {
    nlohmann::ordered_json d;
    d["mediaType"] = e.media_type;
    d["digest"] = e.digest;
    d["size"] = e.size;
    d["annotations"] = {{kRefNameAnnotation, e.name}};
    manifests.push_back(std::move(d));
  }
  nlohmann::ordered_json index;
  index["schemaVersion"] = 2;
  index["mediaType"] = kIndexMediaType;
  index["manifests"] = std::move(manifests);
  // Names are valid UTF-8 (ValidateImageName); a row written by hand may not
  // be: replace its bad bytes rather than fail every rewrite.
  return index.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

Result<Image> Images::Put(const Image& image) {
  if (Status s = ValidateImage(image); !s.ok()) return s;
  Status s = Change("put", [&](catalog::Transaction& tx) {
    catalog::ImageRows(tx).Put(image, env_.NowNanos());
    return Status::OK();
  });
  if (!s.ok()) return s;
  return Get(image.name);
}

Result<Image> Images::Get(std::string_view name_view) {
  const std::string name(name_view);
  if (Status s = ValidateImageName(name); !s.ok()) return s;
  std::optional<Image> image;
  Status s = catalog_.Read([&](catalog::Transaction& tx) -> Status {
    auto found = catalog::ImageRows(tx).Find(name);
    if (!found.ok()) return found.status();
    image = std::move(*found);
    return Status::OK();
  });
  if (!s.ok()) return s;
  if (!image) return catalog::NoSuchImage(name);
  return std::move(*image);
}

Result<std::vector<Image>> Images::List(const std::vector<std::string>& filters) {
  auto filter = catalog::FilteredQuery::Parse(filters, catalog::ImageRows::FilterFields());
  if (!filter.ok()) return filter.status();
  std::vector<Image> out;
  Status s = catalog_.Read([&](catalog::Transaction& tx) -> Status {
    auto listed = catalog::ImageRows(tx).List(*filter);
    if (!listed.ok()) return listed.status();
    out = std::move(*listed);
    return Status::OK();
  });
  if (!s.ok()) return s;
  return out;
}

Status Images::Delete(std::string_view name_view) {
  const std::string name(name_view);
  if (Status s = ValidateImageName(name); !s.ok()) return s;
  return Change("delete", [&](catalog::Transaction& tx) -> Status {
    return catalog::ImageRows(tx).Delete(name) ? Status::OK() : catalog::NoSuchImage(name);
  });
}

Result<Image> Images::Tag(std::string_view source_view, std::string_view destination_view) {
  const std::string source(source_view), destination(destination_view);
  if (Status s = ValidateImageName(source); !s.ok()) return s;
  if (Status s = ValidateImageName(destination); !s.ok()) return s;
  Status s = Change("tag", [&](catalog::Transaction& tx) -> Status {
    catalog::ImageRows rows(tx);
    auto found = rows.Find(source);
    if (!found.ok()) return found.status();
    if (!*found) return catalog::NoSuchImage(source);
    Image copy = std::move(**found);
    copy.name = destination;
    rows.Put(copy, env_.NowNanos());
    return Status::OK();
  });
  if (!s.ok()) return s;
  return Get(destination);
}

Status Images::Change(std::string_view what, const catalog::Catalog::Body& body) {
  // 1. The change. Names decide what GC keeps: make them durable.
  if (Status s = catalog_.Write(catalog::Sync::kFull, body); !s.ok()) return s;
  test_hooks::CrashPoint("images.after_commit");
  if (Status s = Publish(); !s.ok()) {
    return s.WithContext(fmt::format(
        "image {} committed, but {} could not be rewritten (the next writable open or `fsck "
        "--repair` rewrites it)",
        what, Layout::kIndexFile));
  }
  return Status::OK();
}

Status Images::Publish() {
  // 2. The lock, across read, write, rename.
  auto lock = files_.LockIndex();
  if (!lock.ok()) return lock.status();
  // 3. The newest state.
  std::vector<catalog::IndexEntry> entries;
  int64_t generation = 0;
  Status s = catalog_.Read([&](catalog::Transaction& tx) {
    catalog::ImageRows rows(tx);
    entries = rows.IndexEntries();
    generation = rows.State().generation;
    return Status::OK();
  });
  if (!s.ok()) return s;
  // 4. The file.
  if (Status w = files_.WriteIndex(RenderIndex(entries)); !w.ok()) return w;
  test_hooks::CrashPoint("images.after_index_write");
  // 5. The catalog learns it.
  return catalog_.Write(catalog::Sync::kNormal, [&](catalog::Transaction& tx) {
    catalog::ImageRows(tx).MarkPublished(generation);
    return Status::OK();
  });
}

Status Images::PublishIfStale() {
  if (Status s = files_.EnsureLayoutFile(); !s.ok()) return s;
  catalog::IndexState state;
  Status s = catalog_.Read([&](catalog::Transaction& tx) {
    state = catalog::ImageRows(tx).State();
    return Status::OK();
  });
  if (!s.ok()) return s;
  auto exists = files_.IndexExists();
  if (!exists.ok()) return exists.status();
  if (state.published == state.generation && *exists) return Status::OK();
  return Publish();
}

Status Images::Rewrite() {
  if (Status s = files_.EnsureLayoutFile(); !s.ok()) return s;
  return Publish();
}

Result<std::string> Images::ExpectedIndex() {
  std::vector<catalog::IndexEntry> entries;
  Status s = catalog_.Read([&](catalog::Transaction& tx) {
    entries = catalog::ImageRows(tx).IndexEntries();
    return Status::OK();
  });
  if (!s.ok()) return s;
  return RenderIndex(entries);
}

}  // namespace contentstore
