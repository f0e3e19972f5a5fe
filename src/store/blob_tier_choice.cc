#include "store/blob_tier_choice.h"

#include <fmt/format.h>

#include "catalog/blob_rows.h"
#include "catalog/setting_rows.h"
#include "files/blob_cache.h"
#include "files/local_blob_files.h"
#include "files/root_files.h"
#ifdef CONTENTSTORE_HAVE_S3
#include "s3/s3_blob_tier.h"
#endif

namespace contentstore {
namespace {

// Where a catalog shared by several nodes says the blobs are
// (store_settings 'blobs'); nullopt when it says nothing, or is not shared.
Result<std::optional<std::string>> AgreedLocation(const Options& options,
                                                  catalog::Catalog& catalog) {
  std::optional<std::string> agreed;
  if (options.catalog_url.empty()) return agreed;
  Status s = catalog.Read([&](catalog::Transaction& tx) {
    agreed = catalog::SettingRows(tx).Get(catalog::SettingRows::kBlobs);
    return Status::OK();
  });
  if (!s.ok()) return s;
  return agreed;
}

Result<bool> CatalogHasBlobs(catalog::Catalog& catalog) {
  bool any = false;
  Status s = catalog.Read([&](catalog::Transaction& tx) {
    any = !catalog::BlobRows(tx).SizesAfter("", 1).empty();
    return Status::OK();
  });
  if (!s.ok()) return s;
  return any;
}

// Whether ROOT/blobs/<alg>/ holds anything.
Result<bool> HasLocalBlobFiles(Env& env, const Layout& layout) {
  bool any = false;
  LocalBlobFiles local(env, layout, false);
  BlobTier::Visitor visitor;
  visitor.blob = [&](const Digest&, const struct stat&, const std::string&) {
    any = true;
    return Status::OK();
  };
  visitor.stray = [](const std::string&, std::string_view) { return Status::OK(); };
  Status s = local.List(visitor);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return s;
  return any;
}

#ifdef CONTENTSTORE_HAVE_S3
Result<std::unique_ptr<BlobTier>> OpenS3(Env& env, const Layout& layout, const Options& options,
                                         catalog::Catalog& catalog, std::string recorded) {
  const std::string& wanted = options.blobs.empty() ? recorded : options.blobs;
  auto url = s3::ParseBucketUrl(wanted);
  if (!url.ok()) return url.status().WithContext("blob location");
  if (!recorded.empty() && !options.blobs.empty()) {
    auto was = s3::ParseBucketUrl(recorded);
    if (!was.ok()) {
      return was.status().WithContext(
          fmt::format("{}/{}", layout.root(), Layout::kBlobLocationFile));
    }
    if (was->bucket != url->bucket || was->prefix != url->prefix) {
      return Status::InvalidArgument(fmt::format(
          "the store at {} keeps its blobs in s3://{}/{}, not in s3://{}/{}", layout.root(),
          was->bucket, was->prefix, url->bucket, url->prefix));
    }
  }
  if (recorded.empty()) {
    if (options.read_only) {
      return Status::FailedPrecondition(fmt::format(
          "the store at {} keeps its blobs in ROOT/blobs/; a read-only open cannot move it to {}",
          layout.root(), options.blobs));
    }
    // A catalog of this root alone (SQLite) with blob rows means local
    // blobs. A shared one (PostgreSQL) has rows other nodes committed to the
    // bucket: then only files in this root's blobs/ mean local blobs.
    auto any = options.catalog_url.empty() ? CatalogHasBlobs(catalog)
                                           : HasLocalBlobFiles(env, layout);
    if (!any.ok()) return any.status();
    if (*any) {
      return Status::FailedPrecondition(fmt::format(
          "the store at {} already keeps blobs in ROOT/blobs/; moving them to {} is not "
          "supported (export the images and import them into a new store)",
          layout.root(), options.blobs));
    }
  }
  std::unique_ptr<BlobCache> cache;
  if (options.blob_cache_bytes > 0) {
    cache = std::make_unique<BlobCache>(
        env, fmt::format("{}/{}", layout.root(), Layout::kCacheDir), options.blob_cache_bytes);
  }
  auto tier = s3::S3BlobTier::Open(env, *url, std::move(cache));
  if (!tier.ok()) return tier.status();
  // Every node sharing the catalog must name the same bucket and prefix: the
  // first one records it (only once the bucket answered), the others are
  // held to it.
  if (!options.catalog_url.empty()) {
    const std::string here = fmt::format("s3://{}/{}", url->bucket, url->prefix);
    auto agreed = AgreedLocation(options, catalog);
    if (!agreed.ok()) return agreed.status();
    if (!*agreed && !options.read_only) {
      Status s = catalog.Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) {
        *agreed = catalog::SettingRows(tx).PutIfMissing(catalog::SettingRows::kBlobs, here);
        return Status::OK();
      });
      if (!s.ok()) return s;
    }
    if (*agreed && **agreed != here) {
      return Status::InvalidArgument(fmt::format(
          "catalog {} keeps its blobs in {}, not in {}: every node sharing it must name the "
          "same bucket and prefix",
          catalog.path(), **agreed, here));
    }
  }
  if (recorded.empty()) {
    // Only once the bucket answered: a typo never binds the root.
    if (Status s = ReplaceRootFile(env, layout, options.sync, Layout::kBlobLocationFile,
                                   std::string(Layout::kBlobLocationFile) + ".tmp",
                                   options.blobs + "\n", "blob_location.before_rename");
        !s.ok()) {
      return s;
    }
  }
  return std::unique_ptr<BlobTier>(std::move(*tier));
}
#endif

}  // namespace

Result<bool> HasBlobLocationRecord(Env& env, const Layout& layout) {
  const std::string path = fmt::format("{}/{}", layout.root(), Layout::kBlobLocationFile);
  auto st = env.StatAt(AT_FDCWD, path, path);
  if (st.ok()) return true;
  if (st.status().IsNotFound()) return false;
  return st.status();
}

Result<std::unique_ptr<BlobTier>> OpenBlobTier(Env& env, const Layout& layout,
                                               const Options& options,
                                               catalog::Catalog& catalog) {
  std::string recorded;
  auto text = ReadRootFile(env, layout, Layout::kBlobLocationFile);
  if (text.ok()) {
    recorded = *text;
    while (!recorded.empty() && (recorded.back() == '\n' || recorded.back() == ' ')) {
      recorded.pop_back();
    }
  } else if (!text.status().IsNotFound()) {
    return text.status();
  }
  if (recorded.empty() && options.blobs.empty()) {
    auto agreed = AgreedLocation(options, catalog);
    if (!agreed.ok()) return agreed.status();
    if (*agreed) {
      // Local blobs here would be every blob missing (and fsck would offer to
      // forget them).
      return Status::FailedPrecondition(fmt::format(
          "catalog {} keeps its blobs in {}; this root has no blob location: open it with "
          "--blobs naming that bucket and prefix (and the endpoint this node reaches it by)",
          catalog.path(), **agreed));
    }
    return std::unique_ptr<BlobTier>(
        std::make_unique<LocalBlobFiles>(env, layout, options.sync && !options.read_only));
  }
#ifdef CONTENTSTORE_HAVE_S3
  return OpenS3(env, layout, options, catalog, std::move(recorded));
#else
  (void)catalog;
  return Status::InvalidArgument(fmt::format(
      "blob location {}: this contentstore was built without S3 support (CONTENTSTORE_S3=OFF)",
      recorded.empty() ? options.blobs : recorded));
#endif
}

}  // namespace contentstore
