#include "oci/import.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "env/errno_status.h"
#include "oci/archive_reader.h"
#include "oci/blob_ingest.h"
#include "oci/dir_reader.h"
#include "oci/files.h"
#include "oci/gc_labels.h"
#include "oci/select.h"
#include "oci/store_read.h"
#include "oci/walk.h"

namespace contentstore::oci {
namespace {

// A blob file of a layout directory.
class FileSource final : public ByteSource {
 public:
  FileSource(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Result<size_t> Read(std::span<std::byte> buf) override { return ReadFull(fd_, buf, path_); }
  Status Skip(int64_t n) override {
    if (n > 0 && ::lseek(fd_, n, SEEK_SET) < 0) return ErrnoStatus("seek", path_, errno);
    return Status::OK();
  }

 private:
  int fd_;
  std::string path_;
};

// The current member of an archive: skipping reads and drops.
class MemberSource final : public ByteSource {
 public:
  explicit MemberSource(ArchiveReader& reader) : reader_(reader) {}
  Result<size_t> Read(std::span<std::byte> buf) override { return reader_.Read(buf); }
  Status Skip(int64_t n) override {
    std::vector<std::byte> buf(1 << 20);
    while (n > 0) {
      const size_t want = static_cast<size_t>(std::min<int64_t>(n, buf.size()));
      auto got = reader_.Read(std::span<std::byte>(buf.data(), want));
      if (!got.ok()) return got.status();
      if (*got == 0) return Status::OK();  // short: the copy says so
      n -= static_cast<int64_t>(*got);
    }
    return Status::OK();
  }

 private:
  ArchiveReader& reader_;
};

struct Counters {
  int64_t copied = 0;
  int64_t bytes = 0;
};

// Ensure: held by the lease and in the store, copied from the layout
// directory when there is one and the store lacks it. Documents are read
// from the store.
class ImportAccess final : public BlobAccess {
 public:
  ImportAccess(Store& store, const std::string& lease, const DirReader* dir, std::string source,
               Counters& counters)
      : store_(store), lease_(lease), dir_(dir), source_(std::move(source)), counters_(counters) {}

  Status Ensure(const OciDescriptor& descriptor) override {
    auto have = HoldExisting(store_, lease_, descriptor.digest, descriptor.size);
    if (!have.ok()) return have.status();
    if (*have) return Status::OK();
    if (dir_ == nullptr) {
      return Status::NotFound(fmt::format("{} has no blob {}", source_, Describe(descriptor)));
    }
    auto blob = dir_->OpenBlob(descriptor.digest);
    if (!blob.ok()) {
      if (blob.status().IsNotFound()) {
        return Status::NotFound(fmt::format("{} has no blob {}", source_, Describe(descriptor)));
      }
      return blob.status();
    }
    const std::string path =
        fmt::format("{}/blobs/{}/{}", dir_->path(), AlgorithmName(descriptor.digest.algorithm()),
                    descriptor.digest.hex());
    if (blob->size != descriptor.size) {
      return Status::FailedPrecondition(fmt::format("{} holds {} bytes; its descriptor says {}",
                                                    path, blob->size, descriptor.size));
    }
    FileSource source(blob->fd.get(), path);
    auto copied = IngestBlob(store_, lease_, descriptor.digest, descriptor.size, source, path);
    if (!copied.ok()) return copied.status();
    if (*copied) {
      ++counters_.copied;
      counters_.bytes += descriptor.size;
    }
    return Status::OK();
  }

  Result<std::string> ReadDocument(const OciDescriptor& descriptor) override {
    return ReadStoredDocument(store_, descriptor);
  }

 private:
  Store& store_;
  const std::string& lease_;
  const DirReader* dir_;
  std::string source_;
  Counters& counters_;
};

// Adds `labels` to the blob, leaving its other labels alone.
Status AddLabels(Store& store, const Digest& digest, const Labels& labels) {
  if (labels.empty()) return Status::OK();
  Info info;
  info.digest = digest;
  info.labels = labels;
  std::vector<std::string> paths;
  for (const auto& entry : labels) paths.push_back("labels." + entry.first);
  return store.update(info, paths).status().WithContext(digest.str());
}

// Walks the chosen images, then the unnamed entries that are referrers of
// something in the graph (and referrers of those), into one graph.
// `read_unnamed` reads an unnamed entry's document without storing it.
Result<Graph> WalkSelection(
    const Selection& selection, BlobAccess& access,
    const std::function<Result<std::string>(const OciDescriptor&)>& read_unnamed,
    bool warn_unreferenced) {
  std::vector<OciDescriptor> roots;
  for (const auto& [name, target] : selection.images) roots.push_back(target);
  Graph graph;
  if (Status s = WalkInto(graph, roots, access); !s.ok()) return s;

  // The subject of each unnamed manifest (read from the layout, not stored).
  std::vector<std::pair<OciDescriptor, Digest>> referrers;
  for (const OciDescriptor& entry : selection.unnamed) {
    if (KindOf(entry.media_type) != Kind::kManifest) continue;
    auto bytes = read_unnamed(entry);
    if (!bytes.ok()) return bytes.status().WithContext("index.json entry");
    auto document = ParseDocument(entry, *bytes);
    if (!document.ok()) return document.status();
    if (document->subject) referrers.emplace_back(entry, document->subject->digest);
  }
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [entry, subject] : referrers) {
      if (graph.Find(entry.digest) != nullptr || graph.Find(subject) == nullptr) continue;
      if (Status s = WalkInto(graph, {entry}, access); !s.ok()) return s;
      grew = true;
    }
  }
  if (warn_unreferenced) {
    for (const OciDescriptor& entry : selection.unnamed) {
      if (graph.Find(entry.digest) != nullptr) continue;
      graph.warnings.push_back(fmt::format(
          "skipped index.json entry {}: it has no {} annotation and is no referrer of an "
          "imported image",
          entry.digest.str(), kRefNameAnnotation));
    }
  }
  return graph;
}

// Steps 4 and 5: reference labels, then names.
Status LabelAndName(Store& store, const Selection& selection, Graph& graph, ImportReport& report) {
  for (const Node& node : graph.nodes) {
    if (node.absent) continue;
    if (Status s = AddLabels(store, node.descriptor.digest, ChildLabels(node, graph)); !s.ok()) {
      return s;
    }
    if (!node.document.subject) continue;
    const Digest& subject = node.document.subject->digest;
    auto info = store.info(subject);
    if (!info.ok()) {
      if (!info.status().IsNotFound()) return info.status();
      graph.warnings.push_back(fmt::format("referrer {}: its subject {} is not in the store",
                                           node.descriptor.digest.str(), subject.str()));
      continue;
    }
    if (Status s =
            AddLabels(store, subject,
                      {{ReferrerLabelKey(node.descriptor.digest), node.descriptor.digest.str()}});
        !s.ok()) {
      return s;
    }
    if (Status s = AddLabels(store, node.descriptor.digest, {{kSubjectLabel, subject.str()}});
        !s.ok()) {
      return s;
    }
  }
  for (const auto& [name, target] : selection.images) {
    Image image;
    image.name = name;
    image.target = target.ToDescriptor();
    auto put = store.put_image(image);
    if (!put.ok()) return put.status().WithContext(fmt::format("naming {}", name));
    report.images.push_back({name, image.target});
  }
  for (const Node& node : graph.nodes) report.blobs += node.absent ? 0 : 1;
  report.warnings.insert(report.warnings.end(), graph.warnings.begin(), graph.warnings.end());
  return Status::OK();
}

Result<ImportReport> ImportDirectory(Store& store, const std::string& lease, const Location& source,
                                     const ImportOptions& options) {
  auto dir = DirReader::Open(source.path);
  if (!dir.ok()) return dir.status();
  auto index = dir->ReadIndex();
  if (!index.ok()) return index.status();
  auto entries = ParseLayoutIndex(*index);
  if (!entries.ok()) return entries.status().WithContext(source.path);
  auto selection = SelectImages(*entries, source.tag, options.name);
  if (!selection.ok()) return selection.status().WithContext(source.path);

  Counters counters;
  ImportAccess access(store, lease, &*dir, fmt::format("layout {}", source.path), counters);
  auto graph = WalkSelection(
      *selection, access, [&](const OciDescriptor& d) { return dir->ReadDocument(d); },
      !source.tag);
  if (!graph.ok()) return graph.status();
  ImportReport report;
  if (Status s = LabelAndName(store, *selection, *graph, report); !s.ok()) return s;
  report.blobs_copied = counters.copied;
  report.bytes_copied = counters.bytes;
  return report;
}

// Step 2 for an archive: one pass, every blob member committed.
Status ReadArchive(Store& store, const std::string& lease, const std::string& path,
                   std::optional<std::string>& index, Counters& counters) {
  auto reader = ArchiveReader::Open(path);
  if (!reader.ok()) return reader.status();
  bool have_layout = false;
  for (;;) {
    auto member = (*reader)->Next();
    if (!member.ok()) return member.status();
    if (!*member) break;
    const std::string where = fmt::format("{} member {}", path, (*member)->name);
    switch ((*member)->type) {
      case Member::Type::kLayoutFile: {
        MemberSource source(**reader);
        std::string bytes;
        std::byte buf[4096];
        auto got = source.Read(buf);
        if (!got.ok()) return got.status();
        bytes.assign(reinterpret_cast<const char*>(buf), *got);
        if (Status s = CheckLayoutFile(bytes); !s.ok()) return s.WithContext(path);
        have_layout = true;
        break;
      }
      case Member::Type::kIndex: {
        if ((*member)->size > kMaxDocumentBytes) {
          return Status::InvalidArgument(fmt::format("{}: {} bytes is larger than the {} allowed",
                                                     where, (*member)->size, kMaxDocumentBytes));
        }
        std::string bytes(static_cast<size_t>((*member)->size), '\0');
        auto got =
            (*reader)->Read(std::as_writable_bytes(std::span<char>(bytes.data(), bytes.size())));
        if (!got.ok()) return got.status();
        if (*got != bytes.size()) return Status::DataLoss(where + ": truncated");
        index = std::move(bytes);
        break;
      }
      case Member::Type::kBlob: {
        const int64_t size = (*member)->size;
        if (size > kMaxBlobBytes) {
          return Status::InvalidArgument(fmt::format("{}: size {} is absurd", where, size));
        }
        MemberSource source(**reader);
        auto copied = IngestBlob(store, lease, *(*member)->digest, size, source, where);
        if (!copied.ok()) return copied.status();
        if (*copied) {
          ++counters.copied;
          counters.bytes += size;
        }
        break;
      }
      case Member::Type::kOther:
        break;
    }
  }
  if (!have_layout) {
    return Status::InvalidArgument(
        fmt::format("{} is not an OCI archive: it has no oci-layout member", path));
  }
  if (!index) {
    return Status::InvalidArgument(
        fmt::format("{} is not an OCI archive: it has no index.json member", path));
  }
  return Status::OK();
}

Result<ImportReport> ImportArchive(Store& store, const std::string& lease, const Location& source,
                                   const ImportOptions& options) {
  Counters counters;
  std::optional<std::string> index;
  if (Status s = ReadArchive(store, lease, source.path, index, counters); !s.ok()) return s;
  auto entries = ParseLayoutIndex(*index);
  if (!entries.ok()) return entries.status().WithContext(source.path);
  auto selection = SelectImages(*entries, source.tag, options.name);
  if (!selection.ok()) return selection.status().WithContext(source.path);

  ImportAccess access(store, lease, nullptr, fmt::format("archive {}", source.path), counters);
  auto graph = WalkSelection(
      *selection, access,
      [&](const OciDescriptor& d) -> Result<std::string> {
        // Unnamed entries are in the store (every member was committed)
        // but not yet held: hold before reading.
        auto have = HoldExisting(store, lease, d.digest, d.size);
        if (!have.ok()) return have.status();
        if (!*have) {
          return Status::NotFound(
              fmt::format("archive {} has no blob {}", source.path, Describe(d)));
        }
        return ReadStoredDocument(store, d);
      },
      !source.tag);
  if (!graph.ok()) return graph.status();
  ImportReport report;
  if (Status s = LabelAndName(store, *selection, *graph, report); !s.ok()) return s;
  report.blobs_copied = counters.copied;
  report.bytes_copied = counters.bytes;
  return report;
}

}  // namespace

Result<ImportReport> Import(Store& store, const Location& source, const ImportOptions& options) {
  LeaseOptions lease_options;
  lease_options.expire = options.lease_expiry;
  lease_options.labels["contentstore.import"] =
      source.ToString().substr(0, 1024);  // what it was for, for `lease ls`
  auto lease = store.create_lease(lease_options);
  if (!lease.ok()) return lease.status().WithContext("creating the import's lease");

  Result<ImportReport> report = source.transport == Location::Transport::kDirectory
                                    ? ImportDirectory(store, lease->id, source, options)
                                    : ImportArchive(store, lease->id, source, options);
  // Named (or failed): the lease has done its work either way. Once the
  // names hold the images, a lease left behind holds nothing they do not,
  // and expires: a warning, not a failed import.
  Status deleted = store.delete_lease(lease->id);
  if (report.ok() && !deleted.ok()) {
    report->warnings.push_back(fmt::format("the import's lease {} stays until it expires: {}",
                                           lease->id, deleted.ToString()));
  }
  return report;
}

}  // namespace contentstore::oci
