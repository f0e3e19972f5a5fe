#include "catalog/image_rows.h"

#include <fmt/format.h>

#include "util/text.h"
#include "util/timestamp.h"

namespace contentstore::catalog {
namespace {

// Rows of image_get / image_list (one per label) into images, in order.
Status ReadImages(Statement& q, std::vector<Image>& out) {
  while (q.Step()) {
    std::string name = q.Text("name");
    if (out.empty() || out.back().name != name) {
      Image image;
      image.name = std::move(name);
      const std::string digest = q.Text("digest");
      auto parsed = Digest::Parse(digest);
      if (!parsed.ok()) {
        return Status::DataLoss(fmt::format("image \"{}\" in the catalog has target \"{}\": {}",
                                            Printable(image.name), Printable(digest),
                                            parsed.status().message()));
      }
      image.target.digest = *parsed;
      image.target.media_type = q.Text("media_type");
      image.target.size = q.Int64("size");
      image.created_at = FromNanos(q.Int64("created_at"));
      image.updated_at = FromNanos(q.Int64("updated_at"));
      out.push_back(std::move(image));
    }
    if (!q.IsNull("key")) out.back().labels.emplace(q.Text("key"), q.Text("value"));
  }
  return Status::OK();
}

}  // namespace

Status NoSuchImage(std::string_view name) {
  return Status::NotFound(fmt::format("image \"{}\" not found", Printable(name)));
}

const filter::FieldSchema& ImageRows::FilterFields() {
  static const filter::FieldSchema schema{"image",
                                          {{"name", "name", false, false},
                                           {"target.digest", "digest", false, false},
                                           {"target.mediatype", "media_type", false, false}},
                                          "image_labels",
                                          "name",
                                          "name"};
  return schema;
}

void ImageRows::Put(const Image& image, int64_t now) {
  auto q = tx_.Prepare(QueryId::image_upsert);
  q->Bind(":name", image.name);
  q->Bind(":digest", image.target.digest.str());
  q->Bind(":media_type", image.target.media_type);
  q->Bind(":size", image.target.size);
  q->Bind(":now", now);
  q->Run();
  auto clear = tx_.Prepare(QueryId::image_labels_clear);
  clear->Bind(":name", image.name);
  clear->Run();
  for (const auto& [key, value] : image.labels) {
    if (value.empty()) continue;
    auto l = tx_.Prepare(QueryId::image_label_insert);
    l->Bind(":name", image.name);
    l->Bind(":key", key);
    l->Bind(":value", value);
    l->Run();
  }
}

Result<std::optional<Image>> ImageRows::Find(const std::string& name) {
  auto q = tx_.Prepare(QueryId::image_get);
  q->Bind(":name", name);
  std::vector<Image> out;
  if (Status s = ReadImages(*q, out); !s.ok()) return s;
  if (out.empty()) return std::optional<Image>();
  return std::optional<Image>(std::move(out.front()));
}

Result<std::vector<Image>> ImageRows::List(const FilteredQuery& filter) {
  auto q = filter.Prepare(tx_, QueryId::image_list);
  if (!q.ok()) return q.status();
  std::vector<Image> out;
  if (Status s = ReadImages(**q, out); !s.ok()) return s;
  return out;
}

bool ImageRows::Delete(const std::string& name) {
  auto q = tx_.Prepare(QueryId::image_delete);
  q->Bind(":name", name);
  q->Run();
  return tx_.Changes() > 0;
}

std::vector<IndexEntry> ImageRows::IndexEntries() {
  auto q = tx_.Prepare(QueryId::image_index_targets);
  std::vector<IndexEntry> out;
  while (q->Step()) {
    out.push_back({q->Text("name"), q->Text("digest"), q->Text("media_type"), q->Int64("size")});
  }
  return out;
}

IndexState ImageRows::State() {
  auto q = tx_.Prepare(QueryId::image_index_state);
  IndexState state;
  if (q->Step()) {
    state.generation = q->Int64("generation");
    state.published = q->Int64("published");
  }
  return state;
}

void ImageRows::MarkPublished(int64_t generation) {
  auto q = tx_.Prepare(QueryId::image_index_published);
  q->Bind(":generation", generation);
  q->Run();
}

}  // namespace contentstore::catalog
